"""Extractive answers: the direct answer first (when a cited sentence states it), then the best sentences of
the retrieved passages quoted verbatim with outlet, date and ``[n]``; or an abstention when the evidence is weak."""

from __future__ import annotations

import re
from dataclasses import replace

from qa.answer.candidates import Candidate, candidates
from qa.answer.coverage import checked_claims
from qa.answer.direct import Plan, plan_direct, subject_names, unstated
from qa.answer.entity import contains_words
from qa.core.types import NOT_FOUND, Answer, Citation, Direct, Passage
from qa.text.display import source_label
from qa.text.question import Shape, Wants, question_shape

__all__ = ["Candidate", "choose", "compose", "candidates"]

MIN_OVERLAP = 0.15  # share of the question's words a quote after the first must contain (it bears on the question)
OUTCOME_BONUS = 0.3  # about one more question word in three
# verbs that report how something ended: a verdict, a result, a decision
_OUTCOME = re.compile(
    r"\b(?:found (?:not )?guilty|convicted|acquitted|sentenced|ruled|verdict|won|lost|defeated|agreed|approved|"
    r"rejected|returned|reinstated|resigned|fired|settled|dismissed)\b",
    re.IGNORECASE,
)
UNSTATED_NOTICE = (
    "The articles found are about this, but no sentence in them states what the question asks; "
    "the passages below are the closest."
)
CHANGED_NOTE = "The reports changed over time (oldest first):"


def choose(
    question: str,
    ranked: list[Candidate],
    plan: Plan | None,
    outlets: tuple[str, ...],
    max_sentences: int,
    named: tuple[tuple[str, ...], ...] = (),
) -> list[Candidate]:
    """The direct answer's sentences first, then the best sentence of each outlet the question names (in the order
    named; ``named``: the outlets of each name, else each of ``outlets`` alone), then the best others that bear on
    the question: one per article, no sentence twice. A named outlet's sentence is taken even past
    ``max_sentences``, and when it shares few of the question's words: retrieval found its article on the topic."""
    chosen: list[Candidate] = []
    names = subject_names(question, outlets)

    def bears(c: Candidate) -> bool:
        """Beyond the first quote: enough of the question's words, and one of the names it asks about."""
        if not chosen:
            return True
        named = not names or any(contains_words(f"{c.passage.title} {c.sentence}", n) for n in names)
        return c.overlap >= MIN_OVERLAP and named

    def take(c: Candidate, limit: int = max_sentences) -> None:
        if len(chosen) < limit and all(c.key != o.key and c.passage.article_id != o.passage.article_id for o in chosen):
            chosen.append(c)

    for c in (*plan.support, *plan.also) if plan else ():
        take(c)
    groups = named or tuple((o,) for o in outlets)
    for group in groups:
        if not any(c.passage.source in group for c in chosen):
            of_group = [c for c in ranked if c.passage.source in group and not _taken(c, chosen)]
            best = next((c for c in of_group if bears(c)), next((c for c in of_group if c.overlap > 0), None))
            if best is not None:
                take(best, max(max_sentences, len(chosen) + 1))
    for c in ranked:
        if bears(c):
            take(c)
    return chosen


def arrange(
    chosen: list[Candidate],
    shape: Shape,
    outlets: tuple[str, ...],
    plan: Plan | None,
    named: tuple[tuple[str, ...], ...] = (),
) -> list[Candidate]:
    """Led by the first sentence of each outlet the question names, in the order named; the others side by side
    in that order, oldest first when the story changed, latest first for a question about an outcome or a current
    state, otherwise as chosen."""
    groups = named or tuple((o,) for o in outlets)
    lead = [next((c for c in chosen if c.passage.source in g), None) for g in groups]
    lead = [c for c in lead if c is not None]
    return lead + [c for c in _ordered(chosen, shape, outlets, plan) if c not in lead]


def _ordered(chosen: list[Candidate], shape: Shape, outlets: tuple[str, ...], plan: Plan | None) -> list[Candidate]:
    if len(outlets) >= 2:
        return sorted(chosen, key=lambda c: outlets.index(c.passage.source) if c.passage.source in outlets else 99)
    if plan is not None and plan.changed:
        return sorted(chosen, key=lambda c: c.day or "9999")
    if shape.state:  # an outcome: the sentences stating one first, each group latest first
        return sorted(chosen, key=lambda c: (bool(_OUTCOME.search(c.sentence)), c.day), reverse=True)
    if shape.wants == Wants.YESNO:
        return sorted(chosen, key=lambda c: c.day, reverse=True)
    return chosen


def _taken(c: Candidate, chosen: list[Candidate]) -> bool:
    return any(c.key == o.key or c.passage.article_id == o.passage.article_id for o in chosen)


def compose(
    question: str,
    passages: list[Passage],
    *,
    max_sentences: int,
    evidence_score: float,
    threshold: float,
    notice: str = "",
    context: str = "",
    outlets: tuple[str, ...] = (),
    named: tuple[tuple[str, ...], ...] = (),
    shape: Shape | None = None,
    embed=None,
) -> Answer:
    """The direct answer (when a quoted sentence states it), then the quotes with ``[n]`` citations; or abstain.

    ``outlets`` are the ones the question names (a comparison shows each side by side; ``named``: the same per
    name, in the order named: the answer leads with them); ``context`` is the
    earlier turn a follow-up continues (its words count at half weight when choosing sentences); ``shape`` what the
    question asks for (`Query.shape`; read from ``question`` when not given); ``embed`` texts -> vectors, to rank
    sentences by meaning."""
    shape = shape or question_shape(question, outlets)
    if not passages or evidence_score < threshold:
        return Answer(question, NOT_FOUND, (), tuple(passages), True, evidence_score, notice=notice)
    ranked = candidates(question, passages, context, embed=embed, skip=outlets)
    if shape.state:  # an outcome question: sentences that state an outcome come first
        ranked = sorted(ranked, key=lambda c: c.score + OUTCOME_BONUS * bool(_OUTCOME.search(c.sentence)), reverse=True)
    plan = plan_direct(question, shape, ranked, passages, outlets, context)
    if plan is None and not context and not outlets and unstated(question, shape, ranked):
        unsupported = notice or UNSTATED_NOTICE
        return Answer(question, NOT_FOUND, (), tuple(passages), True, evidence_score, notice=unsupported)
    chosen = arrange(choose(question, ranked, plan, outlets, max_sentences, named), shape, outlets, plan, named)
    chosen, claims, claimed = (
        checked_claims(question, outlets, ranked, chosen, embed) if plan is None else (chosen, (), None)
    )
    citations, lines = [], []
    for n, c in enumerate(chosen, start=1):
        p = c.passage
        citations.append(Citation(n, p, c.sentence, p.start + c.start, p.start + c.end))
        lines.append(f"{source_label(p.source, p.published)}: “{c.sentence}” [{n}]")
    direct = None
    if plan is not None and plan.kind:
        cited = tuple(n for n, c in enumerate(chosen, start=1) if c in plan.support)
        if cited:
            direct = Direct(plan.text, plan.kind, cited)
            if plan.changed:
                lines.insert(0, CHANGED_NOTE)
            lines.insert(0, plan.text + " " + "".join(f"[{n}]" for n in cited))
    if claimed is not None:
        direct = claimed
        lines.insert(0, claimed.text + " " + "".join(f"[{n}]" for n in claimed.citations))
    text = "\n".join(lines)
    answered = Answer(question, text, tuple(citations), tuple(passages), False, evidence_score, notice=notice)
    return replace(answered, direct=direct, claims=claims)
