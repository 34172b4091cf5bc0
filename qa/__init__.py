"""newsqa: answer questions about news articles with cited excerpts.

Layers, each importing only those below it: ``core`` (settings, errors, types) -> ``text`` (pure text
rules) -> ``store`` (Chroma, BM25, embeddings, lock) -> ``search`` (query parsing, retrieval, evidence)
-> ``answer`` (composing answers, the Assistant) -> ``eval`` (``qa/eval*.py``: metrics over the Assistant's
answers) -> ``serve`` (CLI, batch files, snapshots, web chat)."""
