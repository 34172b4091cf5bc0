"""Questions -> ranked passages: query parsing, hybrid retrieval, evidence, the LangChain retriever."""
