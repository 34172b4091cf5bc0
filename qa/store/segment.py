"""One immutable segment of the search arrays: the chunks of some articles, as files memory-mapped by readers.

A segment folder holds the chunks' vectors (float32, unit length), their texts and ids (one UTF-8 blob
plus offsets each), per-row numbers (article, chunk index, start, end), the article table (id, content
hash, title, outlet, url, author, date), each article's MinHash signature (`qa.store.stories`) and the BM25
postings of its rows. Written once under a
temporary name and renamed into place, never changed afterwards: deleting a chunk is a mark in the
version file (`qa.store.arrays`), not an edit here."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np

from qa.core.types import Passage
from qa.store import mapped
from qa.store.bm25 import Postings, passage_terms_text, tokenize
from qa.store.quantized import Codes, save_codes
from qa.store.stories import NUM_PERM, body_text
from qa.store.stories import signature as story_signature
from qa.text.sentences import sentence_spans

Sentences = list[list[str]]  # one chunk's sentences, each as its BM25 terms


class ArticleRow(NamedTuple):
    """One article's row of a segment's article table (``articles.json`` stores it as a list, in this order)."""

    article_id: str
    content_hash: str
    title: str
    source: str
    url: str
    author: str
    published: str
    uploaded: str = ""  # added from the chat at (ISO UTC); segments written before it have seven fields


ARTICLE_FIELDS = ArticleRow._fields


class ArticleSpan(NamedTuple):
    """Where one article's chunks sit in a segment: they are contiguous."""

    first: int
    count: int
    content_hash: str


@dataclass(frozen=True)
class ArticleChunks:
    """One article's chunks, ready to be written: its fields, its passages in order, their vectors."""

    article_id: str
    content_hash: str
    passages: tuple[Passage, ...]
    vectors: np.ndarray  # (chunks, dim) float32


def _blob(folder: Path, name: str, texts: list[str]) -> None:
    encoded = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    (folder / f"{name}.bin").write_bytes(b"".join(encoded))
    np.save(folder / f"{name}_off.npy", offsets)


def chunk_sentences(passages: list[Passage]) -> list[Sentences]:
    """Each chunk's sentences as BM25 terms (what sentence matching compares a question to)."""
    spans = [sentence_spans(p.text) for p in passages]
    flat = iter(tokenize(p.text[a:b] for p, chunk in zip(passages, spans, strict=True) for a, b in chunk))
    return [[next(flat) for _ in chunk] for chunk in spans]


def _sentence_arrays(folder: Path, sentences: list[Sentences], vocab: dict[str, int]) -> None:
    """Sentence terms as ids into the segment's vocabulary: rows -> sentences -> term ids."""
    per_row = np.zeros(len(sentences) + 1, dtype=np.int64)
    np.cumsum([len(chunk) for chunk in sentences], out=per_row[1:])
    flat = [terms for chunk in sentences for terms in chunk]
    per_sentence = np.zeros(len(flat) + 1, dtype=np.int64)
    np.cumsum([len(terms) for terms in flat], out=per_sentence[1:])
    ids = np.fromiter((vocab[t] for terms in flat for t in terms), dtype=np.int32, count=int(per_sentence[-1]))
    np.save(folder / "row_sentences.npy", per_row)
    np.save(folder / "sentence_terms_off.npy", per_sentence)
    np.save(folder / "sentence_terms.npy", ids)


def write_segment(
    root: Path,
    articles: list[ArticleChunks],
    dim: int,
    terms: list[list[str]] | None = None,
    sentences: list[Sentences] | None = None,
) -> str:
    """Write ``articles`` as a new segment under ``root``; returns its name (``terms``, ``sentences``: each
    chunk's BM25 terms and sentence terms when the caller has them already). Atomic: a kill leaves at most
    a ``.tmp-*`` folder, which the next writer removes."""
    name = uuid.uuid4().hex[:16]
    staging = root / f".tmp-{name}"
    staging.mkdir(parents=True)
    try:
        passages = [p for a in articles for p in a.passages]
        table = [
            ArticleRow(a.article_id, a.content_hash, p.title, p.source, p.url, p.author, p.published, p.uploaded)
            for a, p in ((a, a.passages[0]) for a in articles)
        ]
        owner = np.repeat(np.arange(len(articles), dtype=np.int32), [len(a.passages) for a in articles])
        numbers = np.array([[p.chunk_index, p.start, p.end] for p in passages], dtype=np.int64).reshape(-1, 3)
        vectors = np.concatenate([a.vectors for a in articles]) if articles else np.zeros((0, dim))
        np.save(staging / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32))
        save_codes(staging, vectors)
        np.save(staging / "owner.npy", owner)
        np.save(staging / "numbers.npy", numbers)
        signatures = [story_signature(body_text(a.passages)) for a in articles]  # near-duplicates (`stories`)
        np.save(staging / "signatures.npy", np.asarray(signatures, dtype=np.uint32).reshape(-1, NUM_PERM))
        _blob(staging, "text", [p.text for p in passages])
        _blob(staging, "ids", [p.chunk_id for p in passages])
        (staging / "articles.json").write_text(json.dumps(table, ensure_ascii=False))
        postings = Postings.build(terms if terms is not None else tokenize(passage_terms_text(p) for p in passages))
        postings.save(staging)
        _sentence_arrays(staging, sentences if sentences is not None else chunk_sentences(passages), postings.vocab)
        for path in staging.iterdir():  # on disk before the version file can name the segment
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        os.replace(staging, root / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return name


class Segment:
    """A segment opened for reading: every array memory-mapped, passages built on demand."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = folder.name

        def load(name: str, random: bool = True) -> np.ndarray:
            return mapped.load(folder / f"{name}.npy", random)

        self.vectors = load("vectors", random=False)  # scanned whole by every question
        self.codes = Codes.open(folder)  # int8 codes for approximate scans (None in segments written before them)
        self.owner = load("owner", random=False)  # read whole by filters (`Arrays.rows_where`)
        self.numbers = load("numbers")
        self.signatures = load("signatures", random=False)  # one MinHash per article of the table, in its order
        self._text_off, self._ids_off = load("text_off"), load("ids_off")
        self._text, self._ids = mapped.map_bytes(folder / "text.bin", True), mapped.map_bytes(folder / "ids.bin", True)
        self._row_sentences, self._sentence_off = load("row_sentences"), load("sentence_terms_off")
        self._sentence_terms = load("sentence_terms")
        self.articles = [ArticleRow(*row) for row in json.loads((folder / "articles.json").read_text())]
        self.postings = Postings.open(folder)
        self.rows = len(self.owner)

    def chunk_id(self, row: int) -> str:
        return self._ids[int(self._ids_off[row]) : int(self._ids_off[row + 1])].decode("utf-8")

    def sentence_terms(self, row: int) -> list[frozenset[str]]:
        """The row's sentences, each as the set of its BM25 terms."""
        first, last = int(self._row_sentences[row]), int(self._row_sentences[row + 1])
        bounds = self._sentence_off[first : last + 1].tolist()
        if not bounds:
            return []
        names, base = self.postings.names, bounds[0]
        words = [names[i] for i in self._sentence_terms[base : bounds[-1]].tolist()]
        return [frozenset(words[a - base : b - base]) for a, b in zip(bounds, bounds[1:], strict=False)]

    def passage(self, row: int) -> Passage:
        article = self.articles[int(self.owner[row])]
        chunk_index, start, end = self.numbers[row].tolist()
        return Passage(
            chunk_id=self.chunk_id(row),
            article_id=article.article_id,
            text=self._text[int(self._text_off[row]) : int(self._text_off[row + 1])].decode("utf-8"),
            start=start,
            end=end,
            title=article.title,
            source=article.source,
            url=article.url,
            published=article.published,
            author=article.author,
            chunk_index=chunk_index,
            uploaded=article.uploaded,
        )

    @cached_property
    def article_rows(self) -> dict[str, ArticleSpan]:
        """article id -> where its chunks are (an article's chunks are contiguous) and its content hash."""
        firsts = np.searchsorted(self.owner, np.arange(len(self.articles) + 1))
        return {
            a.article_id: ArticleSpan(int(firsts[i]), int(firsts[i + 1] - firsts[i]), a.content_hash)
            for i, a in enumerate(self.articles)
        }

    def article_chunks(self, article_id: str) -> ArticleChunks:
        first, count, content_hash = self.article_rows[article_id]
        rows = range(first, first + count)
        return ArticleChunks(
            article_id,
            content_hash,
            tuple(self.passage(r) for r in rows),
            np.array(self.vectors[first : first + count]),
        )
