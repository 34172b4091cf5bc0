"""What a question asks, read with the English pipeline (`qa.text.language`): its predicate and the objects of its
verbs."""

from __future__ import annotations

from qa.text.language import parse, parse_all, pipeline

__all__ = ["lemmas", "parse", "parse_all", "pipeline", "predicate", "predicate_objects"]

_LIGHT = frozenset({"be", "have", "do", "get", "take", "make", "give", "go", "come", "say"})
_OBJECTS = frozenset({"dobj", "attr", "nsubj", "nsubjpass", "acomp", "oprd"})


def predicate(question: str) -> frozenset[str]:
    """The lemmas a sentence must hold to state what ``question`` asks: its main verb and the verbs it governs
    ("did ... lure" -> lure; "expected to come" -> expect, come), and for a light verb the noun it takes ("Who is
    the CEO" -> ceo, "have a record" -> have, record). Names and wh-words are not predicates."""
    doc = parse(question)
    roots = [t for t in doc if t.dep_ == "ROOT"]
    found: set[str] = set()
    todo = list(roots)
    while todo:
        verb = todo.pop()
        light = verb.lemma_.lower() in _LIGHT or verb.pos_ not in ("VERB", "NOUN", "ADJ")
        if not light:
            found.add(verb.lemma_.lower())
        for child in verb.children:
            if (child.dep_ in ("xcomp", "ccomp") and child.pos_ in ("VERB", "AUX")) or (light and child.pos_ == "VERB"):
                todo.append(child)
            elif light and child.dep_ in _OBJECTS and child.pos_ in ("NOUN", "ADJ", "VERB"):
                found.add(child.lemma_.lower())
    return frozenset(found)


def predicate_objects(question: str) -> frozenset[str]:
    """The nouns the question's main verbs take ("set a budget and headcount" -> budget, headcount): a "no" on
    them negates the statement as much as a "not" on the verb."""
    doc = parse(question)
    verbs = [t for t in doc if t.pos_ == "VERB"]
    found = {c.lemma_.lower() for v in verbs for c in v.children if c.dep_ in ("dobj", "attr") and c.pos_ == "NOUN"}
    found |= {c.lemma_.lower() for t in doc if t.lemma_.lower() in found for c in t.children if c.dep_ == "conj"}
    return frozenset(found)


def lemmas(doc) -> frozenset[str]:
    return frozenset(t.lemma_.lower() for t in doc if t.is_alpha)
