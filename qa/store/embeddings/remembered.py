"""Sentence vectors remembered across questions: a conversation's follow-ups quote the same articles, and the
answer layer embeds the leading sentences of every answer (`qa.answer.candidates`). Vectors depend on the text and
the model only, so an entry stays right across index versions."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

# Sentences remembered: 8 a question, so a few hundred questions of a session; 384 float32 each (1.5 KB): ~6 MB
REMEMBERED_SENTENCES = 4096


class RememberedVectors:
    """``embed`` (texts -> normalised vectors) with the vectors of texts seen before kept (least recently used
    out first); only the texts not seen are embedded, in one call."""

    def __init__(self, embed: Callable[[list[str]], Sequence], size: int = REMEMBERED_SENTENCES) -> None:
        self._embed = embed
        self._size = size
        self._kept: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._kept))
        fresh = np.asarray(self._embed(missing), dtype=np.float32) if missing else np.zeros((0, 0), np.float32)
        with self._lock:
            for text, vector in zip(missing, fresh, strict=True):
                self._kept[text] = vector
            out = []
            for text in texts:
                vector = self._kept.get(text)
                if vector is None:  # dropped by another thread's additions meanwhile: its fresh vector
                    vector = fresh[missing.index(text)]
                else:
                    self._kept.move_to_end(text)
                out.append(vector)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return np.stack(out) if out else np.zeros((0, 0), np.float32)
