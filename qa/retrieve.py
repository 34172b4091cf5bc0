"""Hybrid retrieval: dense search in Chroma plus BM25 over the same chunks, blended with soft news boosts
(outlets and dates the question names), then spread across articles so comparisons get both sides."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field, replace

import numpy as np

from qa.bm25 import Bm25Index
from qa.passage import Passage
from qa.query import Query
from qa.settings import Settings
from qa.store import Store


@dataclass(frozen=True)
class Filters:
    """Explicit restrictions from the user (CLI options or chat controls): hard, unlike what a question implies."""

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


@dataclass(frozen=True)
class Weights:
    """How the blend is made; the defaults come from the settings (tuned on the dev split)."""

    dense: float = 0.3  # share of the dense score; BM25 has the rest
    outlet: float = 0.2  # added when the passage's outlet is named in the question
    day: float = 0.1  # added when published within a day of a date the question mentions
    period: float = 0.05  # added when published inside a period the question mentions
    distinct_articles: int = 10  # leading slots that take one passage per article
    per_article: int = 2  # at most this many passages of one article in the top k
    sentence: float = 1.0  # weight of the best single sentence's match (`sentence_match`)

    @classmethod
    def from_settings(cls, settings: Settings) -> Weights:
        return cls(
            dense=settings.dense_weight,
            outlet=settings.outlet_boost,
            day=settings.date_boost,
            period=settings.period_boost,
            distinct_articles=settings.distinct_articles,
            per_article=settings.per_article_cap,
            sentence=settings.sentence_weight,
        )


@dataclass(frozen=True)
class Retrieval:
    """Ranked passages plus what the abstention decision needs (the best raw dense similarity)."""

    passages: list[Passage]
    top_dense: float = 0.0
    timings: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Corpus:
    """The in-memory side of one corpus version: the BM25 index and, aligned with its rows, every
    chunk's passage and vector, so a chunk BM25 finds gets its exact cosine without a store round trip."""

    bm25: Bm25Index
    passages: list[Passage]
    vectors: np.ndarray  # (chunks, dim), unit length, row i == bm25.chunk_ids[i]
    rows: dict[str, int] = field(default_factory=dict)  # chunk id -> row: built once per version, not per question
    outlet_rows: dict[str, np.ndarray] = field(default_factory=dict)  # outlet -> its rows
    sentence_terms: list[list[frozenset[str]]] = field(default_factory=list)  # row -> its sentences' BM25 terms

    def nearest(self, vector: np.ndarray, n: int, rows: np.ndarray) -> list[int]:
        """Exact top ``n`` rows by cosine among ``rows``: what a filtered Chroma query returns, without
        Chroma's metadata scan (140 ms at 100k chunks, growing with the corpus)."""
        if not len(rows):
            return []
        scores = self.vectors[rows] @ vector
        top = np.argpartition(-scores, min(n, len(rows)) - 1)[:n]
        return [int(rows[i]) for i in top]

    @classmethod
    def load(cls, store: Store, bm25: Bm25Index) -> Corpus:
        by_id = {p.chunk_id: p for p in store.iter_passages()}
        if set(by_id) != set(bm25.chunk_ids):  # a stale or foreign BM25 file: rebuild it from the store
            bm25 = Bm25Index.build(by_id.values(), bm25.version)
        stored = store.get_embeddings(bm25.chunk_ids)
        dim = len(next(iter(stored.values()))) if stored else 0
        vectors = np.zeros((len(bm25.chunk_ids), dim), dtype=np.float32)
        for row, cid in enumerate(bm25.chunk_ids):
            if cid in stored:
                vectors[row] = stored[cid]
        passages = [by_id[cid] for cid in bm25.chunk_ids]
        outlets: dict[str, list[int]] = {}
        for row, passage in enumerate(passages):
            outlets.setdefault(passage.source, []).append(row)
        rows = {cid: i for i, cid in enumerate(bm25.chunk_ids)}
        outlet_rows = {o: np.asarray(r) for o, r in outlets.items()}
        return cls(bm25, passages, vectors, rows, outlet_rows, _sentence_terms(bm25, passages))


def _sentence_terms(bm25: Bm25Index, passages: list[Passage]) -> list[list[frozenset[str]]]:
    """Each chunk's sentences as sets of BM25 terms, computed once per corpus version."""
    from ingest.sentences import sentence_spans

    spans = [sentence_spans(p.text) for p in passages]
    flat = [p.text[a:b] for p, chunk in zip(passages, spans, strict=True) for a, b in chunk]
    terms = iter(bm25.terms(flat))
    return [[frozenset(next(terms)) for _ in chunk] for chunk in spans]


def sentence_match(sentences: list[frozenset[str]], wanted: dict[str, float]) -> float:
    """The best single sentence's share of the question's term weight (IDF).

    A gold fact is one sentence; a chunk whose words match the question only spread over several
    sentences is less likely to state it. This picks, inside a long article, the chunk that does."""
    total = sum(wanted.values()) or 1.0
    return max((sum(wanted[t] for t in sentence if t in wanted) for sentence in sentences), default=0.0) / total


class BM25Side:
    """The `Corpus` (BM25 index, passages, vectors) of the store's current version, reloaded when it changes."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._corpus: Corpus | None = None
        self._lock = threading.Lock()

    def current(self) -> Bm25Index:
        return self.corpus().bm25

    def corpus(self) -> Corpus:
        version = self.store.version()
        with self._lock:
            if self._corpus is None or self._corpus.bm25.version != version:
                index = Bm25Index.load(self.settings.bm25_dir)
                if index is None or index.version != version:
                    index = Bm25Index.build(self.store.iter_passages(), version)
                    with contextlib.suppress(OSError):  # a read-only data dir still answers, from memory
                        index.save(self.settings.bm25_dir)
                self._corpus = Corpus.load(self.store, index)
            return self._corpus


class HybridSearch:
    """Dense (Chroma) + BM25 candidates, every candidate scored by both, blended, boosted, diversified."""

    def __init__(self, store: Store, embeddings, settings: Settings, weights: Weights | None = None) -> None:
        self.store = store
        self.embeddings = embeddings
        self.settings = settings
        self.weights = weights or Weights.from_settings(settings)
        self.bm25 = BM25Side(store, settings)

    def search(self, query: Query | str, k: int, filters: Filters = Filters()) -> list[Passage]:
        return self.retrieve(query, k, filters).passages

    def retrieve(
        self, query: Query | str, k: int, filters: Filters = Filters(), corpus: Corpus | None = None
    ) -> Retrieval:
        """Top ``k`` passages for ``query``; ``corpus`` pins the snapshot the caller already holds."""
        if isinstance(query, str):
            query = Query(question=query)
        n = self.settings.candidates
        corpus = corpus or self.bm25.corpus()
        rows = corpus.rows
        vector = np.asarray(self.embeddings.embed_query(query.text), dtype=np.float32)
        found = self.store.query_ids(vector.tolist(), n, filters.where())
        picked = {rows[cid] for cid in found if cid in rows}
        if query.outlets and not filters.outlets:
            # the named outlets' best chunks are candidates even when the blend alone would miss them
            named = [corpus.outlet_rows.get(outlet, np.zeros(0, dtype=int)) for outlet in query.outlets]
            named_rows = np.concatenate(named) if named else np.zeros(0, dtype=int)
            if filters.since or filters.until:
                named_rows = np.asarray([i for i in named_rows if filters.accepts(corpus.passages[i])], dtype=int)
            picked.update(corpus.nearest(vector, max(10, n // 4), named_rows))
        sparse_all = corpus.bm25.scores_for(query.text)
        if len(sparse_all):
            top = np.argpartition(-sparse_all, min(n, len(sparse_all) - 1))[:n]
            picked.update(int(i) for i in top if sparse_all[i] > 0 and filters.accepts(corpus.passages[i]))
        if not picked:
            return Retrieval([], 0.0)
        order = sorted(picked)
        dense = corpus.vectors[order] @ vector
        sparse = sparse_all[order] if len(sparse_all) else np.zeros(len(order))
        fused = blend_arrays(dense, sparse, self.weights.dense)
        if self.weights.sentence and corpus.sentence_terms:
            wanted = question_weights(corpus.bm25, query)
            fused = fused + self.weights.sentence * np.asarray(
                [sentence_match(corpus.sentence_terms[i], wanted) for i in order]
            )
        ranked = sorted(
            (
                replace(corpus.passages[i], score=float(f) + boost(corpus.passages[i], query, self.weights))
                for i, f in zip(order, fused, strict=True)
            ),
            key=lambda p: p.score,
            reverse=True,
        )
        passages = diversify(ranked, k, self.weights.distinct_articles, self.weights.per_article)
        top_dense = float(dense.max())
        if query.context:
            # a follow-up is as answerable as the turn it continues: folding that turn in dilutes the
            # vector, so the evidence also reads the earlier turn's own similarity
            earlier = np.asarray(self.embeddings.embed_query(query.context), dtype=np.float32)
            top_dense = max(top_dense, float((corpus.vectors[order] @ earlier).max()))
        return Retrieval(outlets_first(passages, query.outlets), top_dense)


def question_weights(bm25: Bm25Index, query: Query) -> dict[str, float]:
    """IDF of each content term of the question (outlet names left out: they say where, not what)."""
    import math

    from qa.query import content_words

    terms = set(bm25.terms([" ".join(content_words(query.text))])[0])
    terms -= {t for name in bm25.terms(list(query.outlets)) for t in name}
    n = len(bm25.chunk_ids)
    return {t: math.log((n + 1) / (bm25.doc_freq(t) + 0.5)) for t in terms}


OUTLET_FRONT_SHARE = 0.6  # of the top score, that a named outlet's passage needs to move to the front


def outlets_first(passages: list[Passage], outlets: tuple[str, ...]) -> list[Passage]:
    """The best passage of each outlet the question names moves to the front, in the order named:
    "as reported by both The Verge and TechCrunch" wants both voices in the first few lines."""
    front: list[Passage] = []
    floor = OUTLET_FRONT_SHARE * max((p.score for p in passages), default=0.0)
    for outlet in outlets:
        best = next((p for p in passages if p.source == outlet and p not in front), None)
        if best is not None and best.score >= floor:  # a named outlet with nothing on the topic stays put
            front.append(best)
    return front + [p for p in passages if p not in front]


def blend_arrays(dense: np.ndarray, sparse: np.ndarray, dense_weight: float) -> np.ndarray:
    """`blend` over aligned arrays (the fast path)."""

    def normalise(values: np.ndarray) -> np.ndarray:
        span = float(values.max() - values.min()) if len(values) else 0.0
        return (values - values.min()) / (span or 1.0)

    return dense_weight * normalise(dense) + (1 - dense_weight) * normalise(sparse)


def blend(dense: dict[str, float], sparse: dict[str, float], dense_weight: float) -> dict[str, float]:
    """Min-max normalise each side over the same candidates, then a weighted sum.

    Both sides score every candidate (a chunk BM25 finds gets its exact cosine too), so the
    normalisation compares like with like. A plain weighted blend beats reciprocal rank fusion
    here: BM25 is the stronger side on news questions full of names, and RRF's equal votes
    let the weaker dense ranking drag good keyword matches down."""

    def normalise(scores: dict[str, float]) -> dict[str, float]:
        if not scores:
            return {}
        low, high = min(scores.values()), max(scores.values())
        span = (high - low) or 1.0
        return {key: (value - low) / span for key, value in scores.items()}

    d, s = normalise(dense), normalise(sparse)
    return {key: dense_weight * d.get(key, 0.0) + (1 - dense_weight) * s.get(key, 0.0) for key in set(d) | set(s)}


def rrf(rankings: list[list[str]], k: int = 60) -> dict[str, float]:
    """Reciprocal rank fusion (k=60 as in Cormack et al.); kept for the benchmark's baseline row."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return scores


def boost(passage: Passage, query: Query, weights: Weights) -> float:
    """Soft preference for what the question names: its outlets, its dates. Never a filter:
    a wrongly guessed outlet or date only reorders, it cannot empty the result."""
    extra = 0.0
    if query.outlets and passage.source in query.outlets:
        extra += weights.outlet
    day = passage.published[:10]
    if day and query.days and any(_days_apart(day, d) <= 1 for d in query.days):
        extra += weights.day  # within a day: time zones shift the published date
    if day and (query.since or query.until) and (query.since or "") <= day <= (query.until or "9999"):
        extra += weights.period
    return extra


def _days_apart(a: str, b: str) -> int:
    from datetime import date

    try:
        return abs((date.fromisoformat(a) - date.fromisoformat(b)).days)
    except ValueError:
        return 99


def diversify(ranked: list[Passage], k: int, distinct: int, per_article: int) -> list[Passage]:
    """The first ``distinct`` slots take the best passage of as many different articles; the rest
    follow the ranking with at most ``per_article`` passages of one article, then anything left.

    Multi-article questions need every article in the top k; one article's near-duplicate
    chunks would otherwise crowd out the other side of a comparison."""
    chosen: list[Passage] = []
    seen: set[str] = set()
    for passage in ranked:
        if len(chosen) >= min(distinct, k):
            break
        if passage.article_id not in seen:
            chosen.append(passage)
            seen.add(passage.article_id)
    taken = {p.chunk_id for p in chosen}
    counts: dict[str, int] = {}
    for passage in chosen:
        counts[passage.article_id] = counts.get(passage.article_id, 0) + 1
    overflow = []
    for passage in ranked:
        if len(chosen) >= k:
            break
        if passage.chunk_id in taken:
            continue
        if counts.get(passage.article_id, 0) < per_article:
            chosen.append(passage)
            counts[passage.article_id] = counts.get(passage.article_id, 0) + 1
        else:
            overflow.append(passage)
    return (chosen + overflow)[:k]
