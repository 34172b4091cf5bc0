"""The direct answer to a question a clause answers: why something happened ("because of X", "due to X", "after X"),
or who someone is (the role the sentence gives them: "<Country>'s deputy foreign minister <Name>"). Read from the
parse of a sentence that states the question's predicate; never a whole sentence, never a guess."""

from __future__ import annotations

from dataclasses import dataclass

from qa.answer.candidates import Candidate, canonical
from qa.answer.language import parse_all
from qa.text.question import Shape, Wants
from qa.text.terms import STOP_WORDS, words

CLAUSE_SENTENCES = 3  # the best sentences searched for a reason or a role
MIN_COVERAGE = 0.5  # share of the question's terms the sentence must hold (a why-question names its event fully)
MAX_CLAUSE_WORDS = 14  # longer is a sentence, not an answer
# words that open a cause in English (closed class): "because", "due to", "owing to", "amid", "over" allegations
_CAUSES = frozenset({"because", "due", "owing", "amid", "citing", "over", "thanks"})
_ROLE_DEPS = frozenset({"compound", "amod", "poss", "nmod", "appos"})


@dataclass(frozen=True)
class Clause:
    text: str
    candidate: Candidate


def clause_answer(shape: Shape, question: str, ranked: list[Candidate]) -> Clause | None:
    """A reason for a why-question, a role for "Who is <name>?"; None otherwise or when no sentence states it."""
    if shape.wants != Wants.DESCRIPTION or shape.wh not in ("why", "who"):
        return None
    pool = [c for c in ranked[:CLAUSE_SENTENCES] if c.coverage >= MIN_COVERAGE]
    terms = canonical(question)
    for candidate, doc in zip(pool, parse_all([c.sentence for c in pool]), strict=True):
        text = _reason(doc, terms) if shape.wh == "why" else _role(doc, question)
        if text:
            return Clause(text, candidate)
    return None


def _reason(doc, terms: set[str]) -> str:
    """The cause clause attached to the verb that states the question's event: "with a broken brake rotor" is not
    one, "because of a broken arm" and "due to burnout" are."""
    anchors = {t.i for t in doc if t.is_alpha and canonical(t.text) & terms}
    if not anchors:
        return ""
    for token in doc:
        if token.lower_ not in _CAUSES or token.i in anchors:
            continue
        if token.lower_ == "after" and token.dep_ == "mark":  # "after he left": a time, not a cause
            continue
        head = token.head
        if not _near_event(head, anchors):
            continue
        last = token.right_edge.i if token.right_edge.i > token.i else head.right_edge.i
        text = doc[token.i : last + 1].text.strip(" ,;.")
        content = [w for w in words(text) if w.lower() not in STOP_WORDS]
        new = [w for w in content[1:] if not canonical(w) & terms]  # beyond the marker, something the question lacks
        if new and len(text.split()) <= MAX_CLAUSE_WORDS:
            return text
    return ""


CLAUSE_STEPS = 3  # parse steps from a cause up to the clause of the asked event


def _near_event(node, anchors: set[int]) -> bool:
    """The cause hangs (within `CLAUSE_STEPS` heads) on a phrase holding the question's words: the asked event."""
    for _ in range(CLAUSE_STEPS):
        if any(node.left_edge.i <= a <= node.right_edge.i for a in anchors):
            return True
        if node.head is node:
            return False
        node = node.head
    return False


def _role(doc, question: str) -> str:
    """The words a sentence puts before or beside the asked person's name: "Russia's Deputy Foreign Minister"."""
    asked = {w.lower() for w in words(question)}
    for ent in doc.ents:
        if ent.label_ != "PERSON" or not any(w.lower() in asked for w in words(ent.text)):
            continue
        before = [t for t in doc[: ent.start] if t.head.i in range(ent.start, ent.end) and t.dep_ in _ROLE_DEPS]
        if before:
            first = min(t.left_edge.i for t in before)
            text = doc[first : ent.start].text.strip(" ,")
            if len(text.split()) <= MAX_CLAUSE_WORDS and any(ch.isalpha() for ch in text):
                return text
        appos = [t for t in ent.root.children if t.dep_ == "appos"]
        if appos:
            text = doc[appos[0].left_edge.i : appos[0].right_edge.i + 1].text.strip(" ,")
            if len(text.split()) <= MAX_CLAUSE_WORDS:
                return text
    return ""
