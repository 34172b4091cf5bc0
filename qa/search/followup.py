"""Who "he", "she" or "they" is in a follow-up: the person (or, for "they", the organisation) the conversation was
about, put in the pronoun's place so the name is searched and quoted at full weight ("Who is she dating?" after
"Who was named Time's Person of the Year?", answered "Taylor Swift", is searched as "Who is Taylor Swift dating?").

"It", "this" and "that" are left alone: the earlier turn folded in beside the question (`qa.search.query`) already
carries the topic they point to. Read with the English pipeline (`qa.text.language`: spaCy, no torch)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.text.language import parse
from qa.text.question import Wants, question_shape
from qa.text.terms import words

# Closed classes of English grammar: the pronouns that stand for a person, and those that may stand for a group
PERSONAL = frozenset({"he", "him", "his", "she", "her", "hers"})
PLURAL = frozenset({"they", "them", "their", "theirs"})
_POSSESSIVE = frozenset({"his", "hers", "their", "theirs"})  # "her" is possessive only by its tag (PRP$)
_ASKS_FOR = {  # what a turn asked for whose answer a pronoun can stand for
    "person": (Wants.PERSON,),
    "group": (Wants.PERSON, Wants.ORG, Wants.NAME),
}
_LABELS = {"person": ("PERSON",), "group": ("ORG", "PERSON", "NORP")}
_MARKER = re.compile(r"\[\d+\]")
_QUOTE_LABEL = re.compile(r"^[^“\"]{0,120}?:\s*[“\"]")  # "Outlet, Dec 6, 2023: “..." (a quoted line, no direct answer)
SHORT_ANSWER_WORDS = 5  # a direct answer this short, all capitalised ("Mira Murati"), is a name spaCy may mislabel


@dataclass(frozen=True)
class Turn:
    """A user turn and the assistant's reply to it ("" when the history holds none)."""

    question: str
    reply: str = ""


@dataclass(frozen=True)
class Resolved:
    """A follow-up with its pronouns spelled out; ``referent`` is "" when none could be found."""

    question: str
    referent: str = ""


def resolve(question: str, turns: list[Turn]) -> Resolved:
    """``question`` with its he/she/they replaced by whom they stand for, read from ``turns`` (most recent last):
    going back from the latest, a turn that asked for a person and whose reply names one gives that name ("Who
    was named Time's Person of the Year?" -> "Taylor Swift"); otherwise the person the turn itself names ("Who
    is Sergei Ryabkov?"). "They" may be an answered organisation ("Which company did the FTC sue?" -> "Amazon")."""
    if not any(w.lower() in PERSONAL or w.lower() in PLURAL for w in words(question)):
        return Resolved(question)  # nothing to spell out: the pipeline is not needed
    doc = parse(question)
    pronouns = [t for t in doc if t.lower_ in PERSONAL or t.lower_ in PLURAL]
    if not pronouns:
        return Resolved(question)
    kind = "person" if any(t.lower_ in PERSONAL for t in pronouns) else "group"
    referent = next((name for turn in reversed(turns) if (name := _referent(turn, kind))), "")
    if not referent:
        return Resolved(question)
    wanted = PERSONAL if kind == "person" else PLURAL
    parts = []
    for token in doc:
        text = token.text
        if token.lower_ in wanted:
            possessive = token.lower_ in _POSSESSIVE or token.tag_ == "PRP$"
            text = f"{referent}'s" if possessive else referent
        parts.append(text + token.whitespace_)
    return Resolved("".join(parts), referent)


def _referent(turn: Turn, kind: str) -> str:
    """Whom ``turn`` gives for a pronoun of ``kind``: the name its reply answered with, when it asked for one;
    else, for he/she, the person it names. "They" after a turn naming several parties ("the FTC sued Amazon")
    is not guessed: the folded turn stays the only hint."""
    if question_shape(turn.question).wants in _ASKS_FOR[kind]:
        answered = answer_name(turn.reply, kind)
        if answered:
            return answered
    return _first_name(turn.question, kind) if kind == "person" else ""


def answer_name(reply: str, kind: str = "person") -> str:
    """The name the reply's first line gives: a direct answer ("Taylor Swift [1]") or the first name of that
    kind in its first sentence (a quoted line, a model's prose)."""
    lead = " ".join(_MARKER.sub(" ", reply.strip().split("\n", 1)[0]).split())
    if not lead:
        return ""
    quoted = bool(_QUOTE_LABEL.match(lead))
    tokens = lead.split()
    if not quoted and len(tokens) <= SHORT_ANSWER_WORDS and all(t[:1].isupper() for t in tokens):
        return lead.rstrip(".")
    return _first_name(_QUOTE_LABEL.sub("", lead) if quoted else lead, kind)


def _first_name(text: str, kind: str) -> str:
    labels = _LABELS[kind]
    return next((e.text for e in parse(text).ents if e.label_ in labels), "")
