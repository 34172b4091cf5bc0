"""The name an answer is built around: for a who/which/what question, the name the leading retrieved
articles share that the question does not already say."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
# a person's name: two or three words written "Sam", "Bankman-Fried", "O’Neil" (no acronyms, no "of")
_PERSON_SHAPE = re.compile(r"^[A-Z][a-z’'.]+(?:-[A-Z][a-z]+)?(?: [A-Z][a-z’'.]*[a-z](?:-[A-Z][a-z]+)?){1,2}$")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”\n]\s*|\n)$")


@dataclass(frozen=True)
class NameChoice:
    """The name the leading articles share, how many of them name it, and how many name the runner-up."""

    name: str
    articles: int
    runner_up: int


def answer_entity(question: str, passages: list[Passage], top: int = 10) -> str:
    """For a who/which/what question: the name most of the leading articles mention that the question
    does not, in its longest written form ("Sam Bankman-Fried" over "Bankman-Fried"); "" otherwise.

    Multi-article questions describe one thing several ways; the thing itself is the name the
    retrieved articles share. Choosing a sentence that spells it out makes the answer say it."""
    choice = choose_name(question, passages, top)
    return choice.name if choice else ""


def choose_name(question: str, passages: list[Passage], top: int = 10) -> NameChoice | None:
    """`answer_entity` with its support: the articles naming it and those naming the runner-up."""
    if not _ENTITY_QUESTION.match(question) or not passages:
        return None
    leading = passages[:top]
    lowercase = {w for p in leading for w in words(p.text) if w.islower()}
    votes = _name_votes(question, leading, lowercase)
    if not votes:
        return None

    # a short form also counts the articles of every longer form containing it
    def support(name: str) -> int:
        return len({a for other in votes if contains_words(other, name) for a in votes[other]})

    person = _PERSON_QUESTION.search(question) is not None
    if person:  # a person: first and last name, the last one not an English lower-case word ("Alameda Research")
        pool = [n for n in votes if _person_like(n) and n.split()[-1].lower() not in lowercase]
        pool = [n for n in pool if contains_words(leading[0].text, n.split()[-1])]
        ranked = sorted(
            pool,
            key=lambda n: (support(n.split()[-1]), bool(_PERSON_SHAPE.match(n)), len(votes[n]), -len(n.split())),
            reverse=True,
        )
        shared = [support(n.split()[-1]) for n in ranked]
    else:  # the name must be in the best passage: shared by lesser ones only, it answers something else
        pool = [n for n in votes if contains_words(leading[0].text, n)]
        ranked = sorted(pool, key=lambda n: (support(n), len(n)), reverse=True)
        shared = [support(n) for n in ranked]
    if not ranked or shared[0] < 2 or (person and not _PERSON_SHAPE.match(ranked[0])):
        return None  # a last name alone ("Bankman-Fried") is left to the quotes: the direct answer is a full name
    best = ranked[0]
    key = best.split()[-1] if person else best
    rivals = [n for i, n in enumerate(ranked[1:], 1) if not contains_words(n, key) and not contains_words(key, n)]
    runner_up = max((shared[ranked.index(n)] for n in rivals), default=0)
    name = best if person else written_form(best, list(votes), leading)
    return NameChoice(name, shared[0], runner_up)


def _name_votes(question: str, leading: list[Passage], lowercase: set[str]) -> dict[str, set[str]]:
    """Every name the passages write that the question does not say -> the articles writing it."""
    asked = {w.lower() for w in words(question)}
    outlets = {p.source.lower() for p in leading}
    votes: dict[str, set[str]] = {}
    inside: set[str] = set()  # names written somewhere other than a sentence's first word
    for passage in leading:
        for match in _NAME.finditer(passage.text):
            name = _POSSESSIVE.split(_trim_name(match.group(0), lowercase))[0].strip()  # "Google’s Search" -> "Google"
            if name and not _SENTENCE_START.search(passage.text[max(0, match.start() - 3) : match.start()]):
                inside.add(name.split()[0])
            parts = [w.lower() for w in words(name)]
            if not parts or len(parts) > 5 or name.lower() in outlets:
                continue
            if all(w in asked or w in STOP_WORDS or w in _CALENDAR for w in parts):
                continue
            if parts[-1] in asked:  # "Sam Altman" when the question says "Altman": its subject, not its answer
                continue
            if len(parts) == 1 and parts[0] in lowercase:  # "If", "See": capitalised only at a sentence start
                continue
            votes.setdefault(name, set()).add(passage.article_id)
    # a single word capitalised only where a sentence starts is no name ("Advertisement", "Once")
    return {n: a for n, a in votes.items() if " " in n or n in inside}


def _person_like(name: str) -> bool:
    """A full name ("Sam Altman") or a last name alone, written like one ("Bankman-Fried", not "CEO")."""
    return bool(_PERSON_SHAPE.match(name) or re.fullmatch(r"[A-Z][a-z’'.]+(?:-[A-Z][a-z]+)?", name))


FORM_SHARE = 0.75  # a longer written form must appear in this share of the articles naming the short one


def written_form(best: str, names: list[str], passages: list[Passage]) -> str:
    """The longest form of ``best`` about as many articles write ("Alameda Research" over "Alameda"), not
    a rarer, longer phrase that contains it ("Amazon Prime", "Google Play")."""

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
