"""One factory for every embedding backend; the index records which one built it (`qa.store.config`)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from qa.core.errors import QAError
from qa.core.settings import AUTO_BACKEND, Settings
from qa.store.embeddings.cpu import concrete_backend

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

BACKENDS = (AUTO_BACKEND, "torch", "torch-bf16", "onnx", "onnx-int8")


@lru_cache(maxsize=4)
def make_embeddings(backend: str, batch_size: int = 64, threads: int = 0) -> Embeddings:
    """The embedding backend named in the settings (one instance per process); ``auto``: this CPU's choice
    for a new index (an existing index's backend comes from `qa.store.config.settle_backend`)."""
    backend = concrete_backend(backend)
    # the backends (and LangChain's `Embeddings`, a third of a second to import) load with the first model asked
    # for: a run that embeds nothing, such as a no-op re-ingest, never imports them
    if backend in ("torch", "torch-bf16"):
        from qa.store.embeddings.torch_backend import MiniLMEmbeddings

        return MiniLMEmbeddings(batch_size=batch_size, threads=threads, bf16=backend == "torch-bf16")
    if backend in ("onnx", "onnx-int8"):
        from qa.store.embeddings.onnx_backend import OnnxMiniLMEmbeddings

        return OnnxMiniLMEmbeddings(batch_size=batch_size, threads=threads, int8=backend == "onnx-int8")
    raise QAError(f"Unknown embedding backend {backend!r}. Supported backends: {list(BACKENDS)}.")


def query_backend(settings: Settings) -> str:
    """The backend that embeds questions. ``auto``: ONNX Runtime (fp32 for a torch, torch-bf16 or onnx index:
    cosine >= 0.999 to the ingest vectors and the same dev-set ranking, tested; int8 for an int8 index), so
    a question never imports torch. The model is exported once from the packaged weights and cached."""
    if settings.query_backend != AUTO_BACKEND:
        return settings.query_backend
    return "onnx-int8" if concrete_backend(settings.embed_backend) == "onnx-int8" else "onnx"
