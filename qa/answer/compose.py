"""Extractive answers: pick the sentences of the retrieved passages that best answer the question,
quote them verbatim with ``[n]`` citations, or abstain when the evidence is weak."""

from __future__ import annotations

from dataclasses import dataclass

from qa.answer.entity import answer_entity, contains_words
from qa.core.types import NOT_FOUND, Answer, Citation, Passage
from qa.text.sentences import sentence_spans
from qa.text.terms import word_set

MIN_OVERLAP = 0.1  # share of the question's words a second or third quote must contain
PASSAGE_WEIGHT = 0.3  # a sentence of a better-ranked passage wins among equal overlaps
RANK_PENALTY = 0.01  # and, all else equal, the earlier passage
CONTEXT_WEIGHT = 0.5  # a follow-up's earlier words count half as much as its own


@dataclass(frozen=True)
class Candidate:
    """One sentence of one retrieved passage, scored as a quote for the question."""

    passage: Passage
    rank: int  # of its passage in the retrieval
    start: int  # offsets of the sentence inside the passage text
    end: int
    overlap: float  # share of the question's words (and a follow-up's context) the sentence contains
    score: float

    @property
    def sentence(self) -> str:
        return self.passage.text[self.start : self.end]


def candidates(question: str, passages: list[Passage], context: str = "") -> list[Candidate]:
    """Every sentence of ``passages``, best first."""
    wanted = word_set(question)
    earlier = word_set(context) - wanted  # a follow-up's subject, at a lower weight than its own words
    weight = (len(wanted) + CONTEXT_WEIGHT * len(earlier)) or 1
    found = []
    for rank, passage in enumerate(passages):
        for start, end in sentence_spans(passage.text):
            words = word_set(passage.text[start:end])
            overlap = (len(wanted & words) + CONTEXT_WEIGHT * len(earlier & words)) / weight
            score = overlap + PASSAGE_WEIGHT * passage.score - RANK_PENALTY * rank
            found.append(Candidate(passage, rank, start, end, overlap, score))
    found.sort(key=lambda c: c.score, reverse=True)
    return found


def choose(ranked: list[Candidate], focus: str, max_sentences: int) -> list[Candidate]:
    """One sentence per article: first the best that spells out ``focus`` (the answer's name), then the
    best others that share enough of the question's words."""
    chosen: list[Candidate] = []
    seen_articles: set[str] = set()
    if focus:
        named = next((c for c in ranked if contains_words(c.sentence, focus)), None)
        if named is not None:
            chosen.append(named)
            seen_articles.add(named.passage.article_id)
    for candidate in ranked:
        if len(chosen) >= max_sentences:
            break
        if candidate.passage.article_id in seen_articles:
            continue
        if chosen and candidate.overlap < MIN_OVERLAP:  # beyond the first quote, only on-question sentences
            continue
        chosen.append(candidate)
        seen_articles.add(candidate.passage.article_id)
    return chosen


def compose(
    question: str,
    passages: list[Passage],
    *,
    max_sentences: int,
    evidence_score: float,
    threshold: float,
    notice: str = "",
    context: str = "",
) -> Answer:
    """Quote the best sentences (one per article first) with ``[n]`` citations, or abstain.

    When the question asks for a name, the first quote is the best sentence that spells out the
    name the leading articles share; the others are the sentences sharing most of the question's
    words (and, for a follow-up, of the ``context`` turn), from different articles."""
    if not passages or evidence_score < threshold:
        return Answer(question, NOT_FOUND, (), tuple(passages), True, evidence_score, notice=notice)
    chosen = choose(candidates(question, passages, context), answer_entity(question, passages), max_sentences)
    citations, parts = [], []
    for n, c in enumerate(chosen, start=1):
        p = c.passage
        citations.append(Citation(n, p, c.sentence, p.start + c.start, p.start + c.end))
        parts.append(f"{p.source or 'An article'}: “{c.sentence}” [{n}]")
    return Answer(question, "\n".join(parts), tuple(citations), tuple(passages), False, evidence_score, notice=notice)
