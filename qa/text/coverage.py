"""A question about coverage split into its claims: "Does A suggest X, while B reports Y?", "Did A report X before
B reported Y?", "Was the reporting on X consistent between A (Oct 12) and B (Dec 6)?", "Do both A and B say X?",
"Which outlet reported X?". Each claim is a clause with the outlet it is attributed to (and the date, when the
question gives one); the form says how the claims decide the answer. General English grammar (clause connectives,
reporting verbs), pure text processing on the question and the outlet names it holds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from qa.text.dates import parse_day

MIN_CLAIM_WORDS = 3  # a report's own words shorter than this ("published later") fall back to the whole subject


ORDER_REACH = 6  # words after "before"/"after" within which the second outlet is named ("after the TechCrunch article")


class Form(StrEnum):
    """How the claims of a coverage question decide its answer."""

    ALL = "all"  # both/while/and: every claim must hold
    BEFORE = "before"  # the first claim's report came before the second's
    AFTER = "after"  # ... after it
    CONSISTENT = "consistent"  # two reports of one subject say the same (yes when they do)
    CHANGED = "changed"  # two reports of one subject differ (yes when they do)
    WHICH = "which"  # which outlet reported the claim


@dataclass(frozen=True)
class Claim:
    """One clause of the question with the outlet it is attributed to and the date given for it ("" when none)."""

    text: str
    outlet: str
    date: str = ""


@dataclass(frozen=True)
class Coverage:
    """The claims of a coverage question, in the order asked, and its form; ``negated`` for "Was there no change"
    (the yes and the no swap)."""

    form: Form
    claims: tuple[Claim, ...]
    negated: bool = False


_AUX = r"(?:is|are|was|were|did|does|do|has|have|had)"
_YESNO = re.compile(rf"^\s*(?:(?:after|before|between|following|in|according to)\b[^?]*?,\s*)?{_AUX}\b", re.I)
_WHICH = re.compile(r"^\s*(?:which|what)\s+(?:news\s+)?(?:outlet|source|publication|news\s*paper|site)s?\b", re.I)
# where one claim ends and the next begins: "..., while B ...", "..., whereas ...", "..., and did B ...", "but"
_CLAUSE_BREAK = re.compile(
    rf",?\s+(?:while|whereas|but|and\s+(?=(?:{_AUX}|the|an?|another)\b)|(?:compared|in contrast)\s+(?:to|with))\s+",
    re.I,
)
_ORDER = re.compile(r"\b(before|after|prior to|earlier than|later than|following)\b", re.I)
_CHANGE = re.compile(r"\b(chang\w*|shift\w*|differ\w*|evolv\w*)\b", re.I)
_SAME = re.compile(r"\b(consisten\w*|same|similar\w*|agree\w*|align\w*|remain\w*|maintain\w*)\b", re.I)
_NO_CHANGE = re.compile(r"\b(?:no|not)\s+(?:\w+\s+)?(?:chang\w*|shift\w*|differ\w*)", re.I)
_BETWEEN = re.compile(r"\bbetween\b", re.I)
# the words that attribute a claim, not part of it: "the X article suggests that", "did X report on"
_FRAME = re.compile(
    r"\b(?:does|do|did|is|was|has|have|the|an?|article|report(?:ed|s|ing)?|story|piece|coverage|news\s+source|"
    r"from|by|both|another|other|second|first|latter|former|(?:suggest|impl[yi]|indicat|claim|state|say|said|"
    r"mention|discuss|allege|highlight|describe|note|argue|accus|assert|attribut|focus|confirm)\w*(?:\s+that)?|"
    r"on|about|regarding|concerning|that)\b",
    re.I,
)
_DANGLING = re.compile(r"(?:[\s,]+(?:and|while|whereas|but|published|there|with))+$", re.I)  # a clause's seam
_LEADING = re.compile(r"^(?:(?:and|while|whereas|but)\b[\s,]*)+", re.I)
_DATE = re.compile(
    r"(?:\b\d{4}-\d{2}-\d{2}(?:T[\d:+]+)?|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}"
    r"(?:st|nd|rd|th)?,?\s+\d{4}|\b\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\s+\d{4})",
    re.I,
)


# "Does A claim X, or does it claim Y?": a choice between two claims, answered by one of them, never yes or no
_ALTERNATIVE = re.compile(r",?\s+or\s+(?:does|do|did|is|are|was|were|has|have|had|will|would|can|could)\b", re.I)


def asks_which_outlet(question: str) -> bool:
    """Whether ``question`` asks which outlet reported something ("Which outlet reported that ...?")."""
    return bool(_WHICH.search(question))


def split_claims(question: str, outlets: tuple[str, ...]) -> Coverage | None:
    """``question`` as claims attributed to the ``outlets`` it names (indexed names, in the order named), or None
    when it is no question about coverage (no outlet named, or no yes/no or which-outlet form)."""
    text = " ".join(question.split()).rstrip("?. ")
    if asks_which_outlet(text):  # names no outlet: it asks for one
        claim = _strip(_WHICH.sub("", text), outlets)
        return Coverage(Form.WHICH, (Claim(claim, ""),)) if claim else None
    if not outlets:
        return None
    if not _YESNO.search(text) or _ALTERNATIVE.search(text):
        return None
    form, negated = _form(text, outlets)
    if form in (Form.CONSISTENT, Form.CHANGED):
        claims = _reports(text, outlets)
    elif form in (Form.BEFORE, Form.AFTER):
        order = _order(text, outlets)
        head, tail = text[: order.start()], text[order.end() :]
        claims = _clauses(head, outlets) + _clauses(tail, outlets)
    else:
        claims = tuple(c for part in _CLAUSE_BREAK.split(text) for c in _clauses(part, outlets))
    claims = tuple(c for c in claims if c.text)
    if len(claims) < 2 and not (form == Form.ALL and claims):
        return None
    return Coverage(form, claims, negated)


def _form(text: str, outlets: tuple[str, ...]) -> tuple[Form, bool]:
    change, same = _CHANGE.search(text), _SAME.search(text)
    if change and (not same or change.start() < same.start()):
        negated = bool(_NO_CHANGE.search(text))
        return (Form.CONSISTENT if negated else Form.CHANGED), negated
    if same and (_BETWEEN.search(text) or re.search(r"\bconsisten\w*|\bremain\w*|\bmaintain\w*", text, re.I)):
        return Form.CONSISTENT, False
    order = _order(text, outlets)
    if order:
        word = order.group(1).lower()
        return (Form.BEFORE if word in ("before", "prior to", "earlier than") else Form.AFTER), False
    return Form.ALL, False


def _order(text: str, outlets: tuple[str, ...]) -> re.Match | None:
    """The "before"/"after" that orders two reports: an outlet named on each side of it ("Did A report X before B
    reported Y?", the second soon after it); not one inside a claim ("reopen after its repairs, while B ...") nor
    one opening the question as context."""
    for m in _ORDER.finditer(text):
        head, tail = text[: m.start()], text[m.end() :]
        near = " ".join(re.split(r"[,;]", tail)[0].split()[:ORDER_REACH])
        if head.strip() and any(_where(head, o) >= 0 for o in outlets) and any(_where(near, o) >= 0 for o in outlets):
            return m
    return None


def _clauses(part: str, outlets: tuple[str, ...]) -> tuple[Claim, ...]:
    """A clause naming outlets: one claim per outlet it names ("both A and B say X" -> X for each)."""
    named = [o for o in outlets if _where(part, o) >= 0]
    if not named:
        return ()
    date = _date(part)
    claim = _strip(_DATE.sub(" ", part), outlets)
    return tuple(Claim(claim, o, date) for o in sorted(named, key=lambda o: _where(part, o)))


def _reports(text: str, outlets: tuple[str, ...]) -> tuple[Claim, ...]:
    """The two reports a consistent/changed question compares: each outlet mention (the same outlet twice when
    named twice) with the date given after it; the claim is the subject, the question less its frame."""
    places = sorted((m.start(), o) for o in outlets for m in _mentions(text, o))
    dates = [(m.start(), m.group(0)) for m in _DATE.finditer(text)]
    subject = _strip(_DATE.sub(" ", text), outlets)
    if len(places) == 1 and len(dates) >= 2:  # "Has Sporting News changed between May 1 and June 2?"
        places = [(dates[0][0], places[0][1]), (dates[1][0], places[0][1])]
    claims = []
    for i, (at, outlet) in enumerate(places[:2]):
        end = places[i + 1][0] if i + 1 < len(places) else len(text)
        date = next((_iso(d) for p, d in dates if at <= p < end), "")
        own = _strip(_DATE.sub(" ", text[at:end]), outlets)
        claims.append(Claim(own if len(own.split()) >= MIN_CLAIM_WORDS else subject, outlet, date))
    return tuple(claims)


def _aliases(outlet: str) -> list[str]:
    names = {outlet}
    for sep in (" | ", " - ", ": "):
        head = outlet.split(sep)[0].strip()
        if len(head) >= 3:
            names.add(head)
    names |= {n[4:] for n in list(names) if n.lower().startswith("the ") and len(n) > 8}
    return sorted(names, key=len, reverse=True)


def _mentions(text: str, outlet: str) -> list[re.Match]:
    found: list[re.Match] = []
    for alias in _aliases(outlet):
        for m in re.finditer(rf"(?<!\w){re.escape(alias)}(?!\w)", text, re.I):
            if not any(f.start() <= m.start() < f.end() for f in found):
                found.append(m)
    return found


def _where(text: str, outlet: str) -> int:
    found = _mentions(text, outlet)
    return min(m.start() for m in found) if found else -1


def _date(text: str) -> str:
    m = _DATE.search(text)
    return _iso(m.group(0)) if m else ""


def _iso(text: str) -> str:
    if re.match(r"\d{4}-\d{2}-\d{2}", text):
        return text[:10]
    try:
        return parse_day(re.sub(r"(?<=\d)(?:st|nd|rd|th)\b|\.", "", text), last=False)
    except ValueError:
        return ""


def _strip(text: str, outlets: tuple[str, ...]) -> str:
    """The claim without the outlet names and the words that attribute it."""
    for outlet in outlets:
        for alias in _aliases(outlet):
            text = re.sub(rf"(?<!\w)['‘\"]?{re.escape(alias)}['’\"]?(?:'s)?(?!\w)", " ", text, flags=re.I)
    text = re.sub(r"\b(?:published|on|at)\s*(?=[,.]|$)", " ", text)
    words = _FRAME.sub(" ", text)
    words = " ".join(words.replace(" ,", ",").split()).strip(" ,;:'\"")
    return _DANGLING.sub("", _LEADING.sub("", words)).strip(" ,;:'\"")
