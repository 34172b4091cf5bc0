"""The packaged all-MiniLM-L6-v2, loaded offline, as a LangChain `Embeddings`; also its tokenizer.

Speed (see ``bench/ingest.py``): texts are sorted by length and cut into batches so little padding is
embedded, and the batches are shared among one worker thread per core, each running the model on a
single thread. On a small model, one intra-op thread per worker avoids the OpenMP barriers that cost
about half the CPU when the cores are busy with anything else. ``torch-bf16`` runs the matrix products
in bfloat16 (AMX / AVX-512 BF16), about twice the fp32 rate with cosine >= 0.9999 to the fp32 vectors.
"""


from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

import numpy as np
from langchain_core.embeddings import Embeddings

from qa.store.embeddings.model import DIMENSION, Batch, batch_tokenizer


class BatchedEmbeddings(Embeddings):
    """Length-sorted batches spread over worker threads; subclasses only run one batch through the model."""

    backend = ""

    def __init__(self, batch_size: int = 64, threads: int = 0) -> None:
        self.batch_size = batch_size
        self.workers = max(1, threads or os.cpu_count() or 1)
        self._local = threading.local()
        self._lock = threading.Lock()  # one model, many chat users: batches are already spread over the cores

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts``, in their order, as a float32 array."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        run: Callable[[list[int]], np.ndarray] = lambda batch: self._run([texts[i] for i in batch])  # noqa: E731
        with self._lock:
            self._prepare()
            if len(batches) == 1 or self.workers == 1:
                parts = [run(batch) for batch in batches]
            else:
                parts = list(self._pool.map(run, batches))
        result = np.empty((len(texts), DIMENSION), dtype=np.float32)
        result[np.concatenate(batches)] = np.concatenate(parts)
        return result

    @cached_property
    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(self.workers, thread_name_prefix=f"embed-{self.backend}")

    def _run(self, texts: list[str]) -> np.ndarray:
        tokenizer = getattr(self._local, "tokenizer", None)
        if tokenizer is None:  # one per thread: a Rust tokenizer must not be shared while encoding
            tokenizer = self._local.tokenizer = batch_tokenizer()
        encoded = tokenizer.encode_batch([text.strip() for text in texts])
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        return self._forward((ids, mask))

    def _prepare(self) -> None:
        """Load the model before the workers need it (once, under the lock)."""

    def _forward(self, batch: Batch) -> np.ndarray:
        raise NotImplementedError
