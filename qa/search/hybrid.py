"""Hybrid retrieval: exact dense search plus BM25 over the same chunks (the search arrays), blended with soft
news boosts (outlets and dates the question names), then spread across articles so comparisons get both sides."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from qa.core.settings import Settings
from qa.core.types import NO_FILTERS, Filters, Passage
from qa.search.articles import WindowPicker
from qa.search.corpus import Corpus, CorpusCache
from qa.search.query import Query
from qa.search.rank import (
    Weights,
    blend_arrays,
    boost,
    diversify,
    one_copy,
    outlets_first,
    sentence_match,
    weigh,
)


@dataclass(frozen=True)
class Retrieval:
    """Ranked passages plus what the abstention decision needs (the best raw dense similarity)."""

    passages: list[Passage]
    top_dense: float = 0.0


class HybridSearch:
    """Dense (exact, memory-mapped vectors) + BM25 candidates, each scored by both, blended, boosted, diversified."""

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
        picked = set(corpus.nearest(vector, n, corpus.filtered_rows(filters)))
        if query.outlets and not filters.outlets:
            # the named outlets' best chunks are candidates even when the blend alone would miss them
            named = [corpus.outlet_rows.get(outlet, np.zeros(0, dtype=int)) for outlet in query.outlets]
            named_rows = np.concatenate(named) if named else np.zeros(0, dtype=int)
            if filters.since or filters.until:
                named_rows = np.asarray([i for i in named_rows if filters.accepts(corpus.passages[i])], dtype=int)
            picked.update(corpus.nearest(vector, max(10, n // 4), named_rows))
        sparse_all = corpus.bm25.scores_for_terms(query.search_terms)
        if len(sparse_all):
            top = np.argpartition(-sparse_all, min(n, len(sparse_all) - 1))[:n]
            picked.update(int(i) for i in top if sparse_all[i] > 0 and filters.accepts(corpus.passages[i]))
        if not picked:
            return Retrieval([], 0.0)
        order = sorted(picked)
        dense = corpus.vectors[order] @ vector
        ranked = one_copy(self._rank(query, corpus, order, dense, sparse_all), corpus.stories, query.outlets)
        passages = diversify(ranked, k, self.weights.distinct_articles, self.weights.per_article)
        if self.settings.window_tokens:
            passages = self.picker.windows(passages, query.idf, corpus, vector)
        top_dense = float(dense.max())
        if query.context:
            # a follow-up is as answerable as the turn it continues: folding that turn in dilutes the
            # vector, so the evidence also reads the earlier turn's own similarity
            earlier = np.asarray(self.embeddings.embed_query(query.context), dtype=np.float32)
            top_dense = max(top_dense, float((corpus.vectors[order] @ earlier).max()))
        return Retrieval(outlets_first(passages, query.outlets), top_dense)

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
