"""Hybrid retrieval: dense search in Chroma plus BM25 over the same chunks, blended, diversified."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, replace

from qa.bm25 import Bm25Index
from qa.passage import Passage
from qa.settings import Settings
from qa.store import Store


@dataclass(frozen=True)
class Filters:
    """Explicit restrictions from the user (CLI options or chat controls)."""

    outlets: tuple[str, ...] = ()
    since: str | None = None  # ISO date, inclusive
    until: str | None = None

    def where(self) -> dict | None:
        from ingest.dates import day_number

        clauses: list[dict] = []
        if self.outlets:
            clauses.append({"source": {"$in": list(self.outlets)}})
        if self.since:
            clauses.append({"published_day": {"$gte": day_number(self.since)}})
        if self.until:
            clauses.append({"published_day": {"$lte": day_number(self.until)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def accepts(self, passage: Passage) -> bool:
        if self.outlets and passage.source not in self.outlets:
            return False
        day = passage.published[:10]
        if self.since and (not day or day < self.since):
            return False
        return not (self.until and (not day or day > self.until))


class BM25Side:
    """The BM25 index for the store's current corpus version, reloaded or rebuilt when it changes."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._index: Bm25Index | None = None
        self._lock = threading.Lock()

    def current(self) -> Bm25Index:
        version = self.store.version()
        with self._lock:
            if self._index is None or self._index.version != version:
                index = Bm25Index.load(self.settings.bm25_dir)
                if index is None or index.version != version:
                    index = Bm25Index.build(self.store.iter_passages(), version)
                    with contextlib.suppress(OSError):  # a read-only data dir still answers, from memory
                        index.save(self.settings.bm25_dir)
                self._index = index
            return self._index


class HybridSearch:
    """Dense + BM25 candidates, blended by normalised score, at most a few passages per article."""

    def __init__(self, store: Store, embeddings, settings: Settings) -> None:
        self.store = store
        self.embeddings = embeddings
        self.settings = settings
        self.bm25 = BM25Side(store, settings)

    def search(self, text: str, k: int, filters: Filters = Filters()) -> list[Passage]:
        settings = self.settings
        n = settings.candidates
        dense = self.store.query(self.embeddings.embed_query(text), n, filters.where())
        sparse_hits = self.bm25.current().search(text, n * 3)
        by_id = {p.chunk_id: p for p in dense}
        missing = [cid for cid, _ in sparse_hits if cid not in by_id]
        if missing:
            by_id.update(self.store.get_passages(missing))
        sparse = {cid: score for cid, score in sparse_hits if cid in by_id and filters.accepts(by_id[cid])}
        dense_scores = {p.chunk_id: p.score for p in dense}
        blended = _blend(dense_scores, sparse, settings.dense_weight)
        ranked = [replace(by_id[cid], score=score) for cid, score in blended]
        return diversify(ranked, k, settings.per_article_cap)


def _blend(dense: dict[str, float], sparse: dict[str, float], dense_weight: float) -> list[tuple[str, float]]:
    """Min-max normalise each side, then weighted sum; missing from a side counts as that side's minimum."""

    def normalise(scores: dict[str, float]) -> dict[str, float]:
        if not scores:
            return {}
        low, high = min(scores.values()), max(scores.values())
        span = (high - low) or 1.0
        return {k: (v - low) / span for k, v in scores.items()}

    d, s = normalise(dense), normalise(sparse)
    ids = set(d) | set(s)
    scored = {i: dense_weight * d.get(i, 0.0) + (1 - dense_weight) * s.get(i, 0.0) for i in ids}
    return sorted(scored.items(), key=lambda item: item[1], reverse=True)


def diversify(ranked: list[Passage], k: int, per_article: int) -> list[Passage]:
    """Top ``k`` with at most ``per_article`` passages from one article, then fill with the rest."""
    chosen, counts, overflow = [], {}, []
    for passage in ranked:
        if counts.get(passage.article_id, 0) < per_article:
            chosen.append(passage)
            counts[passage.article_id] = counts.get(passage.article_id, 0) + 1
        else:
            overflow.append(passage)
        if len(chosen) == k:
            return chosen
    return (chosen + overflow)[:k]
