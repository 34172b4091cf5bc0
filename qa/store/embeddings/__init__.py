"""The packaged MiniLM as LangChain `Embeddings`: model files and tokenizer, batching, torch and ONNX backends."""
