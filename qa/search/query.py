"""Read a question the way a news reader means it: outlets it names, dates it mentions, and whether it
continues the conversation. Everything here is pure text processing, testable without a model."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from qa.search.followup import Turn, resolve
from qa.search.outlets import OutletMatcher
from qa.text.dates import parse_dates
from qa.text.question import Shape, Wants, question_shape
from qa.text.terms import STOP_WORDS, words


class Need(StrEnum):
    """What a new question needs of the earlier turns."""

    ALONE = "alone"  # nothing: it is answered exactly as if asked alone
    DEPENDS = "depends"  # it continues them (a connective, too few words of its own, a pronoun with no referent)
    MAYBE = "maybe"  # perhaps: searched alone first, the earlier turns folded in when that finds too little


ALONE, DEPENDS, MAYBE = Need.ALONE, Need.DEPENDS, Need.MAYBE
MAX_FOLDED_TURNS = 3  # a chain of follow-ups leans back at most this far for its topic
OWN_WORDS_MIN = 2  # fewer content words of its own (outlets and dates aside): "And The Verge?", "What about May?"

# Closed word classes of English grammar, not vocabulary of any data set:
# a question opening with a connective continues the previous one ("And ...", "What about ...")
_CONNECTIVE = re.compile(r"^\s*(?:and|but|also|so|then|what about|how about|what of|same for)\b", re.IGNORECASE)
# third-person pronouns and demonstratives need a referent ("Did he come back?", "How did TechCrunch cover this?")
_PRONOUN_TEXT = "he him his she her hers it its they them their theirs this these those"
_TIME_TEXT = "year week month season morning afternoon evening time weekend quarter"  # "this year" refers to no one
_CALENDAR_TEXT = """monday tuesday wednesday thursday friday saturday sunday january february march april may june
july august september october november december"""
_PRONOUNS = frozenset(_PRONOUN_TEXT.split())
_TIME_NOUNS = frozenset(_TIME_TEXT.split())
_DETERMINERS = frozenset({"which", "what", "whose", "a", "an"})  # "the company" itself refers back
_CALENDAR = frozenset(_CALENDAR_TEXT.split())


@dataclass(frozen=True)
class Query:
    """A parsed question: the words to search, the outlets and dates it names, the turn it follows."""

    question: str
    context: str = ""  # the earlier user turn(s) a follow-up refers to ("" when none)
    resolved: str = ""  # the question with its he/she/they spelled out (`qa.search.followup`); "" when unchanged
    outlets: tuple[str, ...] = ()  # indexed outlets named in the question itself
    named: tuple[tuple[str, ...], ...] = ()  # the same, per name in the order named ("FOX News": its sections)
    context_outlets: tuple[str, ...] = ()  # indexed outlets named in the earlier turn
    days: tuple[str, ...] = ()  # ISO days mentioned ("on October 7, 2023")
    since: str | None = None  # soft range from "after ..." / "between ... and ..."
    until: str | None = None
    need: Need = ALONE  # MAYBE: the retrieval evidence decides (`Searcher.find`)
    shape: Shape = Shape(Wants.NONE)  # what the question asks for (`qa.text.question`): read by the answer layer
    # the question's words as the corpus version searched stems them, computed once (`qa.search.rank.weigh`)
    search_terms: tuple[str, ...] = ()  # every BM25 term of `text`, repeats kept (BM25 scores them again)
    terms: tuple[str, ...] = ()  # terms of its content words, without the words of the outlets it names
    # each of `terms` weighted by its IDF in the corpus (ranking), and by its rarity in English (evidence);
    # derived from `terms`, so left out of comparisons and hashing
    idf: dict[str, float] = field(default_factory=dict, compare=False)
    rarity: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def text(self) -> str:
        """The single search string: the question (its pronouns spelled out) first, then the turn it continues."""
        return f"{self.asked} {self.context}".strip()

    @property
    def asked(self) -> str:
        """The question as searched and answered: with the names its pronouns stand for."""
        return self.resolved or self.question


def parse_query(
    question: str,
    *,
    outlets: list[str] | tuple[str, ...] = (),
    history: list[dict] | None = None,
    default_year: int | None = None,
) -> Query:
    """``question`` (+ earlier turns ``{"role", "content"}``, oldest first) -> `Query`.

    The earlier turns are read only when the question may depend on them (`history_need`); a
    self-contained question gets exactly the `Query` it would get asked alone."""
    matcher = OutletMatcher(outlets)
    year = default_year or date.today().year
    dates = parse_dates(question, year)
    named = matcher.mentions(question)
    own_outlets = tuple(dict.fromkeys(o for group in named for o in group))
    need = history_need(question, own_outlets) if history else ALONE
    turns = earlier_turns(question, history, matcher=matcher) if need != ALONE else []
    context = " ".join(t.question for t in turns)
    if not context:
        need = ALONE
    resolved = resolve(question, turns).question if need == DEPENDS else question
    if context and not dates:
        dates = parse_dates(context, year)
    return Query(
        question=question,
        context=context,
        resolved=resolved if resolved != question else "",
        outlets=own_outlets,
        named=named,
        context_outlets=matcher.find(context) if context else (),
        days=dates.days,
        since=dates.since,
        until=dates.until,
        need=need,
        shape=question_shape(question, own_outlets),
    )


def history_need(question: str, named_outlets: tuple[str, ...] = ()) -> Need:
    """Whether ``question`` continues the conversation, from its own structure:

    DEPENDS: it opens with a connective ("And ...", "What about ..."), has fewer than `OWN_WORDS_MIN`
    content words once the outlets and dates it names are set aside ("How did TechCrunch cover this?"),
    or uses a pronoun before anything it could refer to ("Did he come back as CEO?").
    ALONE: none of that, and no pronoun at all. MAYBE otherwise: retrieval evidence decides."""
    if _CONNECTIVE.match(question):
        return DEPENDS
    own = own_words(question, named_outlets)
    if len(own) < OWN_WORDS_MIN:
        return DEPENDS
    tokens = words(question)
    lowered = [w.lower() for w in tokens]
    pronoun_at = [
        i
        for i, w in enumerate(lowered)
        if w in _PRONOUNS and not (w in {"this", "these", "those"} and _next(lowered, i) in _TIME_NOUNS)
    ]
    if not pronoun_at:
        return ALONE
    if not _has_referent(tokens[: pronoun_at[0]], named_outlets):
        return DEPENDS
    return MAYBE


def own_words(question: str, named_outlets: tuple[str, ...] = ()) -> list[str]:
    """The question's content words, without the words of the outlets it names and of calendar dates."""
    outlet_words = {w.lower() for name in named_outlets for w in words(name)}
    return [
        w
        for w in (t.lower() for t in words(question))
        if w not in STOP_WORDS and w not in outlet_words and w not in _CALENDAR and not w.isdigit()
    ]


def _next(lowered: list[str], i: int) -> str:
    return lowered[i + 1] if i + 1 < len(lowered) else ""


def _has_referent(before: list[str], named_outlets: tuple[str, ...]) -> bool:
    """A name (a capitalised word past the first, not an outlet or a month) or a determiner + noun before the
    pronoun: "Which company ... its practices", "Did Sam Altman say he ..."."""
    outlet_words = {w.lower() for name in named_outlets for w in words(name)}
    for i, word in enumerate(before):
        low = word.lower()
        if low in outlet_words or low in _CALENDAR or low in STOP_WORDS:
            continue
        if i > 0 and word[:1].isupper():
            return True
        if i > 0 and before[i - 1].lower() in _DETERMINERS:
            return True
    return False


def fold_history(question: str, history: list[dict] | None, *, matcher: OutletMatcher | None = None) -> str:
    """The earlier user turn(s) a follow-up leans on (`earlier_turns`), as one string."""
    return " ".join(t.question for t in earlier_turns(question, history, matcher=matcher))


def earlier_turns(question: str, history: list[dict] | None, *, matcher: OutletMatcher | None = None) -> list[Turn]:
    """The earlier user turn(s) a follow-up leans on, oldest first, each with the assistant's reply to it: the most
    recent one, and when that one was itself a follow-up, the turns before it back to one that stands alone (at
    most `MAX_FOLDED_TURNS`).

    Only user turns are searched: the assistant's earlier answer quotes many articles and would pull
    retrieval towards all of them (its reply is read only for the name it answered with, `qa.search.followup`).
    The new question keeps its own weight in retrieval; this text is added beside it, never instead of it."""
    if not history:
        return []
    matcher = matcher or OutletMatcher(())
    folded: list[Turn] = []
    reply = ""
    for turn in reversed(history):
        if not isinstance(turn, dict):
            continue
        content = str(turn.get("content") or "").strip()
        if turn.get("role") == "assistant":
            reply = content
            continue
        if turn.get("role") != "user" or not content or content == question:
            reply = ""
            continue
        folded.insert(0, Turn(content, reply))
        reply = ""
        if len(folded) >= MAX_FOLDED_TURNS:
            break
        if history_need(content, matcher.find(content)) != DEPENDS:
            break
    return folded
