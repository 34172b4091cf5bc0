"""Search arrays persisted beside Chroma: a derived, rebuildable cache of one corpus version that readers
memory-map instead of rebuilding from the store (start-up does not grow with the corpus; processes
share pages).

Layout under ``Settings.arrays_dir``: ``segments/<name>/`` immutable folders (`qa.store.segment`) and
``current.json``, the version file: corpus version, index configuration, and the segments with the
rows deleted from each. A new version is published by writing new segments, then replacing
``current.json`` atomically (temporary file, fsync, rename): a kill at any point leaves the previous
version serving, and the next writer deletes the unreferenced leftovers. Chroma stays the record of
truth: `qa.store.sync` writes these from it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from qa.core.types import Passage
from qa.store.bm25 import Bm25Index, Part
from qa.store.quantized import best_rows
from qa.store.segment import ArticleRow, Segment

CURRENT = "current.json"
_OPEN: weakref.WeakValueDictionary[str, Segment] = weakref.WeakValueDictionary()  # segment name -> open segment
SEGMENTS = "segments"
FORMAT = 2  # bump when the files change meaning: older arrays are then rebuilt from the store (2: story signatures)


class LiveArticle(NamedTuple):
    """A live article of the arrays: its table row and where its chunks are (``count`` rows from ``first``
    in ``segment``)."""

    row: ArticleRow
    segment: Segment
    first: int
    count: int


@dataclass(frozen=True)
class SegmentRef:
    name: str
    deleted: tuple[int, ...] = ()


@dataclass(frozen=True)
class VersionFile:
    """What ``current.json`` says: the corpus version these arrays hold and where its rows are."""

    version: int
    config: dict
    dim: int
    segments: tuple[SegmentRef, ...] = ()
    format: int = FORMAT
    stories: dict[str, str] = field(default_factory=dict)  # article id -> story id, articles with copies only

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": self.format,
                "version": self.version,
                "config": self.config,
                "dim": self.dim,
                "segments": [{"name": s.name, "deleted": list(s.deleted)} for s in self.segments],
                "stories": self.stories,
            }
        )


def read_version(folder: Path) -> VersionFile | None:
    """The published version, or None when there is none (or it is unreadable or of another format)."""
    try:
        data = json.loads((folder / CURRENT).read_text())
        if data.get("format") != FORMAT:
            return None
        refs = tuple(SegmentRef(s["name"], tuple(s["deleted"])) for s in data["segments"])
        stories = {str(a): str(s) for a, s in data["stories"].items()}
        return VersionFile(int(data["version"]), data["config"], int(data["dim"]), refs, stories=stories)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def signature(folder: Path) -> tuple[int, int] | None:
    """Identity of the published version file (changes with every publish); None before the first."""
    try:
        st = (folder / CURRENT).stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def publish(folder: Path, version: VersionFile, keep: VersionFile | None = None) -> None:
    """Make ``version`` the current one atomically, then delete segments neither it nor ``keep`` (the
    version it replaces, which running readers may still be opening) names."""
    staging = folder / f".{CURRENT}.tmp"
    with open(staging, "w") as handle:
        handle.write(version.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, folder / CURRENT)
    wanted = {s.name for s in version.segments} | ({s.name for s in keep.segments} if keep else set())
    root = folder / SEGMENTS
    for path in root.iterdir() if root.is_dir() else ():
        if path.name not in wanted:
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def publish_lock(folder: Path) -> Iterator[None]:
    """One publisher per arrays folder at a time (processes sharing a data dir in server mode)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "publish.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class LiveIds:
    """The live chunk ids, read on demand (len is cheap; iterating reads every id)."""

    def __init__(self, arrays: Arrays) -> None:
        self._arrays = arrays

    def __len__(self) -> int:
        return self._arrays.live

    def __iter__(self) -> Iterator[str]:
        for segment, alive in zip(self._arrays.segments, self._arrays.alive, strict=True):
            for row in np.flatnonzero(alive):
                yield segment.chunk_id(int(row))


@dataclass
class Arrays:
    """One published version, opened: its segments memory-mapped, rows numbered across segments."""

    folder: Path
    file: VersionFile
    segments: list[Segment] = field(default_factory=list)
    alive: list[np.ndarray] = field(default_factory=list)  # bool per segment row
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))

    @classmethod
    def open(cls, folder: Path, file: VersionFile) -> Arrays:
        """Segments this process has open already are reused (a segment's name is unique and its files
        never change, even when linked into a chat snapshot): a new version costs its new segments only."""
        arrays = cls(folder, file)
        for ref in file.segments:
            segment = _OPEN.get(ref.name)
            if segment is None:
                segment = _OPEN[ref.name] = Segment(folder / SEGMENTS / ref.name)
            alive = np.ones(segment.rows, dtype=bool)
            alive[list(ref.deleted)] = False
            arrays.segments.append(segment)
            arrays.alive.append(alive)
        arrays.offsets = np.concatenate([[0], np.cumsum([s.rows for s in arrays.segments], dtype=np.int64)])
        return arrays

    @property
    def version(self) -> int:
        return self.file.version

    @property
    def total_rows(self) -> int:
        return int(self.offsets[-1])

    @property
    def live(self) -> int:
        return int(sum(int(a.sum()) for a in self.alive))

    def bm25(self) -> Bm25Index:
        parts = [
            Part(s.postings, int(o), a, bool(a.all()))
            for s, o, a in zip(self.segments, self.offsets, self.alive, strict=False)
        ]
        return Bm25Index(parts, self.total_rows, self.version, LiveIds(self))

    def locate(self, row: int) -> tuple[Segment, int]:
        index = int(np.searchsorted(self.offsets, row, side="right")) - 1
        return self.segments[index], row - int(self.offsets[index])

    def passage(self, row: int) -> Passage:
        segment, local = self.locate(row)
        return segment.passage(local)

    def sentence_terms(self, row: int) -> list[frozenset[str]]:
        segment, local = self.locate(row)
        return segment.sentence_terms(local)

    def vectors(self, rows) -> np.ndarray:
        """The vectors of global ``rows`` as one (len(rows), dim) float32 array."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        out = np.empty((len(rows), self.file.dim), dtype=np.float32)
        which = np.searchsorted(self.offsets, rows, side="right") - 1
        for index in np.unique(which):
            mask = which == index
            out[mask] = self.segments[index].vectors[rows[mask] - self.offsets[index]]
        return out

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        """Cosine of ``vector`` with every row (dead rows -inf), one segment at a time."""
        scores = np.full(self.total_rows, -np.inf, dtype=np.float32)
        for segment, alive, offset in zip(self.segments, self.alive, self.offsets, strict=False):
            part = _blocked_dot(segment.vectors, vector)
            if not alive.all():
                part[~alive] = -np.inf
            scores[offset : offset + segment.rows] = part
        return scores

    def nearest(self, vector: np.ndarray, n: int, approximate: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Live global rows holding the best ``n`` cosines with ``vector``, and those cosines (-inf: dead), in no
        order. ``approximate``: a segment of `APPROXIMATE_MIN_ROWS` or more with int8 codes gives only the rows its
        codes rank best (`RESCORE_FACTOR` x ``n``, plus its dead rows), scored exactly (`qa.store.quantized`)."""
        if not approximate:
            scores = self.similarities(vector)
            return np.arange(len(scores)), scores
        found_rows, found_scores = [], []
        for segment, alive, offset in zip(self.segments, self.alive, self.offsets, strict=False):
            if segment.codes is None or segment.rows < APPROXIMATE_MIN_ROWS:
                rows, scores = np.arange(segment.rows), _blocked_dot(segment.vectors, vector)
            else:
                keep = RESCORE_FACTOR * n + int(segment.rows - alive.sum())
                rows, scores = best_rows(segment.codes, segment.vectors, vector, keep)
            found_rows.append(rows + offset)
            found_scores.append(np.where(alive[rows], scores, -np.inf).astype(np.float32))
        if not found_rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return np.concatenate(found_rows), np.concatenate(found_scores)

    def rows_where(self, accepts: Callable[[str, str], bool]) -> np.ndarray:
        """Live global rows whose article's (outlet, date) ``accepts`` says yes to: asked once per distinct pair
        of a segment, not once per article (a million chunks hold ~250k articles but a few thousand pairs)."""
        found = [np.zeros(0, dtype=np.int64)]
        for segment, alive, offset in zip(self.segments, self.alive, self.offsets, strict=False):
            pairs, codes = _outlet_dates(segment)
            keep = np.fromiter((bool(accepts(*pair)) for pair in pairs), dtype=bool, count=len(pairs))
            found.append(np.flatnonzero(keep[codes][segment.owner] & alive) + offset)
        return np.concatenate(found)

    def article_rows(self) -> dict[str, range]:
        """Live article id -> its global rows. An updated article's old rows are dead, its new rows live in a
        later segment: only the live ones belong to the article as it is now."""
        index = {id(s): o for s, o in zip(self.segments, self.offsets, strict=False)}
        return {
            a.row.article_id: range(index[id(a.segment)] + a.first, index[id(a.segment)] + a.first + a.count)
            for a in self.articles()
        }

    def signatures(self) -> dict[str, np.ndarray]:
        """Live article id -> its stored MinHash signature (`qa.store.stories`)."""
        return {a.row.article_id: a.segment.signatures[int(a.segment.owner[a.first])] for a in self.articles()}

    def articles(self) -> Iterator[LiveArticle]:
        """Every live article; dead articles are skipped."""
        for segment, alive in zip(self.segments, self.alive, strict=True):
            for first, count, _ in segment.article_rows.values():
                if count and alive[first]:
                    yield LiveArticle(segment.articles[int(segment.owner[first])], segment, first, count)


_PAIRS: weakref.WeakKeyDictionary[Segment, tuple[list[tuple[str, str]], np.ndarray]] = weakref.WeakKeyDictionary()


def _outlet_dates(segment: Segment) -> tuple[list[tuple[str, str]], np.ndarray]:
    """A segment's distinct (outlet, date) pairs and each article's pair number; computed once per open segment."""
    if segment not in _PAIRS:
        numbers: dict[tuple[str, str], int] = {}
        codes = np.fromiter(
            (numbers.setdefault((a.source, a.published), len(numbers)) for a in segment.articles),
            dtype=np.int32,
            count=len(segment.articles),
        )
        _PAIRS[segment] = (list(numbers), codes)
    return _PAIRS[segment]


APPROXIMATE_MIN_ROWS = 16384  # smaller segments (ingest deltas) are scanned exactly: cheaper than a scan call
RESCORE_FACTOR = 2  # rows rescored per segment, per row wanted: recall@10 1.0 against exact at 100k-1M (bench)
_BLOCK = 65536  # rows per matrix-vector product: bounded temporary memory at any corpus size


def _blocked_dot(vectors: np.ndarray, vector: np.ndarray) -> np.ndarray:
    out = np.empty(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), _BLOCK):
        out[start : start + _BLOCK] = np.asarray(vectors[start : start + _BLOCK], dtype=np.float32) @ vector
    return out
