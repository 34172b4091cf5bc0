"""Where the corpus lives: Chroma (the record of truth), BM25, the embedding model, the writer lock."""
