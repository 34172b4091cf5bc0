"""Checked claims across outlets: each claim of a coverage question (`qa.text.coverage`) against the sentences of
the outlet (and the date) it is attributed to, with the one checker of `qa.answer.check` (words, numbers,
negation, meaning); and the direct answer only when the checks decide it: yes when every claim is supported, no
when one is contradicted or the dates order the reports the other way, consistent/changed from the two matched
sentences, the outlet for "which outlet ...?". Otherwise no direct answer, and the claims say what was not found."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.answer.candidates import Candidate
from qa.answer.check import contradiction, shared_numbers, word_share
from qa.core.types import ClaimCheck, Direct
from qa.text.coverage import Claim, Coverage, Form, split_claims

SUPPORTED = 0.62  # cosine of claim and sentence from which the sentence states the claim (MiniLM; dev-checked) ...
SUPPORTED_SHARE = 0.6  # ... with at least this share of the claim's content words
CONTRADICTS = 0.65  # a sentence this close (and sharing as many words) that denies the claim or changes its number
SAME_SUBJECT = 0.45  # two reports' sentences this close to their claims are about the subject asked
SAME_STATEMENT = 0.85  # two reports' sentences this close say the same thing (a paraphrase, MiniLM) ...
ONE_STATEMENT = 0.75  # ... and from this close one statement, so another number or a negation in one is a change;
# below it two reports' sentences state different facts ("$26 billion paid" and "$26.3 billion spent"): on dev their
# cosine did not tell consistent from changed coverage, so nothing is decided
MIN_CLAIMS_FOR_YES = 2  # claims that must each be supported for a "Yes" (see `_decide`)
SHORTLIST = 12  # sentences of an outlet embedded per claim, the best by their words (embedding costs ~10 ms each)


@dataclass(frozen=True)
class Match:
    """One claim with the sentence of its outlet that decides it (None when the outlet has none) and the verdict."""

    claim: Claim
    candidate: Candidate | None
    verdict: str  # one of `qa.core.types.CLAIM_VERDICTS`
    reason: str


@dataclass(frozen=True)
class Checks:
    """The claims checked, and the direct answer they decide ("" when they decide none) with its kind."""

    matches: tuple[Match, ...]
    answer: str = ""
    kind: str = ""


def check_claims(question: str, outlets: tuple[str, ...], ranked: list[Candidate], embed) -> Checks | None:
    """The checks of ``question``'s claims against the ``ranked`` sentences, or None when it is no coverage
    question. ``embed``: texts -> vectors (normalised)."""
    coverage = split_claims(question, outlets)
    if coverage is None or embed is None:
        return None
    if coverage.form == Form.WHICH:
        return _which(coverage.claims[0], ranked, embed)
    matches: list[Match] = []
    for claim in coverage.claims:
        used = {m.candidate.passage.article_id for m in matches if m.candidate}
        matches.append(_match(claim, ranked, embed, used, loose=coverage.form in (Form.CONSISTENT, Form.CHANGED)))
    answer, kind = _decide(coverage, matches, embed)
    return Checks(tuple(matches), answer, kind)


def _match(claim: Claim, ranked: list[Candidate], embed, used: set[str], *, loose: bool) -> Match:
    pool = [
        c
        for c in ranked
        if c.passage.source == claim.outlet and (not claim.date or c.day == claim.date) and not _asks(c.sentence)
    ]
    fresh = [c for c in pool if c.passage.article_id not in used]
    pool = fresh or pool
    if not pool:
        where = f" on {claim.date}" if claim.date else ""
        return Match(claim, None, "not_found", f"no retrieved article of {claim.outlet}{where}")
    pool = sorted(pool, key=lambda c: word_share(claim.text, c.sentence), reverse=True)[:SHORTLIST]
    vectors = np.asarray(embed([claim.text, *(c.sentence for c in pool)]), dtype=np.float32)
    scores = vectors[1:] @ vectors[0]
    # the closest sentence that holds the claim's words, when one does: a topical sentence closer by meaning alone
    # ("Epic's lawsuit originally involved Match") must not hide the one that states it ("..., which Epic won")
    held = [j for j, c in enumerate(pool) if word_share(claim.text, c.sentence) >= SUPPORTED_SHARE]
    i = int(np.argmax(scores)) if loose or not held else max(held, key=lambda j: scores[j])
    best, cosine = pool[i], float(scores[i])
    share = word_share(claim.text, best.sentence)
    if loose:  # a consistent/changed question: the report's sentence about the subject, judged by the caller
        verdict = "supported" if cosine >= SAME_SUBJECT else "not_found"
        return Match(claim, best, verdict, f"closest sentence (cosine {cosine:.2f})")
    opposite = contradiction(claim.text, best.sentence)
    if opposite and cosine >= CONTRADICTS and share >= SUPPORTED_SHARE:
        return Match(claim, best, "contradicted", f"the closest sentence {opposite} (cosine {cosine:.2f})")
    if cosine >= SUPPORTED and share >= SUPPORTED_SHARE:
        return Match(claim, best, "supported", f"cosine {cosine:.2f}, {share:.0%} of its words")
    return Match(claim, best, "not_found", f"closest sentence too far (cosine {cosine:.2f}, {share:.0%} of its words)")


def _asks(sentence: str) -> bool:
    """A question ("When will the Steam Deck OLED be available?", a subheading) states nothing to check against."""
    return sentence.rstrip(" \"'”’)").endswith("?")


def _decide(coverage: Coverage, matches: list[Match], embed) -> tuple[str, str]:
    verdicts = [m.verdict for m in matches]
    if coverage.form == Form.ALL:
        if "contradicted" in verdicts:
            return "No", "no"
        # one claim found is a single report's paraphrase, which MultiHop-RAG's single-outlet questions show is no
        # evidence for a yes (right 1 in 4 on dev); two or more outlets each stating theirs is (7 in 8)
        agreed = len(verdicts) >= MIN_CLAIMS_FOR_YES and all(v == "supported" for v in verdicts)
        return ("Yes", "yes") if agreed else ("", "")
    if len(matches) < 2 or any(v != "supported" for v in verdicts[:2]):
        return "", ""
    first, second = matches[0].candidate, matches[1].candidate
    if coverage.form in (Form.BEFORE, Form.AFTER):
        if not first.day or not second.day or first.day == second.day:
            return "", ""
        earlier = first.day < second.day
        holds = earlier if coverage.form == Form.BEFORE else not earlier
        return ("Yes", "yes") if holds else ("No", "no")
    vectors = np.asarray(embed([first.sentence, second.sentence]), dtype=np.float32)
    closeness = float(vectors[0] @ vectors[1])
    if closeness >= ONE_STATEMENT and contradiction(first.sentence, second.sentence):
        changed = True
    elif shared_numbers(first.sentence, second.sentence) or closeness >= SAME_STATEMENT:
        changed = False
    else:  # neither one statement changed nor the same statement: the reader judges from the two quotes
        return "", ""
    holds = changed if coverage.form == Form.CHANGED else not changed
    return ("Yes", "yes") if holds else ("No", "no")


def _which(claim: Claim, ranked: list[Candidate], embed) -> Checks:
    pool = [c for c in ranked if not _asks(c.sentence)]
    pool = sorted(pool, key=lambda c: word_share(claim.text, c.sentence), reverse=True)[:SHORTLIST]
    if not pool:
        return Checks((Match(claim, None, "not_found", "no retrieved sentence"),))
    vectors = np.asarray(embed([claim.text, *(c.sentence for c in pool)]), dtype=np.float32)
    scores = vectors[1:] @ vectors[0]
    i = int(np.argmax(scores))
    best, cosine = pool[i], float(scores[i])
    found = Claim(claim.text, best.passage.source, best.day)
    if cosine < SUPPORTED or contradiction(claim.text, best.sentence):
        return Checks((Match(found, best, "not_found", f"closest sentence too far (cosine {cosine:.2f})"),))
    return Checks((Match(found, best, "supported", f"cosine {cosine:.2f}"),), best.passage.source, "outlet")


def checked_claims(
    question: str, outlets: tuple[str, ...], ranked: list[Candidate], chosen: list[Candidate], embed
) -> tuple[list[Candidate], tuple[ClaimCheck, ...], Direct | None]:
    """The quotes with each claim's deciding sentence among them (added after the chosen ones when missing), the
    claims as `ClaimCheck` with the ``[n]`` of that quote, and the direct answer they decide (None when none)."""
    checks = check_claims(question, outlets, ranked, embed)
    if checks is None:
        return chosen, (), None
    chosen = list(chosen)
    for m in checks.matches:
        if m.candidate is not None and all(m.candidate.key != c.key for c in chosen):
            chosen.append(m.candidate)
    keys = [c.key for c in chosen]
    claims = tuple(
        ClaimCheck(
            m.claim.text,
            m.claim.outlet,
            m.candidate.day if m.candidate else "",
            m.verdict if m.candidate else "not_found",
            keys.index(m.candidate.key) + 1 if m.candidate else None,
            m.reason,
        )
        for m in checks.matches
    )
    if not checks.kind:
        return chosen, claims, None
    cited = tuple(dict.fromkeys(c.citation for c in claims if c.citation and c.verdict != "not_found"))
    return chosen, claims, Direct(_said(checks, claims), checks.kind, cited)


def _said(checks: Checks, claims: tuple[ClaimCheck, ...]) -> str:
    """The answer with the dates of the reports that decide it: "No (TechCrunch 2023-10-07, The Verge 2023-09-30)"."""
    if checks.kind == "outlet":
        return checks.answer
    dated = ", ".join(f"{c.outlet} {c.date}".strip() for c in claims if c.citation)
    return f"{checks.answer} ({dated})" if dated else checks.answer
