"""Every sentence of the retrieved passages, scored as a quote for the question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.core.types import Passage
from qa.text.sentences import sentence_spans
from qa.text.terms import word_set

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

    @property
    def day(self) -> str:
        """The ISO day its article was published ("" when unknown)."""
        return self.passage.published[:10]

    @property
    def key(self) -> str:
        """The sentence as compared for duplicates: case, spacing and punctuation ignored."""
        return " ".join(re.sub(r"[^\w\s]", " ", self.sentence.lower()).split())


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
