"""The name an answer is built around: for a who/which/what question, the name the leading retrieved
articles share that the question does not already say."""

from __future__ import annotations

import re

from qa.core.types import Passage
from qa.text.terms import STOP_WORDS, words

# A name: capitalised words, joined by at most one "of"/"de"/"&" ("Bank of America", "Sam Bankman-Fried")
_CAP = r"[A-Z](?:[\w'’-]|\.(?=\w))*"
_NAME = re.compile(rf"\b{_CAP}(?:\s+(?:(?:of|de|del|van|von|&)\s+)?{_CAP})*")
_ENTITY_QUESTION = re.compile(r"^\s*(?:who|whom|whose|which|what|name)\b", re.IGNORECASE)
_PERSON_QUESTION = re.compile(
    r"^\s*who\b|\b(?:individual|person|player|athlete|founder|executive|ceo|quarterback|coach|singer|actor)\b",
    re.IGNORECASE,
)
_CALENDAR_TEXT = """monday tuesday wednesday thursday friday saturday sunday january february march april may
june july august september october november december"""
_CALENDAR = frozenset(_CALENDAR_TEXT.split())
_POSSESSIVE = re.compile(r"[’']s\b")


def answer_entity(question: str, passages: list[Passage], top: int = 10) -> str:
    """For a who/which/what question: the name most of the leading articles mention that the question
    does not, in its longest written form ("Sam Bankman-Fried" over "Bankman-Fried"); "" otherwise.

    Multi-article questions describe one thing several ways; the thing itself is the name the
    retrieved articles share. Choosing a sentence that spells it out makes the answer say it."""
    if not _ENTITY_QUESTION.match(question):
        return ""
    asked = {w.lower() for w in words(question)}
    outlets = {p.source.lower() for p in passages}
    leading = passages[:top]
    lowercase = {w for p in leading for w in words(p.text) if w.islower()}
    votes: dict[str, set[str]] = {}
    mentions: dict[str, float] = {}
    for rank, passage in enumerate(leading):
        for match in _NAME.finditer(passage.text):
            name = _POSSESSIVE.split(_trim_name(match.group(0), lowercase))[0].strip()  # "Google’s Search" -> "Google"
            parts = [w.lower() for w in words(name)]
            if not parts or len(parts) > 5 or name.lower() in outlets:
                continue
            if all(w in asked or w in STOP_WORDS or w in _CALENDAR for w in parts):
                continue
            if len(parts) == 1 and parts[0] in lowercase:  # "If", "See": capitalised only at a sentence start
                continue
            votes.setdefault(name, set()).add(passage.article_id)
            mentions[name] = mentions.get(name, 0.0) + 1.0 / (rank + 1)
    if not votes:
        return ""

    # a short form also counts the articles (and mentions) of every longer form containing it
    def support(name: str) -> tuple[int, float]:
        containing = [other for other in votes if contains_words(other, name)]
        return len({a for other in containing for a in votes[other]}), sum(mentions[o] for o in containing)

    pool = list(votes)
    if _PERSON_QUESTION.search(question):  # a person has a first and a last name somewhere in the articles
        # ... and a last name English does not use as a lower-case word ("Alameda Research" is no one)
        people = [
            n for n in pool if len(n.split()) in (2, 3) and support(n)[0] >= 2 and n.split()[-1].lower() not in lowercase
        ]
        pool = [n for n in pool if any(contains_words(p, n) for p in people)] or pool
    # the name must be in the best passage: shared by lesser ones only, it answers something else
    lead_text = leading[0].text
    pool = [n for n in pool if contains_words(lead_text, n)]
    if not pool:
        return ""
    best = max(pool, key=lambda n: (*support(n), len(n)))
    if support(best)[0] < 2:
        return ""
    return written_form(best, list(votes), leading)


FORM_SHARE = 0.4  # a longer written form must appear in this share of the articles naming the short one


def written_form(best: str, names: list[str], passages: list[Passage]) -> str:
    """The longest form of ``best`` about as many articles write ("Sam Bankman-Fried" over "Bankman-Fried"), not
    a rarer, longer phrase that contains it ("Amazon Prime", "CEO Sam Altman")."""

    def articles(name: str) -> int:
        return len({p.article_id for p in passages if contains_words(p.text, name)})

    floor = max(min(2, articles(best)), FORM_SHARE * articles(best))
    forms = [f for f in names if contains_words(f, best) and len(f.split()) <= 4 and articles(f) >= floor]
    return max(forms, key=len, default=best)


def _trim_name(name: str, common: set[str]) -> str:
    """Drop leading words that are only capitalised because a sentence starts there ("The", "Didn’t")."""
    parts = name.split()
    while parts and (
        parts[0].lower() in STOP_WORDS
        or parts[0].lower() in _CALENDAR
        or parts[0].lower() in common
        or re.search(r"n[’']t$", parts[0])  # "Didn’t Bankman-Fried"
    ):
        parts = parts[1:]
    name = " ".join(parts)
    for suffix in ("’s", "'s"):
        name = name.removesuffix(suffix)
    return name.rstrip(".’'")


def contains_words(longer: str, shorter: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(shorter)}(?!\w)", longer) is not None


def sentence_entity(question: str, sentence: str, outlets: set[str]) -> str:
    """The first name ``sentence`` spells out that the question does not say (not an outlet, a weekday or a
    month); for a "who" question a person's first and last name. "" when there is none."""
    asked = {w.lower() for w in words(question)}
    person = _PERSON_QUESTION.search(question) is not None
    for match in _NAME.finditer(sentence):
        name = _trim_name(match.group(0), set())
        parts = [w.lower() for w in words(name)]
        if not parts or len(parts) > 5 or name.lower() in outlets or (person and len(parts) < 2):
            continue
        if all(w in asked or w in STOP_WORDS or w in _CALENDAR for w in parts):
            continue
        return name
    return ""
