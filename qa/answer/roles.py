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
_RELATIVE = frozenset({"WDT", "WP"})  # "which", "that", "who" opening a relative clause


@dataclass(frozen=True)
class Role:
    """One verb (its lemma) with the words naming who acts and who is acted on."""

    verb: str
    actors: frozenset[str]
    acted_on: frozenset[str]
    named_actors: bool = False  # an actor is a proper name ("Sonos", not "the company")


def roles(text: str, *, both: bool = True) -> tuple[Role, ...]:
    """The roles of ``text``'s verbs that name both sides (``both`` False: that name who acts)."""
    found = []
    for verb in parse(text):
        if verb.pos_ not in ("VERB", "AUX") or verb.dep_ == "aux":
            continue
        actors, acted_on, named = set(), set(), False
        for child in verb.children:
            dep = child.dep_
            # "the lawsuit ..., which Epic won": the relative pronoun stands for the noun the clause describes
            child = verb.head if verb.dep_ == "relcl" and child.tag_ in _RELATIVE else child
            if child.pos_ == "ADP" and (dep == "agent" or child.lower_ in _TOWARD):  # "by X", "to X"
                target = actors if dep == "agent" else acted_on
                for obj in child.children:
                    if obj.dep_ == "pobj":
                        target |= _names(obj)
                        named = named or (dep == "agent" and obj.pos_ == "PROPN")
            elif dep in _ACTS:
                actors |= _names(child)
                named = named or child.pos_ == "PROPN"
            elif dep in _ACTED_ON:
                acted_on |= _names(child) | _opposing(child)
        if actors and (acted_on or not both) and not actors & acted_on:
            found.append(Role(verb.lemma_.lower(), frozenset(actors), frozenset(acted_on), named))
    return tuple(found)


def _names(token) -> set[str]:
    """The words naming ``token`` and the names joined to it by "and" ("Epic and Match")."""
    if token.pos_ in _UNNAMED:
        return set()
    words = {token.lower_}
    for child in token.children:
        named = child.dep_ in _NAME_PARTS and child.pos_ not in _UNNAMED  # "Epic Games": "Games" <- "Epic"
        if named or child.dep_ == "conj":
            words |= _names(child)
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


def someone_else(claim: str, sentence: str) -> str:
    """The verb of ``claim`` that ``sentence`` gives to another actor, by the same verb or its noun: one named by
    name ("..., which Epic won" for "Did Google win ...?"), or any with the claim's actor as the one acted on
    ("Sonos scored a win against Google" for "Google won ..."). The sentence states nothing about the claim's actor
    doing it ("" when it does or says nothing of who): weaker than `swapped_roles`, which states the opposite."""
    theirs = roles(sentence, both=False)
    for mine in roles(claim, both=False):
        for other in theirs:
            related = other.verb == mine.verb or mine.verb in other.acted_on
            if related and not mine.actors & other.actors and (other.named_actors or mine.actors & other.acted_on):
                return mine.verb
    return ""
