"""One factory for every embedding backend; the index records which one built it (`qa.store.config`)."""

from __future__ import annotations

from functools import lru_cache

from langchain_core.embeddings import Embeddings

from qa.core.errors import QAError
from qa.store.embeddings.onnx_backend import OnnxMiniLMEmbeddings
from qa.store.embeddings.torch_backend import MiniLMEmbeddings

BACKENDS = ("torch", "torch-bf16", "onnx", "onnx-int8")


@lru_cache(maxsize=4)
def make_embeddings(backend: str, batch_size: int = 64, threads: int = 0) -> Embeddings:
    """The embedding backend named in the settings (one instance per process)."""
    if backend in ("torch", "torch-bf16"):
        return MiniLMEmbeddings(batch_size=batch_size, threads=threads, bf16=backend == "torch-bf16")
    if backend in ("onnx", "onnx-int8"):
        return OnnxMiniLMEmbeddings(batch_size=batch_size, threads=threads, int8=backend == "onnx-int8")
    raise QAError(f"Unknown embedding backend {backend!r}. Supported backends: {list(BACKENDS)}.")
