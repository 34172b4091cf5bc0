"""One immutable segment of the search arrays: the chunks of some articles, as files memory-mapped by readers.

A segment folder holds the chunks' vectors (float32, unit length), their texts and ids (one UTF-8 blob
plus offsets each), per-row numbers (article, chunk index, start, end), the article table (id, content
hash, title, outlet, url, author, date) and the BM25 postings of its rows. Written once under a
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

import numpy as np

from qa.core.types import Passage
from qa.store.bm25 import Postings, passage_terms_text, tokenize

ARTICLE_FIELDS = ("article_id", "content_hash", "title", "source", "url", "author", "published")


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


def write_segment(root: Path, articles: list[ArticleChunks], dim: int) -> str:
    """Write ``articles`` as a new segment under ``root``; returns its name. Atomic: a kill leaves at
    most a ``.tmp-*`` folder, which the next writer removes."""
    name = uuid.uuid4().hex[:16]
    staging = root / f".tmp-{name}"
    staging.mkdir(parents=True)
    try:
        passages = [p for a in articles for p in a.passages]
        table = []
        for article in articles:
            first = article.passages[0]
            table.append(
                [
                    article.article_id,
                    article.content_hash,
                    first.title,
                    first.source,
                    first.url,
                    first.author,
                    first.published,
                ]
            )
        owner = np.repeat(np.arange(len(articles), dtype=np.int32), [len(a.passages) for a in articles])
        numbers = np.array([[p.chunk_index, p.start, p.end] for p in passages], dtype=np.int64).reshape(-1, 3)
        vectors = np.concatenate([a.vectors for a in articles]) if articles else np.zeros((0, dim))
        np.save(staging / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32))
        np.save(staging / "owner.npy", owner)
        np.save(staging / "numbers.npy", numbers)
        _blob(staging, "text", [p.text for p in passages])
        _blob(staging, "ids", [p.chunk_id for p in passages])
        (staging / "articles.json").write_text(json.dumps(table, ensure_ascii=False))
        Postings.build(tokenize(passage_terms_text(p) for p in passages)).save(staging)
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
        load = lambda name: np.load(folder / f"{name}.npy", mmap_mode="r")  # noqa: E731
        self.vectors = load("vectors")
        self.owner = load("owner")
        self.numbers = load("numbers")
        self._text_off, self._ids_off = load("text_off"), load("ids_off")
        self._text = np.memmap(folder / "text.bin", dtype=np.uint8, mode="r") if self._text_off[-1] else b""
        self._ids = np.memmap(folder / "ids.bin", dtype=np.uint8, mode="r") if self._ids_off[-1] else b""
        self.articles: list[list[str]] = json.loads((folder / "articles.json").read_text())
        self.postings = Postings.open(folder)
        self.rows = len(self.owner)

    def _cut(self, blob, offsets, row: int) -> str:
        return bytes(blob[int(offsets[row]) : int(offsets[row + 1])]).decode("utf-8")

    def chunk_id(self, row: int) -> str:
        return self._cut(self._ids, self._ids_off, row)

    def passage(self, row: int) -> Passage:
        article = dict(zip(ARTICLE_FIELDS, self.articles[int(self.owner[row])], strict=True))
        chunk_index, start, end = (int(x) for x in self.numbers[row])
        return Passage(
            chunk_id=self.chunk_id(row),
            article_id=article["article_id"],
            text=self._cut(self._text, self._text_off, row),
            start=start,
            end=end,
            title=article["title"],
            source=article["source"],
            url=article["url"],
            published=article["published"],
            author=article["author"],
            chunk_index=chunk_index,
        )

    @cached_property
    def article_rows(self) -> dict[str, tuple[int, int, str]]:
        """article id -> (first row, rows, content hash): an article's chunks are contiguous."""
        firsts = np.searchsorted(self.owner, np.arange(len(self.articles) + 1))
        return {a[0]: (int(firsts[i]), int(firsts[i + 1] - firsts[i]), a[1]) for i, a in enumerate(self.articles)}

    def article_chunks(self, article_id: str) -> ArticleChunks:
        first, count, content_hash = self.article_rows[article_id]
        rows = range(first, first + count)
        return ArticleChunks(
            article_id,
            content_hash,
            tuple(self.passage(r) for r in rows),
            np.array(self.vectors[first : first + count]),
        )
