"""The BM25 side of hybrid search: a `bm25s` index over the same chunks, stamped with the corpus version."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from qa.core.types import Passage

_STAMP = "stamp.json"


def _stemmer():
    return Stemmer.Stemmer("english")


def passage_terms_text(passage: Passage) -> str:
    """What BM25 sees of a chunk: title, outlet and text (titles name who and what an article is about)."""
    return f"{passage.title}\n{passage.source}\n{passage.text}"


class Bm25Index:
    """Sparse keyword search over chunk ids; ``version`` is the corpus version it was built from."""

    def __init__(self, retriever, chunk_ids: list[str], version: int) -> None:
        self._retriever = retriever
        self.chunk_ids = chunk_ids
        self.version = version
        self._stemmer = _stemmer()

    @classmethod
    def build(cls, passages: Iterable[Passage], version: int) -> Bm25Index:
        ids, texts = [], []
        for passage in passages:
            ids.append(passage.chunk_id)
            texts.append(passage_terms_text(passage))
        retriever = bm25s.BM25()
        if texts:
            tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)
            retriever.index(tokens, show_progress=False)
        return cls(retriever if texts else None, ids, version)

    def scores_for(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (aligned with ``chunk_ids``)."""
        if self._retriever is None:
            return np.zeros(0)
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=self._stemmer, show_progress=False, return_ids=False)
        if not tokens or not tokens[0]:  # only stop words, symbols or emoji: bm25s would fail on no tokens
            return np.zeros(len(self.chunk_ids))
        return self._retriever.get_scores(tokens[0])

    def terms(self, texts: list[str]) -> list[list[str]]:
        """The index's own view of ``texts``: stemmed words without stop words."""
        if not texts:
            return []
        return bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, show_progress=False, return_ids=False)

    def doc_freq(self, term: str) -> int:
        """How many chunks contain ``term`` (0 when the corpus never uses it)."""
        if self._retriever is None:
            return 0
        index = self._retriever.vocab_dict.get(term)
        if index is None:
            return 0
        indptr = self._retriever.scores["indptr"]
        return int(indptr[index + 1] - indptr[index])

    def save(self, folder: Path) -> None:
        """Write atomically: a reader sees the old index or the new one, never half of each."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".bm25-", dir=folder.parent))
        try:
            if self._retriever is not None:
                self._retriever.save(str(staging / "index"))
            (staging / "ids.json").write_text(json.dumps(self.chunk_ids))
            (staging / _STAMP).write_text(json.dumps({"version": self.version, "chunks": len(self.chunk_ids)}))
            old = folder.with_name(folder.name + ".old")
            if old.exists():
                shutil.rmtree(old, ignore_errors=True)
            if folder.exists():
                os.replace(folder, old)
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> Bm25Index | None:
        """The saved index, or None when absent or unreadable (the caller rebuilds)."""
        try:
            stamp = json.loads((folder / _STAMP).read_text())
            ids = json.loads((folder / "ids.json").read_text())
            retriever = bm25s.BM25.load(str(folder / "index")) if ids else None
        except (OSError, ValueError, KeyError):
            return None
        return cls(retriever, ids, int(stamp["version"]))

    @staticmethod
    def saved_version(folder: Path) -> int | None:
        try:
            return int(json.loads((folder / _STAMP).read_text())["version"])
        except (OSError, ValueError, KeyError):
            return None
