"""The search side of one corpus version, read from the persisted search arrays (`qa.store.arrays`):
memory-mapped vectors, BM25 segments and chunk rows, opened in milliseconds whatever the corpus size.

Embedded mode answers from the arrays alone: the last ingest published them under the writer lock, so
their version file is the corpus version readers serve; Chroma is opened only to rebuild missing arrays.
Server mode asks the server for its version on each question and catches up by delta when it moved."""

from __future__ import annotations

import contextlib
import functools
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from qa.core.errors import StoreError, WriterBusyError
from qa.core.settings import Settings
from qa.core.types import Filters
from qa.store.arrays import Arrays, read_version, signature
from qa.store.bm25 import Bm25Index
from qa.store.config import index_config, mismatch
from qa.store.lock import writer_lock
from qa.store.stories import Copy, story_copies

ROW_CACHE = 4096  # rows whose passage (and, apart, sentence terms) are kept: a question reads ~450 rows of each
# (40 MultiHop questions on 100k chunks), so this holds the last ~9 questions' rows; at 50,000 the sentence terms
# alone grew to ~280 MB over a long chat (~5.5 KB a row as frozensets; docs/benchmarks.md, "Memory of a reader")


class Rows:
    """``rows[i]`` built on demand from the arrays: passages, vectors (``rows[list]``), sentence terms."""

    def __init__(self, arrays: Arrays, read: Callable) -> None:
        self._arrays = arrays
        self._read = read

    def __len__(self) -> int:
        return self._arrays.total_rows

    def __getitem__(self, row):
        return self._read(row)


class Cached(Rows):
    """`Rows` that remember the `ROW_CACHE` rows used last (a question reads a few hundred rows, often the
    same ones several times)."""

    def __init__(self, arrays: Arrays, read: Callable) -> None:
        super().__init__(arrays, functools.lru_cache(maxsize=ROW_CACHE)(read))

    @property
    def cached(self) -> int:
        """How many rows are kept now."""
        return self._read.cache_info().currsize


class OutletRows:
    """outlet -> its live rows, computed per outlet on first use."""

    def __init__(self, arrays: Arrays) -> None:
        self._arrays = arrays
        self._found: dict[str, np.ndarray] = {}

    def get(self, outlet: str, default=None) -> np.ndarray:
        if outlet not in self._found:
            self._found[outlet] = self._arrays.rows_where(lambda source, _date: source == outlet)
        rows = self._found[outlet]
        return rows if len(rows) else default


@dataclass(frozen=True)
class Corpus:
    """One corpus version: the BM25 index and, aligned with its rows, every chunk's passage and vector."""

    arrays: Arrays
    bm25: Bm25Index
    passages: Cached
    vectors: Rows
    outlet_rows: OutletRows
    sentence_terms: Cached
    signature: object = field(default=None, compare=False)

    @classmethod
    def open(cls, arrays: Arrays, signature: object = None) -> Corpus:
        sentences = Cached(arrays, arrays.sentence_terms)
        return cls(
            arrays,
            arrays.bm25(),
            Cached(arrays, arrays.passage),
            Rows(arrays, arrays.vectors),
            OutletRows(arrays),
            sentences,
            signature,
        )

    def nearest(
        self, vector: np.ndarray, n: int, rows: np.ndarray | None = None, approximate: bool = False
    ) -> list[int]:
        """Top ``n`` live rows by cosine, among ``rows`` when given (a filter's rows, scanned exactly); over every
        row ``approximate`` lets large segments rank by their int8 codes first (`Arrays.nearest`)."""
        if rows is None:
            rows, scores = self.arrays.nearest(vector, n, approximate)
        else:
            scores = self.arrays.vectors(rows) @ vector if len(rows) else np.zeros(0, dtype=np.float32)
        if not len(rows):
            return []
        top = np.argpartition(-scores, min(n, len(rows)) - 1)[:n]
        return [int(rows[i]) for i in top if np.isfinite(scores[i])]

    def filtered_rows(self, filters: Filters) -> np.ndarray | None:
        """Live rows ``filters`` accepts; None when nothing is filtered."""
        if not (filters.outlets or filters.since or filters.until):
            return None
        return self.arrays.rows_where(filters.accepts_article)

    @cached_property
    def stories(self) -> dict[str, tuple[Copy, ...]]:
        """article id -> the copies of its story, earliest first, for articles that have copies (`qa.store.stories`)."""
        stories = self.arrays.file.stories
        if not stories:
            return {}
        return story_copies(
            stories, (Copy(a.row.article_id, a.row.source, a.row.published) for a in self.arrays.articles())
        )

    @cached_property
    def articles(self) -> list[tuple[str, str, str]]:
        """(title, outlet, published) of every live article."""
        return [(a.row.title, a.row.source, a.row.published) for a in self.arrays.articles()]

    @cached_property
    def outlet_of(self) -> dict[str, str]:
        """The outlet of every live article, by article id."""
        return {a.row.article_id: a.row.source for a in self.arrays.articles()}


class CorpusCache:
    """The `Corpus` of the current version; reopened when a new version is published (or, with a server,
    when the server's corpus version moves on). ``open_store`` opens Chroma, only when it is needed."""

    def __init__(self, settings: Settings, open_store: Callable) -> None:
        self.settings = settings
        self.open_store = open_store
        self.config = index_config(settings)
        self._corpus: Corpus | None = None
        self._lock = threading.Lock()

    def corpus(self) -> Corpus:
        folder = self.settings.arrays_dir
        key = self.open_store().version() if self.settings.chroma_url else signature(folder)
        with self._lock:
            if self._corpus is None or self._corpus.signature != key:
                self._corpus = self._load(folder, key)
            return self._corpus

    def _load(self, folder: Path, key) -> Corpus:
        file = read_version(folder)
        current = file is not None and (not self.settings.chroma_url or file.version == key)
        if current and file.config != self.config:  # stale server arrays are rebuilt (the store checks) below
            location = self.settings.chroma_url or str(self.settings.chroma_dir.resolve())
            raise mismatch(location, file.config, self.config)
        arrays = None
        if current:
            with contextlib.suppress(OSError, ValueError, KeyError, IndexError):  # damaged: rebuilt below
                arrays = Arrays.open(folder, file)
        if arrays is None:
            arrays = self._rebuild(folder, key)
            key = signature(folder) if not self.settings.chroma_url else key
        return Corpus.open(arrays, key)

    def _rebuild(self, folder: Path, key) -> Arrays:
        """Arrays from the store: published when we may write them, else private to this process."""
        from qa.store.sync import sync_arrays  # opens Chroma (a second to import): only for a rebuild

        store = self.open_store()
        store.check_config(self.config, adopt=False)
        version = key if self.settings.chroma_url else None
        try:
            if self.settings.chroma_url:
                return sync_arrays(store, folder, self.config, version)
            with writer_lock(self.settings):
                return sync_arrays(store, folder, self.config)
        except (WriterBusyError, StoreError, OSError):  # an ingest is writing, or the data dir is read-only
            private = Path(tempfile.mkdtemp(prefix="qa-arrays-"))
            try:
                return sync_arrays(store, private, self.config, version)
            finally:
                shutil.rmtree(private, ignore_errors=True)  # the open arrays stay mapped
