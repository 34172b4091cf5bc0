"""Who did what to whom, read from the dependency parse (`qa.text.language`): each verb with the names that act
(its subject, or the "by" agent of a passive) and the names it acts on (its object, the subject of a passive, the
object of "against"/"to", and whom the "lawsuit against" it takes is against). Two statements of one verb with
those names swapped say different things ("Google won against Epic" for "Epic won against Google") although every
word is shared; with opposite verbs they say the same ("Google lost to Epic")."""

from __future__ import annotations

from dataclasses import dataclass

from qa.answer.language import parse

_ACTS = frozenset({"nsubj"})
_ACTED_ON = frozenset({"dobj", "nsubjpass", "dative"})
_TOWARD = frozenset({"against", "to", "over"})  # prepositions whose object is the one acted on ("won against X")
_NAME_PARTS = frozenset({"compound", "flat", "amod"})  # "Epic Games", "Sam Bankman-Fried"
_UNNAMED = frozenset({"PRON", "DET", "NUM"})  # "he", "it", "which": not a name to compare


@dataclass(frozen=True)
class Role:
    """One verb (its lemma) with the words naming who acts and who is acted on."""

    verb: str
    actors: frozenset[str]
    acted_on: frozenset[str]


def roles(text: str) -> tuple[Role, ...]:
    """The roles of ``text``'s verbs that name both sides."""
    found = []
    for verb in parse(text):
        if verb.pos_ not in ("VERB", "AUX") or verb.dep_ == "aux":
            continue
        actors, acted_on = set(), set()
        for child in verb.children:
            if child.pos_ == "ADP" and (child.dep_ == "agent" or child.lower_ in _TOWARD):  # "by X", "to X"
                target = actors if child.dep_ == "agent" else acted_on
                for obj in child.children:
                    if obj.dep_ == "pobj":
                        target |= _names(obj)
            elif child.dep_ in _ACTS:
                actors |= _names(child)
            elif child.dep_ in _ACTED_ON:
                acted_on |= _names(child) | _opposing(child)
        if actors and acted_on and not actors & acted_on:
            found.append(Role(verb.lemma_.lower(), frozenset(actors), frozenset(acted_on)))
    return tuple(found)


def _names(token) -> set[str]:
    """The words naming ``token`` and the names joined to it by "and" ("Epic and Match")."""
    if token.pos_ in _UNNAMED:
        return set()
    words = {token.lower_} | {c.lower_ for c in token.children if c.dep_ in _NAME_PARTS and c.pos_ not in _UNNAMED}
    for conj in token.children:
        if conj.dep_ == "conj":
            words |= _names(conj)
    return {w for w in words if w.isalnum() or "-" in w}


def _opposing(token) -> set[str]:
    """The names a noun is "against": "won its lawsuit against Corvid" acts on Corvid as much as "beat Corvid"."""
    return {
        w for p in token.children if p.lower_ == "against" for o in p.children if o.dep_ == "pobj" for w in _names(o)
    }


def swapped(first: Role, second: Role) -> bool:
    """Whether ``second`` has ``first``'s names the other way round (the verbs are compared by the caller)."""
    return bool(first.actors & second.acted_on and first.acted_on & second.actors and not first.actors & second.actors)


def swapped_roles(claim: str, sentence: str, *, same_verb: bool = False) -> str:
    """The verb of ``claim`` whose names ``sentence`` has the other way round ("" when none); with ``same_verb``
    only for the same verb, else for any (the caller has found the two verbs opposite)."""
    theirs = roles(sentence)
    for mine in roles(claim):
        for other in theirs:
            if (not same_verb or other.verb == mine.verb) and swapped(mine, other):
                return mine.verb
    return ""
