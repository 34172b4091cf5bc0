"""Ranking rules of hybrid search, pure functions over arrays and passages: the dense/BM25 blend, the
best-sentence match, soft outlet/date boosts, one copy per story, one passage per article first, named outlets
first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from qa.core.settings import Settings
from qa.core.types import Passage
from qa.search.query import Query
from qa.store.bm25 import Bm25Index
from qa.store.stories import Copy
from qa.text.dates import days_apart
from qa.text.terms import content_words, idf, prior_weight


@dataclass(frozen=True)
class Weights:
    """How the blend is made; always read from the settings (`Settings` holds the tuned values and why)."""

    dense: float  # share of the dense score; BM25 has the rest
    outlet: float  # added when the passage's outlet is named in the question
    day: float  # added when published within a day of a date the question mentions
    period: float  # added when published inside a period the question mentions
    distinct_articles: int  # leading slots that take one passage per article
    per_article: int  # at most this many passages of one article in the top k
    sentence: float  # weight of the best single sentence's match (`sentence_match`)

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


def blend_arrays(dense: np.ndarray, sparse: np.ndarray, dense_weight: float) -> np.ndarray:
    """Min-max normalise each side over the same candidates, then a weighted sum.

    Both sides score every candidate (a chunk BM25 finds gets its exact cosine too), so the
    normalisation compares like with like. A plain weighted blend beats reciprocal rank fusion
    here (`bench/retrieval.py`): BM25 is the stronger side on news questions full of names, and
    RRF's equal votes let the weaker dense ranking drag good keyword matches down."""

    def normalise(values: np.ndarray) -> np.ndarray:
        span = float(values.max() - values.min()) if len(values) else 0.0
        return (values - values.min()) / (span or 1.0)

    return dense_weight * normalise(dense) + (1 - dense_weight) * normalise(sparse)


def sentence_match(sentences: list[frozenset[str]], wanted: dict[str, float]) -> float:
    """The best single sentence's share of the question's term weight (IDF).

    A gold fact is one sentence; a chunk whose words match the question only spread over several
    sentences is less likely to state it. This picks, inside a long article, the chunk that does."""
    total = sum(wanted.values()) or 1.0
    return max((sum(wanted[t] for t in sentence if t in wanted) for sentence in sentences), default=0.0) / total


def weigh(query: Query, bm25: Bm25Index) -> Query:
    """``query`` with its terms as this corpus version's BM25 index sees them, stemmed once per question:
    every BM25 term of its text (`Query.search_terms`), and its content words' terms without the words of the
    outlets it names (those say where to look, not what is asked), weighted two ways: `Query.idf` (rarity in
    this corpus: ranking) and `Query.rarity` (rarity in English: evidence, the same on any corpus size)."""
    content = content_words(query.text)
    outlets = list(query.outlets)
    stemmed = bm25.terms([query.text, *content, *outlets])  # one stemming pass
    search_terms, per_word, outlet_groups = stemmed[0], stemmed[1 : 1 + len(content)], stemmed[1 + len(content) :]
    outlet_terms = {t for group in outlet_groups for t in group}
    terms = tuple(t for group in per_word for t in group if t not in outlet_terms)
    n = len(bm25.chunk_ids)
    rarity: dict[str, float] = {}
    for word, group in zip(content, per_word, strict=True):
        for term in group:
            if term not in outlet_terms:
                rarity[term] = max(rarity.get(term, 0.0), prior_weight(word))
    return replace(
        query,
        search_terms=tuple(search_terms),
        terms=terms,
        idf={t: idf(n, bm25.doc_freq(t)) for t in set(terms)},
        rarity=rarity,
    )


NAMED_FLOOR_SHARE = 0.5  # of the top score, that a named outlet's best passage needs to lead: on the topic


def named_lead(ranked: list[Passage], top: list[Passage], named: tuple[tuple[str, ...], ...]) -> list[Passage]:
    """``top`` (the first k of ``ranked``) led by the best passage of each outlet the question names, in the
    order named, taken from all of ``ranked`` when ``top`` has none: "according to TechCrunch" leads with
    TechCrunch, "both The Verge and TechCrunch" shows both voices first. The list keeps its length: a named
    outlet's passage replaces the last of the others. A named outlet whose best passage scores under
    `NAMED_FLOOR_SHARE` of the best (nothing on the topic; or a name read where an ordinary word was meant:
    "Fortune favours...") leads nothing."""
    floor = NAMED_FLOOR_SHARE * max((p.score for p in ranked), default=0.0)
    front: list[Passage] = []
    for group in named:
        best = next((p for p in ranked if p.source in group and p not in front), None)
        if best is not None and best.score >= floor:
            front.append(best)
    rest = [p for p in top if p not in front]
    return front + rest[: max(0, len(top) - len(front))]


def boost(passage: Passage, query: Query, weights: Weights) -> float:
    """Soft preference for what the question names: its outlets, its dates. Never a filter:
    a wrongly guessed outlet or date only reorders, it cannot empty the result."""
    extra = 0.0
    if query.outlets and passage.source in query.outlets:
        extra += weights.outlet
    day = passage.published[:10]
    if day and query.days and any(days_apart(day, d) <= 1 for d in query.days):
        extra += weights.day  # within a day: time zones shift the published date
    if day and (query.since or query.until) and (query.since or "") <= day <= (query.until or "9999"):
        extra += weights.period
    return extra


def one_copy(ranked: list[Passage], stories: Mapping[str, tuple[Copy, ...]], named: tuple[str, ...]) -> list[Passage]:
    """A story counts once: of its copies among ``ranked`` only one stays (the one from an outlet the question
    names, else the earliest), at the rank of the story's best passage, with the other copies' outlets in
    `Passage.also`; the slots the other copies held go to other stories.
    ``stories``: `qa.store.stories.story_copies`."""
    present = {p.article_id for p in ranked if p.article_id in stories}
    if not present:
        return ranked
    chosen: dict[str, Copy] = {}  # story (its earliest copy's id) -> the copy cited
    for article_id in present:
        copies = stories[article_id]
        here = [c for c in copies if c.article_id in present]
        chosen[copies[0].article_id] = next((c for c in here if c.source in named), here[0])
    best: dict[str, float] = {}
    for passage in ranked:
        story = stories[passage.article_id][0].article_id if passage.article_id in present else ""
        best.setdefault(story, passage.score)
    lift: dict[str, float] = {}
    out = []
    for passage in ranked:
        if passage.article_id not in present:
            out.append(passage)
            continue
        copies = stories[passage.article_id]
        pick = chosen[copies[0].article_id]
        if passage.article_id != pick.article_id:
            continue
        shift = lift.setdefault(pick.article_id, best[copies[0].article_id] - passage.score)
        also = tuple(dict.fromkeys(c.source for c in copies if c.source and c.source != pick.source))
        out.append(replace(passage, score=passage.score + shift, also=also))
    return sorted(out, key=lambda p: p.score, reverse=True)


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
