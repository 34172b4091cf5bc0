"""The direct answer: the name, number, date, yes/no or claim a cited sentence states, or nothing.

Never a guess: a name, number or date is a span of a cited sentence, verbatim; "Yes"/"No" only when one
sentence states the asked predicate plainly for the asked subject (not hedged, not conditional); a
sentence that reports what someone says gives a claim naming the claimant and the outlet."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.answer.candidates import Candidate
from qa.answer.claims import HEDGED, NEGATED, PLAIN, REPORTED, claim_text, stance
from qa.answer.entity import choose_name, contains_words, sentence_entity
from qa.core.types import Passage
from qa.text.terms import prior_weight, stems, words

YESNO, NUMBER, DATE, NAME = "yesno", "number", "date", "name"
LEAD_ONLY = ""  # a `Plan` kind: the sentence leads the quotes, but it is no sure answer

_YESNO_Q = re.compile(r"^\s*(?:is|are|was|were|did|does|do|has|have|had|can|will|would|should)\b", re.IGNORECASE)
# comparisons and before/after questions get the side-by-side evidence, never a yes/no
_COMPARING = re.compile(
    r"\b(?:before|after|than|compared?|whereas|while|both|either|consistent\w*|same|differ\w*|similar\w*|"
    r"contrast\w*|change[sd]?|between)\b",
    re.IGNORECASE,
)
_NUMBER_Q = re.compile(
    r"^\s*(?:how (?:many|much|long|old|far)|what (?:percentage|share|proportion)|"
    r"what (?:is|was|were|are) the (?:number|amount|price|cost|score|percentage|total|value|size|figure)\b)",
    re.IGNORECASE,
)
_DATE_Q = re.compile(r"^\s*(?:when\b|(?:on )?(?:what|which) (?:date|day|year|month)\b)", re.IGNORECASE)
# "What company ...", "What is the name of ...": a name; "What did the jury decide?", "What is Russia accusing
# them of?" ask for an event or a statement, which the quotes answer
_NAME_Q = re.compile(
    r"^\s*(?:who|whom|whose|which|name|what(?!\s+(?:did|does|do|has|have|had|will|would|can|could|should|happen\w*)\b)"
    r"(?!\s+(?:is|was|are|were)\s+(?!the\b|an?\b)))\b",
    re.IGNORECASE,
)

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE_SPAN = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?|"
    rf"{_MONTH}\s+\d{{4}}|(?<=\bin )(?:19|20)\d\d|"
    r"(?:next|last|this|early|late|in the)\s+(?:spring|summer|autumn|fall|winter|year|month|week)|"
    r"(?<=\bon )(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))\b"
)
_NUMBER_SPAN = re.compile(
    r"(?:[$€£]\s?)?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent|per cent|million|billion|trillion|thousand))?"
    r"(?:-\d+)?"
)
SUPPORT_QUOTES = 2  # sentences cited for a name: the best and one more from another article
PREDICATE_COVERAGE = 0.75  # share (by rarity) of the question's words a yes/no sentence must hold
SPAN_OVERLAP = 0.3  # share of the question's words a sentence needs before its number or date answers it
SPAN_SENTENCES = 5  # the best sentences searched for a number or a date
NAME_OVERLAP = 0.5  # a name no two articles share is taken only from a sentence holding this much of the question
YESNO_SENTENCES = 40  # the best sentences searched for a yes/no statement
LIGHT_VERBS = frozenset({"come", "go", "get", "got", "make", "made", "take", "took", "happen", "happened"})
# predicates news writes several ways; general English, one group per meaning (stems compared)
_EQUIVALENT_TEXT = (
    "convict convicted guilty",
    "return returned back rehired rehire reinstated reinstate",
    "fire fired ousted oust dismissed dismiss removed sacked",
    "sue sued lawsuit",
    "win won wins victory beat",
    "resign resigned quit",
    "buy bought acquire acquired acquisition purchase purchased",
)
_CANON = {s: group.split()[0] for group in _EQUIVALENT_TEXT for s in stems(group)}


@dataclass(frozen=True)
class Plan:
    """A direct answer and the sentences behind it (`support`, cited by it); `also` holds the sentences that
    said otherwise earlier when the story changed (shown, not cited by the direct answer)."""

    kind: str  # a `Direct` kind (name, number, date, yes, no, claim) or LEAD_ONLY
    text: str
    support: tuple[Candidate, ...]
    also: tuple[Candidate, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.also)


def question_kind(question: str, named_outlets: tuple[str, ...] = ()) -> str:
    """What kind of direct answer the question asks for ("" when none can be given)."""
    if _YESNO_Q.match(question):
        if len(named_outlets) >= 2 or _COMPARING.search(question):
            return ""
        return YESNO
    if _NUMBER_Q.match(question):
        return NUMBER
    if _DATE_Q.match(question):
        return DATE
    if _NAME_Q.match(question):
        return NAME
    return ""


def plan_direct(
    question: str,
    ranked: list[Candidate],
    passages: list[Passage],
    named_outlets: tuple[str, ...] = (),
    context: str = "",
) -> Plan | None:
    """The direct answer for ``question`` from its ranked sentences, or None; ``context`` is the earlier turn a
    follow-up continues (its names are the subject of "Did he ...?")."""
    kind = question_kind(question, named_outlets)
    if kind == YESNO:
        return yes_no(question, ranked, named_outlets, context)
    if kind in (NUMBER, DATE):
        return span_answer(question, ranked, kind)
    if kind == NAME:
        return name_answer(question, ranked, passages)
    return None


def name_answer(question: str, ranked: list[Candidate], passages: list[Passage]) -> Plan | None:
    """The name the leading articles share (`choose_name`), cited where a sentence spells it out. When another
    name is about as widely shared, the sentence still leads the quotes but no direct answer is given."""
    choice = choose_name(question, passages)
    entity = choice.name if choice else ""
    if not choice:  # one article alone may name it (a later report): the best sentence, when it matches well
        best = ranked[0] if ranked and ranked[0].overlap >= NAME_OVERLAP else None
        entity = sentence_entity(question, best.sentence, {p.source.lower() for p in passages}) if best else ""
    if not entity:
        return None
    support: list[Candidate] = []
    for c in ranked:
        if contains_words(c.sentence, entity) and all(c.passage.article_id != s.passage.article_id for s in support):
            support.append(c)
            if len(support) >= SUPPORT_QUOTES:
                break
    if not support:
        return None
    if choice and (not confident(choice.articles, choice.runner_up) or support[0].overlap < NAME_SENTENCE_OVERLAP):
        return Plan(LEAD_ONLY, "", support[:1])
    return Plan(NAME, entity, tuple(support))


NAME_SENTENCE_OVERLAP = 0.01  # the sentence naming it must share a word with the question, not just the topic
NAME_LEAD = 1.5  # the name must be shared by this many times the articles of the runner-up
NAME_MIN_ARTICLES = 4  # with NAME_LEAD: 0.067 of dev inference questions get a wrong name, 0.50 the right one


def confident(articles: int, runner_up: int) -> bool:
    return articles >= NAME_MIN_ARTICLES and articles >= NAME_LEAD * runner_up


def span_answer(question: str, ranked: list[Candidate], kind: str) -> Plan | None:
    """A number or a date written in one of the best sentences, not already in the question."""
    asked = question.lower()
    pattern = _DATE_SPAN if kind == DATE else _NUMBER_SPAN
    target = _counted_noun(question) if kind == NUMBER else ""
    for c in ranked[:SPAN_SENTENCES]:
        if c.overlap < SPAN_OVERLAP:
            continue
        spans = [m for m in pattern.finditer(c.sentence) if m.group(0).strip().lower() not in asked]
        if kind == NUMBER:
            spans = [m for m in spans if not re.fullmatch(r"(?:19|20)\d\d", m.group(0))]  # a year is not a count
            if target:
                spans = sorted(spans, key=lambda m: target not in stems(c.sentence[m.end() : m.end() + 40])[:3])
        if spans:
            return Plan(DATE if kind == DATE else NUMBER, spans[0].group(0).strip(), (c,))
    return None


def _counted_noun(question: str) -> str:
    """The stem of what "how many ..." counts ("how many e-bikes" -> "e-bike")."""
    match = re.match(r"^\s*how many\s+([\w-]+)", question, re.IGNORECASE)
    found = stems(match.group(1)) if match else []
    return found[0] if found else ""


def yes_no(question: str, ranked: list[Candidate], named_outlets: tuple[str, ...], context: str = "") -> Plan | None:
    """Yes/No from the latest sentence stating the predicate; a claim when that sentence reports what someone
    says. When dated sentences disagree, the latest decides and the earlier ones come along in `also`."""
    subject = subject_names(question, named_outlets) + subject_names(context, named_outlets)
    if not subject:  # "Did he ...?" with no one named anywhere: whose predicate it is cannot be checked
        return None
    stated = [c for c in ranked[:YESNO_SENTENCES] if states(question, c.sentence, named_outlets, subject)]
    matches = [(c, stance(c.sentence, question)) for c in stated]
    matches = [(c, s) for c, s in matches if s.kind != HEDGED]
    if not matches:
        return None
    matches.sort(key=lambda m: (m[0].day, m[0].score), reverse=True)
    latest, how = matches[0]
    if how.kind == REPORTED:
        return Plan("claim", claim_text(how.claimant, latest.passage.source), (latest,))
    verdict = {PLAIN: "yes", NEGATED: "no"}[how.kind]
    agreeing = [c for c, s in matches if {PLAIN: "yes", NEGATED: "no"}.get(s.kind) == verdict]
    earlier = [c for c, s in matches if s.kind in (PLAIN, NEGATED) and {PLAIN: "yes", NEGATED: "no"}[s.kind] != verdict]
    earlier = [c for c in earlier if c.day and c.day < latest.day][:1]
    return Plan(verdict, verdict.capitalize(), tuple(agreeing[:SUPPORT_QUOTES]), tuple(earlier))


def states(question: str, sentence: str, named_outlets: tuple[str, ...] = (), subject: list[str] | None = None) -> bool:
    """Whether ``sentence`` holds the question's predicate for its subject: every name the question uses
    (its last word) and `PREDICATE_COVERAGE` of its other words by rarity, predicates compared by meaning."""
    outlet_words = {w.lower() for name in named_outlets for w in words(name)}
    tokens = [w for w in words(question) if w.lower() not in outlet_words]
    said = _canonical(sentence)
    names = subject if subject is not None else _names(tokens)
    if not all(set(stems(name)) & said for name in names):
        return False
    named = {w for run in _name_runs(tokens) for w in run}
    asked = [w for w in tokens[1:] if w not in named and w.lower() not in LIGHT_VERBS and stems(w)]
    weights = {_CANON.get(stems(w)[0], stems(w)[0]): prior_weight(w) for w in asked}
    total = sum(weights.values())
    if not total:
        return False
    return sum(weight for s, weight in weights.items() if s in said) / total >= PREDICATE_COVERAGE


def _canonical(text: str) -> set[str]:
    return {_CANON.get(s, s) for s in stems(text)}


def _name_runs(tokens: list[str]) -> list[list[str]]:
    """Runs of capitalised words after the first word ("Did Tom Becker return" -> [["Tom", "Becker"]])."""
    runs, run = [], []
    for word in tokens[1:] + [""]:
        if word[:1].isupper():
            run.append(word)
        elif run:
            runs.append(run)
            run = []
    return runs


def subject_names(question: str, named_outlets: tuple[str, ...] = ()) -> list[str]:
    """The names a question is about, outlets aside (their last words: "Sam Bankman-Fried" -> "Bankman-Fried")."""
    outlet_words = {w.lower() for name in named_outlets for w in words(name)}
    return _names([w for w in words(question) if w.lower() not in outlet_words])


def _names(tokens: list[str]) -> list[str]:
    """The last word of each name the question uses ("Sam Bankman-Fried" -> "Bankman-Fried")."""
    return [run[-1] for run in _name_runs(tokens)]
