"""The direct answer to a question that asks for a person, an organisation, a place, a date, a number or a named
thing: a span of the right kind (`qa.answer.spans`) in a sentence that states what the question asks (its subject's
words and its predicate), the span most tied to the question's own words in that sentence; never a name or a number
the question already says."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from qa.answer.candidates import Candidate, canonical
from qa.answer.language import lemmas, parse, parse_all, predicate
from qa.answer.spans import ACCEPTS, DURATION, Span, typed_spans
from qa.text.question import CALLED, Shape, Wants
from qa.text.terms import STOP_WORDS, prior_weight, words

SPAN_SENTENCES = 5  # the best sentences searched for a span of the asked kind
MIN_COVERAGE = 0.45  # rarity-weighted share of the question's terms the sentence (title: half) must hold
PREDICATE_SIMILARITY = 0.6  # a sentence this close in meaning states the predicate in other words
_YEAR = re.compile(r"^(?:in\s+)?(?:19|20)\d\d$")
_PERCENT_TEXT = "share percentage percent proportion"
_PERCENT_UNITS = frozenset(_PERCENT_TEXT.split())
_DURATION_UNITS = frozenset({"duration", "age"})
_CURRENCY = re.compile(r"[$€£¥]|\b(?:euros?|pounds?|dollars?|yen|yuan|francs?|rupees?)\b", re.IGNORECASE)
_NAMED_THINGS = frozenset({"PRODUCT", "WORK_OF_ART", "EVENT", "LAW", "ORG", "NORP", "FAC"})
# a date names a point of the calendar: a number, a month, a weekday, a season or a day relative to the article
_CALENDAR = re.compile(
    r"\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|"
    r"\b(?:spring|summer|autumn|fall|winter|today|yesterday|tomorrow|tonight)\b|\b(?:this|last|next)\s+(?:week|month|year)\b",
    re.IGNORECASE,
)
_HYPHENATED = re.compile(r"^[\w.,]+-([^\W\d_]+)\b")  # a number joined to the noun it qualifies: "10-point"
_JOINER = re.compile(r"^(?:,\s*|\s+and\s+|,\s*and\s+|\s*&\s*)$")


@dataclass(frozen=True)
class Found:
    """A span that answers the question, and the sentence stating it."""

    span: Span
    candidate: Candidate

    @property
    def kind(self) -> str:
        """The `Direct` kind it is shown as."""
        return {Wants.DATE: "date", Wants.NUMBER: "number"}.get(self.span.kind, "name")


def typed_answer(shape: Shape, question: str, ranked: list[Candidate]) -> Found | None:
    """The span of the kind ``shape`` asks for in the best sentence that states the question's predicate."""
    pool = [c for c in ranked[:SPAN_SENTENCES] if c.coverage >= MIN_COVERAGE]
    if not pool:
        return None
    asked = _asked_words(question)
    terms = canonical(question)
    wanted = predicate(question)
    sourced = not any(t.dep_ == "ROOT" and t.lemma_.lower() in _ATTRIBUTING for t in parse(question))  # "who said"
    for candidate, doc in zip(pool, parse_all([c.sentence for c in pool]), strict=True):
        if not states_predicate(wanted, doc, candidate):
            continue
        spans = [s for s in typed_spans(doc, candidate.passage.published) if _accepted(s, shape)]
        spans = [s for s in spans if not _already_asked(s, asked) and not (sourced and _source(doc[s.token], wanted))]
        # "What are they called?": only what a sentence says they are called ("named Curlew and Dunlin")
        spans = _called(doc, shape) if shape.head == CALLED else _of_the_unit(spans, doc, shape)
        if spans and _qualifiers_hold(question, candidate):
            best = _closest(spans, doc, terms, shape, asked, wanted)
            return Found(_whole(best, spans, doc, shape), candidate)
    return None


def of_kind(name: str, candidate: Candidate, shape: Shape) -> bool:
    """Whether the pipeline reads ``name`` in ``candidate``'s sentence as the kind ``shape`` asks for ("Australia"
    is no answer to "which official")."""
    doc = parse_all([candidate.sentence])[0]
    spans = [s for s in typed_spans(doc, candidate.passage.published) if name in s.text or s.text in name]
    return any(s.kind in ACCEPTS.get(shape.wants, ()) for s in spans)


def _of_the_unit(spans: list[Span], doc, shape: Shape) -> list[Span]:
    """"By how many points": when the sentence writes the unit, only a number of that unit answers (not the
    "three" of "a three-person panel")."""
    counted = shape.wants == Wants.NUMBER and shape.wh == "how" and shape.unit not in ("", "money", "duration", "age")
    unit = canonical(shape.unit) if counted else set()
    if not unit or not canonical(doc.text) & unit:
        return spans
    return [s for s in spans if canonical(doc.text[s.start : s.end + 12]) & unit]


_CALLED = re.compile(
    r"\b(?:called|named|dubbed|nicknamed|known as|titled)\s+"
    r"(?:[“\"‘']([^”\"’']{2,60})[”\"’']|([A-Z][\w'’-]*(?:(?:\s+|\s+and\s+|\s*&\s*)[A-Z][\w'’-]*){0,4}))"
)


def _called(doc, shape: Shape) -> list[Span]:
    """"What did Epic call its plan?": the words after "called" / "named" / "dubbed", quoted or capitalised."""
    if shape.wants != Wants.NAME or shape.head != CALLED:
        return []
    found = []
    for match in _CALLED.finditer(doc.text):
        group = 1 if match.group(1) else 2
        start, end = match.start(group), match.start(group) + len(match.group(group).rstrip())
        token = next((t.i for t in doc if t.idx >= start), 0)
        text = doc.text[start:end]
        found.append(Span(text, start, end, Wants.NAME, "CALLED", token, text))
    return found


_ORDINALS_TEXT = "first second third fourth fifth sixth seventh eighth ninth tenth final last"
_ORDINALS = frozenset(_ORDINALS_TEXT.split())
_MONTHS_TEXT = "january february march april may june july august september october november december"
_MONTHS = _MONTHS_TEXT.split()


def _qualifiers_hold(question: str, candidate: Candidate) -> bool:
    """The question's qualifiers of time and order ("the fourth quarter", "in 2023", "in November") are those of the
    sentence: written in it or its title, or a year or month of its publication date."""
    held = {w.lower() for w in words(f"{candidate.passage.title} {candidate.sentence}")}
    published = candidate.passage.published
    for word in (w.lower() for w in words(question)):
        if word in _ORDINALS and word not in ("final", "last") and word not in held:
            return False
        if re.fullmatch(r"(?:19|20)\d\d", word) and word not in held and not published.startswith(word):
            return False
        named_month = word in _MONTHS and word not in held and word[:3] not in held
        if named_month and published[5:7] != f"{_MONTHS.index(word) + 1:02d}":
            return False
    return True


def states_predicate(wanted: frozenset[str], doc, candidate: Candidate) -> bool:
    """The sentence holds the question's predicate: one of its lemmas, the same word stem, or it is close enough
    in meaning to say it in other words. A question with no readable predicate passes."""
    return not wanted or candidate.similarity >= PREDICATE_SIMILARITY or stated_words(wanted, doc)


def stated_words(wanted: frozenset[str], doc) -> bool:
    """The sentence holds one of the predicate's lemmas, or a word of the same stem or beginning ("lay" off ->
    "layoffs")."""
    held = lemmas(doc)
    if wanted & held or canonical(" ".join(wanted)) & canonical(doc.text):
        return True
    return any(h.startswith(w) for w in wanted if len(w) >= 3 for h in held)


def _asked_words(question: str) -> set[str]:
    found = set()
    for w in words(question):
        low = w.lower()
        found |= {low, re.sub(r"[’']s$", "", low), *low.split("-")}
    return found


def _accepted(span: Span, shape: Shape) -> bool:
    duration = bool(DURATION.search(span.text))
    if shape.wants == Wants.NUMBER and shape.unit in _DURATION_UNITS:  # "how long": "10 years", not "seven"
        return span.kind in (Wants.DATE, Wants.NUMBER) and duration
    if span.kind not in ACCEPTS.get(shape.wants, ()):
        return False
    if shape.wants == Wants.NUMBER:
        if _YEAR.match(span.text) or span.label == "ORDINAL":
            return False
        money = span.label == "MONEY" or bool(_CURRENCY.search(span.text))
        if shape.unit == "money":
            return money
        if shape.unit in _PERCENT_UNITS:
            return span.label == "PERCENT" or "%" in span.text
        if shape.wh == "how" and shape.unit:  # "how many laps": a count of something, not a price or a share
            compound = _HYPHENATED.match(span.text)  # "a three-person panel" counts persons, not points
            if compound and not canonical(compound.group(1)) & canonical(shape.unit):
                return False
            counts = span.counted or bool(canonical(span.text) & canonical(shape.unit))
            return not money and span.label != "PERCENT" and counts
    if shape.wants == Wants.DATE:  # "two weeks" says how long; "the days since" says no when at all
        return not (duration and not re.search(r"\b(?:19|20)\d\d\b", span.text)) and bool(_CALENDAR.search(span.shown))
    if shape.wants == Wants.NAME and shape.head not in ("name", CALLED, ""):
        return span.label in _NAMED_THINGS  # "which bacterium": a named thing, not a place or a person
    return True


def _already_asked(span: Span, asked: set[str]) -> bool:
    """The question says it already (all its content words, or the last word of a name: "Musk" of "Elon Musk")."""
    parts = [w.lower() for w in words(span.text)]
    content = [w for w in parts if w not in STOP_WORDS]
    if not content or all(w in asked for w in content):
        return True
    return span.kind in (Wants.PERSON, Wants.ORG) and parts[-1] in asked


def _closest(spans: list[Span], doc, terms: set[str], shape: Shape, asked: set[str], wanted: frozenset[str]) -> Span:
    """The span most tied to the question in the sentence: a number next to the unit asked about first ("998 laps"
    for "how many laps"); then the one fewest parse steps below the question's predicate ("published ... before
    the close of December 31"); then not holding a name the question says ("Google Play" when it names Google);
    then the one the question's words surround, each counting by its rarity over its distance."""
    anchors = [(t.i, prior_weight(t.text)) for t in doc if t.is_alpha and canonical(t.text) & terms]
    unit = canonical(shape.unit) if shape.unit and shape.unit not in ("money", "duration", "age") else set()

    def tie(span: Span) -> tuple[bool, bool, float]:
        first, last = _token_range(doc, span)
        near = sum(w / (1 + min(abs(i - first), abs(i - last))) for i, w in anchors if not first <= i <= last)
        has_unit = bool(unit and canonical(doc[first : min(len(doc), last + 3)].text) & unit)
        names_asked = any(w.lower() in asked for w in words(span.text) if w[:1].isupper())
        exact = span.kind == shape.wants
        return (has_unit, -_steps_below(doc[span.token], wanted), exact, not names_asked, near)

    return max(spans, key=tie)


# verbs that attribute a statement: their subject is who says it, not who did what it says ("The county paid ...,
# librarian Tomas Ridley said" does not answer "who paid")
_ATTRIBUTING = frozenset({"say", "tell", "add", "note", "explain", "write", "confirm", "announce", "report", "state"})


def _source(token, wanted: frozenset[str]) -> bool:
    """Whether ``token`` names who reports the statement: the subject of an attributing verb that is not itself
    the asked predicate, or the object of "according to"."""
    while token.dep_ in ("compound", "flat", "appos") and token.head is not token:
        token = token.head
    head = token.head
    if token.dep_ == "nsubj" and head.lemma_.lower() in _ATTRIBUTING:
        return head.lemma_.lower() not in wanted
    return token.dep_ == "pobj" and head.lower_ == "to" and head.head.lower_ == "according"


MAX_STEPS = 8  # parse steps searched upward for the predicate


def _steps_below(token, wanted: frozenset[str]) -> int:
    """Heads climbed from ``token`` to a word of the question's predicate (`MAX_STEPS` when there is none)."""
    node = token
    for steps in range(MAX_STEPS):
        if node.lemma_.lower() in wanted:
            return steps
        if node.head is node:
            break
        node = node.head
    return MAX_STEPS


def _token_range(doc, span: Span) -> tuple[int, int]:
    inside = [t.i for t in doc if span.start <= t.idx < span.end]
    return (inside[0], inside[-1]) if inside else (span.token, span.token)


def _whole(best: Span, spans: list[Span], doc, shape: Shape) -> Span:
    """The answer as the sentence gives it whole: a list for a plural question ("which cities" -> "Pittsburgh,
    Pennsylvania and Cleveland, Ohio"), a name with its acronym ("Organization of ... (OPEC)")."""
    text = doc.text
    same = sorted((s for s in spans if s.kind == best.kind), key=lambda s: s.start)
    start, end = best.start, best.end
    if shape.head.endswith("s") and shape.head not in ("news", "series"):
        for s in same:
            if s.start >= end and _JOINER.match(text[end : s.start]):
                end = s.end
        for s in reversed(same):
            if s.end <= start and _JOINER.match(text[s.end : start]):
                start = s.start
    acronym = re.match(r"\s*\(([A-Z][A-Za-z0-9&.]{1,9})\)", text[end:])
    if acronym:
        end += acronym.end()
    elif re.search(r"\(\s*$", text[:start]) and start > 1:  # "Organization of ... (OPEC)": the name it stands for
        outer = next((s for s in same if s.end <= start and re.fullmatch(r"\s*\(\s*", text[s.end : start])), None)
        if outer is not None:
            start, end = outer.start, end + 1
    if (start, end) == (best.start, best.end):
        return best
    return replace(best, text=text[start:end], start=start, end=end, shown=text[start:end])
