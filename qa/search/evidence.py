"""How strongly the retrieved passages support an answer: the number the abstention decision reads.

Three signals, each cheap: the best dense similarity (alone it separates unanswerable from
answerable dev questions with ROC AUC 0.95), how much of the question's rarer vocabulary a single
retrieved passage covers, and how much of it the corpus never uses at all (a question about
things no article mentions). The weights come from a logistic fit on the dev split, rescaled
so the score reads like a cosine similarity."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.text.terms import idf

COVERAGE_WEIGHT = 0.72
UNKNOWN_WEIGHT = 0.42


@dataclass(frozen=True)
class Evidence:
    score: float
    top_dense: float
    coverage: float  # share (IDF-weighted) of the question's terms found in the best single passage
    unknown: float  # share (IDF-weighted) of the question's terms absent from the whole corpus


def evidence(
    top_dense: float,
    question_terms: Sequence[str],
    passage_terms: Sequence[Sequence[str]],
    doc_freq: Callable[[str], int],
    n_docs: int,
) -> Evidence:
    """Combine the three signals; with no usable question terms, the dense similarity alone decides."""
    terms = set(question_terms)
    if not terms or n_docs <= 0:
        return Evidence(top_dense, top_dense, 0.0, 0.0)
    freq = {t: doc_freq(t) for t in terms}
    weight = {t: idf(n_docs, f) for t, f in freq.items()}
    total = sum(weight.values()) or 1.0
    unknown = sum(weight[t] for t in terms if freq[t] == 0) / total
    coverage = max((sum(weight[t] for t in terms & set(p)) / total for p in passage_terms), default=0.0)
    score = top_dense + COVERAGE_WEIGHT * coverage - UNKNOWN_WEIGHT * unknown
    return Evidence(score, top_dense, coverage, unknown)
