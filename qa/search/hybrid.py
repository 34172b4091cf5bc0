"""Hybrid retrieval: dense search (exact; approximate then rescored at archive size) plus BM25 over the same chunks
(the search arrays), blended with soft news boosts (outlets and dates the question names), then spread across
articles so comparisons get both sides."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from qa.core.settings import Settings
from qa.core.types import NO_FILTERS, Filters, Passage
from qa.search.articles import WindowPicker
from qa.search.corpus import Corpus, CorpusCache
from qa.search.query import Query
from qa.search.rank import Weights, blend_arrays, boost, diversify, named_lead, one_copy, sentence_match, weigh

NAMED_CANDIDATES = 20  # of each named outlet, by each retriever: its few on-topic chunks among its many others


@dataclass(frozen=True)
class Retrieval:
    """Ranked passages plus what the abstention decision needs (the best raw dense similarity)."""

    passages: list[Passage]
    top_dense: float = 0.0


class HybridSearch:
    """Dense (memory-mapped vectors: exact, or int8 codes rescored exactly at `Settings.dense_exact_below` chunks and
    more) + BM25 candidates, each scored by both, blended, boosted, diversified."""

    def __init__(self, corpora: CorpusCache, embeddings, settings: Settings, weights: Weights | None = None) -> None:
        self.corpora = corpora
        self.embeddings = embeddings
        self.settings = settings
        self.weights = weights or Weights.from_settings(settings)
        self.picker = WindowPicker(settings.window_tokens)

    def search(self, query: Query | str, k: int, filters: Filters = NO_FILTERS) -> list[Passage]:
        return self.retrieve(query, k, filters).passages

    def retrieve(
        self, query: Query | str, k: int, filters: Filters = NO_FILTERS, corpus: Corpus | None = None
    ) -> Retrieval:
        """Top ``k`` passages for ``query`` (weighed for ``corpus``: `qa.search.rank.weigh`; a string is weighed
        here); ``corpus`` pins the snapshot the caller already holds."""
        corpus = corpus or self.corpora.corpus()
        if isinstance(query, str):
            query = weigh(Query(question=query), corpus.bm25)
        n = self.settings.candidates
        vector = np.asarray(self.embeddings.embed_query(query.text), dtype=np.float32)
        approximate = corpus.arrays.total_rows >= self.settings.dense_exact_below
        picked = set(corpus.nearest(vector, n, corpus.filtered_rows(filters), approximate))
        sparse_all = corpus.bm25.scores_for_terms(query.search_terms)
        named = () if filters.outlets else (query.named or tuple((o,) for o in query.outlets))  # --outlet: already
        for group in named:  # each named outlet's best chunks are candidates, by meaning and by words
            picked.update(self._named_rows(corpus, group, filters, vector, sparse_all))
        if len(sparse_all):
            top = np.argpartition(-sparse_all, min(n, len(sparse_all) - 1))[:n]
            picked.update(int(i) for i in top if sparse_all[i] > 0 and filters.accepts(corpus.passages[i]))
        if not picked:
            return Retrieval([], 0.0)
        order = sorted(picked)
        dense = corpus.vectors[order] @ vector
        ranked = one_copy(self._rank(query, corpus, order, dense, sparse_all), corpus.stories, query.outlets)
        passages = named_lead(
            ranked, diversify(ranked, k, self.weights.distinct_articles, self.weights.per_article), named
        )
        if self.settings.window_tokens:
            passages = self.picker.windows(passages, query.idf, corpus, vector)
        top_dense = float(dense.max())
        if query.context:
            # a follow-up is as answerable as the turn it continues: folding that turn in dilutes the
            # vector, so the evidence also reads the earlier turn's own similarity
            earlier = np.asarray(self.embeddings.embed_query(query.context), dtype=np.float32)
            top_dense = max(top_dense, float((corpus.vectors[order] @ earlier).max()))
        return Retrieval(passages, top_dense)

    def _named_rows(
        self, corpus: Corpus, group: tuple[str, ...], filters: Filters, vector: np.ndarray, sparse_all: np.ndarray
    ) -> set[int]:
        """The best chunks of one named outlet (``group``: the outlets one name stands for) by meaning and by
        BM25, within the dates ``filters`` accept: its articles on the topic reach the ranking however few."""
        if filters.since or filters.until:  # the dates' filter, asked once per (outlet, date) as every filter is
            rows = corpus.filtered_rows(replace(filters, outlets=group)).astype(int)
        else:
            rows = np.concatenate([corpus.outlet_rows.get(o, np.zeros(0, dtype=int)) for o in group]).astype(int)
        found = set(corpus.nearest(vector, NAMED_CANDIDATES, rows))
        if len(rows) and len(sparse_all):
            scores = sparse_all[rows]
            best = np.argsort(-scores)[:NAMED_CANDIDATES]
            found.update(int(rows[i]) for i in best if scores[i] > 0)
        return found

    def _rank(
        self,
        query: Query,
        corpus: Corpus,
        order: list[int],
        dense: np.ndarray,
        sparse_all: np.ndarray,
    ) -> list[Passage]:
        """Candidate chunks (``order``: corpus rows) blended, best-sentence matched (`Query.idf`) and boosted,
        best first."""
        sparse = sparse_all[order] if len(sparse_all) else np.zeros(len(order))
        fused = blend_arrays(dense, sparse, self.weights.dense)
        if self.weights.sentence and corpus.sentence_terms:
            fused = fused + self.weights.sentence * np.asarray(
                [sentence_match(corpus.sentence_terms[i], query.idf) for i in order]
            )
        return sorted(
            (
                replace(corpus.passages[i], score=float(f) + boost(corpus.passages[i], query, self.weights))
                for i, f in zip(order, fused, strict=True)
            ),
            key=lambda p: p.score,
            reverse=True,
        )
