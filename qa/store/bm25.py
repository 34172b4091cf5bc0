"""The BM25 side of hybrid search, in segments: each segment holds the raw postings (term -> rows, term
frequencies) and row lengths of some chunks; scores are computed at query time from the live rows of
every segment, so adding k articles writes one small segment (O(k)) and deleting marks rows dead.

The scores equal a `bm25s` index (method "lucene", k1=1.5, b=0.75, English stop words, Snowball
stemmer) built from scratch over the live chunks, up to float error (tested): same tokenisation, same
IDF over the live documents, same average length. Reading needs numpy and PyStemmer only (no scipy)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.core.types import Passage
from qa.store import mapped
from qa.text.terms import stem_words

K1 = 1.5  # bm25s defaults: the scores the dev-set figures were measured with
B = 0.75
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s / scikit-learn's default token pattern
# bm25s's English stop words, copied so that reading an index does not import bm25s (and scipy)
_STOP_TEXT = "a an and are as at be but by for if in into is it no not of on or such that the their then there these "
STOP_WORDS = frozenset((_STOP_TEXT + "they this to was will with").split())


def passage_terms_text(passage: Passage) -> str:
    """What BM25 sees of a chunk: title, outlet and text (titles name who and what an article is about)."""
    return f"{passage.title}\n{passage.source}\n{passage.text}"


def tokenize(texts: Iterable[str]) -> list[list[str]]:
    """Each text as BM25 terms: lower-cased words of 2+ characters, no stop words, stemmed."""
    split = [[w for w in _TOKEN.findall(text.lower()) if w not in STOP_WORDS] for text in texts]
    flat = stem_words([w for words in split for w in words])
    out, at = [], 0
    for words in split:
        out.append(flat[at : at + len(words)])
        at += len(words)
    return out


@dataclass(frozen=True)
class Postings:
    """One segment's inverted index: ``docs[indptr[t]:indptr[t+1]]`` are the rows holding term ``t``."""

    vocab: dict[str, int]
    indptr: np.ndarray  # int64, len(vocab) + 1
    docs: np.ndarray  # int32 row numbers inside the segment
    tfs: np.ndarray  # float32 term frequencies, aligned with docs
    lengths: np.ndarray  # int32 terms per row
    names: list[str] = field(default_factory=list)  # term id -> term (read from disk; empty when just built)

    @classmethod
    def build(cls, term_lists: Sequence[list[str]]) -> Postings:
        ids: dict[str, int] = {}
        flat = np.fromiter((ids.setdefault(term, len(ids)) for terms in term_lists for term in terms), dtype=np.int64)
        lengths = np.fromiter((len(t) for t in term_lists), dtype=np.int32, count=len(term_lists))
        rows = np.repeat(np.arange(len(term_lists), dtype=np.int64), lengths)
        order = np.argsort(np.fromiter(ids, dtype=object, count=len(ids)).astype(str), kind="stable")
        rank = np.empty(len(ids), dtype=np.int64)
        rank[order] = np.arange(len(ids))  # terms numbered in sorted order: one layout for equal inputs
        keys, tfs = np.unique(rank[flat] * max(1, len(term_lists)) + rows, return_counts=True)
        terms, docs = np.divmod(keys, max(1, len(term_lists)))
        indptr = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=len(ids)), out=indptr[1:])
        names = list(ids)
        vocab = {names[i]: n for n, i in enumerate(order.tolist())}
        return cls(vocab, indptr, docs.astype(np.int32), tfs.astype(np.float32), lengths)

    def save(self, folder: Path) -> None:
        (folder / "vocab.json").write_text(json.dumps(list(self.vocab)))
        for name in ("indptr", "docs", "tfs", "lengths"):
            np.save(folder / f"{name}.npy", getattr(self, name))

    @classmethod
    def open(cls, folder: Path) -> Postings:
        """Memory-mapped: pages are read when a query touches them and shared between processes."""
        names = json.loads((folder / "vocab.json").read_text())
        vocab = {term: i for i, term in enumerate(names)}
        arrays = {n: mapped.load(folder / f"{n}.npy", random=True) for n in ("indptr", "docs", "tfs", "lengths")}
        return cls(vocab, **arrays, names=names)

    def rows_of(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, term frequencies) of ``term`` in this segment; empty when absent."""
        index = self.vocab.get(term)
        if index is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        a, b = int(self.indptr[index]), int(self.indptr[index + 1])
        return self.docs[a:b], self.tfs[a:b]


@dataclass(frozen=True)
class Part:
    """A segment's postings placed in the corpus: its first global row and which of its rows are live."""

    postings: Postings
    offset: int
    alive: np.ndarray  # bool per segment row
    full: bool = False  # every row alive: postings need no filtering


class Bm25Index:
    """Sparse keyword search over every live row of the segments; ``version`` is the corpus version."""

    def __init__(self, parts: list[Part], total_rows: int, version: int, chunk_ids: Sequence[str]) -> None:
        self.parts = parts
        self.total_rows = total_rows
        self.version = version
        self.chunk_ids = chunk_ids  # live chunk ids (len == documents BM25 counts)
        self.live = sum(int(p.alive.sum()) for p in parts)
        length = sum(float(p.postings.lengths[p.alive].sum()) for p in parts)
        self.average_length = length / self.live if self.live else 1.0

    def _postings(self, term: str) -> list[tuple[Part, np.ndarray, np.ndarray]]:
        found = []
        for part in self.parts:
            rows, tfs = part.postings.rows_of(term)
            if len(rows) and part.full:
                found.append((part, rows, tfs))
            elif len(rows):
                keep = part.alive[rows]
                found.append((part, rows[keep], tfs[keep]))
        return found

    def scores_for(self, query: str) -> np.ndarray:
        """BM25 score of every row for ``query`` (dead rows and a question without terms score 0)."""
        return self.scores_for_terms(tokenize([query])[0])

    def scores_for_terms(self, terms: Sequence[str]) -> np.ndarray:
        """`scores_for` a question already tokenized (``terms(...)``): repeated terms count again, as in bm25s."""
        scores = np.zeros(self.total_rows, dtype=np.float32)
        for term in terms:
            found = self._postings(term)
            df = sum(len(rows) for _, rows, _ in found)
            if not df:
                continue
            idf = np.log(1 + (self.live - df + 0.5) / (df + 0.5))
            for part, rows, tfs in found:
                norm = K1 * ((1 - B) + B * part.postings.lengths[rows] / self.average_length)
                scores[part.offset + rows] += (idf * tfs / (norm + tfs)).astype(np.float32)
        return scores

    def terms(self, texts: list[str]) -> list[list[str]]:
        """The index's own view of ``texts``: stemmed words without stop words."""
        return tokenize(texts) if texts else []

    def doc_freq(self, term: str) -> int:
        """How many live chunks contain ``term`` (0 when the corpus never uses it)."""
        return sum(len(rows) for _, rows, _ in self._postings(term))
