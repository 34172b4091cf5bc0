"""Typed candidate answers inside a sentence: people, organisations, places, dates, numbers with their unit, and
named things, read from the English pipeline's entities (`qa.answer.language`), never from capitalisation. Numbers
written as words count ("seven counts"); relative dates are resolved against the article's publication date and
shown with the original words ("November 2023 (“this month”)")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from qa.text.question import Wants

# spaCy's OntoNotes labels -> the kind of answer they can be
_KIND = {
    "PERSON": Wants.PERSON,
    "ORG": Wants.ORG,
    "GPE": Wants.PLACE,
    "LOC": Wants.PLACE,
    "FAC": Wants.PLACE,
    "DATE": Wants.DATE,
    "TIME": Wants.DATE,
    "CARDINAL": Wants.NUMBER,
    "MONEY": Wants.NUMBER,
    "PERCENT": Wants.NUMBER,
    "QUANTITY": Wants.NUMBER,
    "NORP": Wants.NAME,
    "PRODUCT": Wants.NAME,
    "WORK_OF_ART": Wants.NAME,
    "EVENT": Wants.NAME,
    "LAW": Wants.NAME,
}
# what else a question's kind accepts: the tagger mislabels organisations as places or people often enough (an
# exact match of kinds still ranks first, `qa.answer.typed`)
ACCEPTS = {
    Wants.PERSON: {Wants.PERSON},
    Wants.ORG: {Wants.ORG, Wants.NAME, Wants.PLACE, Wants.PERSON},
    Wants.PLACE: {Wants.PLACE},
    Wants.DATE: {Wants.DATE},
    Wants.NUMBER: {Wants.NUMBER},
    Wants.NAME: {Wants.NAME, Wants.ORG, Wants.PERSON, Wants.PLACE},
}
DURATION = re.compile(
    r"\b(?:\d[\d,.]*|an?|one|two|three|four|five|six|seven|eight|nine|ten|a few|several|\w+teen|\w+ty)\s+"
    r"(?:years?|months?|weeks?|days?|hours?|minutes?|seasons?|decades?)\b",
    re.IGNORECASE,
)
_MONEY_WORDS_TEXT = """euros euro pounds pound dollars dollar yen yuan francs rupees won"""
_MONEY_WORDS = frozenset(_MONEY_WORDS_TEXT.split())


@dataclass(frozen=True)
class Span:
    """One candidate answer: ``start``/``end`` are offsets in the sentence; ``shown`` is what the direct answer
    says (the span itself, or a resolved date followed by the span's own words)."""

    text: str
    start: int
    end: int
    kind: Wants
    label: str
    token: int  # index of the span's syntactic head among the sentence's tokens
    shown: str = ""
    counted: bool = False  # a number followed by the noun it counts ("998 laps")


def typed_spans(doc, published: str = "") -> list[Span]:
    """Every entity of ``doc`` (a parsed sentence) that can answer a question, numbers extended by the noun they
    count ("42 million" + "euros", "seven" + "counts")."""
    found = []
    for ent in doc.ents:
        kind = _KIND.get(ent.label_)
        if kind is None:
            continue
        start, end = ent.start_char, ent.end_char
        if kind == Wants.NUMBER and ent.label_ in ("CARDINAL", "QUANTITY"):
            end = _with_counted_noun(doc, ent, end)
        counted = end > ent.end_char
        text = doc.text[start:end]
        if kind == Wants.DATE and DURATION.search(text):
            shown = text
        else:
            shown = resolve_date(text, published) if kind == Wants.DATE else text
        found.append(Span(text, start, end, kind, ent.label_, ent.root.i, shown, counted))
    return found


def _with_counted_noun(doc, ent, end: int) -> int:
    """"42 million" + "euros", "seven" + "counts", "998" + "laps": the noun the number counts, when it follows
    within two words that modify it ("21,000 media workers")."""
    head = ent.root.head
    after = doc[ent.end] if ent.end < len(doc) else None
    if after is not None and after.lower_ in _MONEY_WORDS:
        return after.idx + len(after.text)
    if head.pos_ == "NOUN" and ent.end <= head.i <= ent.end + 2 and ent.root.dep_ == "nummod":
        return head.idx + len(head.text)
    return end


_MONTH_TEXT = "January February March April May June July August September October November December"
_MONTHS = _MONTH_TEXT.split()
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# words that place a weekday in its day without moving it ("late Friday", "on Monday night"); "last"/"next" do move it
_TIME_OF_DAY = {"on", "early", "late", "morning", "afternoon", "evening", "night", "overnight"}


def resolve_date(text: str, published: str) -> str:
    """A date relative to the article ("this month", "last year", "on Friday") as a calendar date, followed by the
    article's own words; an absolute date as written. Unknown publication date: as written."""
    try:
        base = date.fromisoformat(published[:10])
    except ValueError:
        return text
    words = text.lower().replace("the ", "").strip()
    month = lambda d: f"{_MONTHS[d.month - 1]} {d.year}"  # noqa: E731
    found = {
        "this month": month(base),
        "last month": month(base.replace(day=1) - timedelta(days=1)),
        "next month": month((base.replace(day=28) + timedelta(days=4)).replace(day=1)),
        "this year": str(base.year),
        "last year": str(base.year - 1),
        "next year": str(base.year + 1),
        "today": _day(base),
        "yesterday": _day(base - timedelta(days=1)),
        "tomorrow": _day(base + timedelta(days=1)),
        "this week": f"the week of {_day(base - timedelta(days=base.weekday()))}",
        "last week": f"the week of {_day(base - timedelta(days=base.weekday() + 7))}",
    }.get(words)
    days = [w for w in words.split() if w in _WEEKDAYS]
    if found is None and len(days) == 1 and set(words.split()) <= _TIME_OF_DAY | set(days):
        # news reports the past: the latest such day up to publication
        back = (base.weekday() - _WEEKDAYS.index(days[0])) % 7
        found = _day(base - timedelta(days=back))
    return f"{found} (“{text}”)" if found else text


def _day(d: date) -> str:
    return f"{_MONTHS[d.month - 1]} {d.day}, {d.year}"
