"""How strongly the retrieved passages support an answer: the number the abstention decision reads.

Three signals, none of them a corpus-wide statistic, so the same score means the same on one article
as on millions: the best dense similarity (a property of the model), the share of the question's
words a single retrieved passage holds, and the share that no retrieved passage holds at all (the
question asks about something the evidence never mentions). Words are weighted by how rare they are
in English (`qa.text.terms.prior_weight`), not in the corpus. The weights come from a fit on the
MultiHop-RAG dev split, rescaled so the score reads like a cosine similarity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

COVERAGE_WEIGHT = 0.6
MISSING_WEIGHT = 0.1


@dataclass(frozen=True)
class Evidence:
    score: float
    top_dense: float
    coverage: float  # share (weighted) of the question's terms found in the best single passage
    unknown: float  # share (weighted) of the question's terms absent from every retrieved passage


def evidence(top_dense: float, weights: Mapping[str, float], passage_terms: Sequence[Sequence[str]]) -> Evidence:
    """Combine the three signals; with no usable question terms, the dense similarity alone decides."""
    if not weights:
        return Evidence(top_dense, top_dense, 0.0, 0.0)
    total = sum(weights.values()) or 1.0
    sets = [set(p) for p in passage_terms]
    coverage = max((sum(w for t, w in weights.items() if t in s) / total for s in sets), default=0.0)
    anywhere = set().union(*sets) if sets else set()
    missing = sum(w for t, w in weights.items() if t not in anywhere) / total
    score = top_dense + COVERAGE_WEIGHT * coverage - MISSING_WEIGHT * missing
    return Evidence(score, top_dense, coverage, missing)
