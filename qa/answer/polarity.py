"""Whether the clause that states a question's predicate is negated: read from the parse, so a negation elsewhere in
the sentence ("denied any contact with Japan and committed to staying") does not turn a yes into a no."""

from __future__ import annotations

from qa.answer.candidates import canonical, regular_canonical

# verbs whose complement clause is denied: "refused to return", "denied that he had left", "failed to win"
_NEGATING_VERBS = frozenset(
    regular_canonical("deny denied refuse refused fail failed reject rejected decline declined")
)
_NEGATORS = frozenset({"not", "n't", "never", "no", "nor", "neither", "without"})


# a court's decision is asked; a plea, a charge, an accusation or a denial is none: "pleaded not guilty" and "denied
# being guilty" do not answer "Was X convicted?", "was convicted" does
VERDICT_TERMS = frozenset(regular_canonical("convicted guilty acquitted sentenced"))
_PLEA_VERBS = frozenset(
    regular_canonical("plead pleaded pleads charge charged accuse accused indict indicted allege alleged deny denied")
)


def clause_negated(doc, terms: set[str]) -> bool | None:
    """True when most clauses of ``doc`` holding the predicate ``terms`` (canonical stems: its verb and the nouns it
    takes) are negated, False when most state it plainly, None when none holds them or they are split evenly
    (the caller keeps its reading). For a verdict, the clauses of a plea or a charge do not count."""
    verdicts = [
        _negated(verb) or any(_negator_child(t) for t in _path(token, verb))
        for token, verb in _clauses(doc, terms)
        if not _plea(verb, terms)
    ]
    negated = sum(verdicts)
    if not verdicts or negated * 2 == len(verdicts):
        return None
    return negated * 2 > len(verdicts)


def verdict_unstated(doc, terms: set[str]) -> bool:
    """Whether ``terms`` ask for a verdict (convicted, found guilty, acquitted, sentenced) and every clause of
    ``doc`` holding them is a plea, a charge, an accusation or a denial: the sentence answers no yes/no about it."""
    clauses = list(_clauses(doc, terms))
    return bool(clauses) and all(_plea(verb, terms) for _, verb in clauses)


def _clauses(doc, terms: set[str]):
    """``(token, clause verb)`` for each word of ``doc`` holding one of ``terms``."""
    for token in doc:
        if not token.is_alpha or not (canonical(token.text) & terms):
            continue
        verb = _clause_verb(token)
        if verb is not None:
            yield token, verb


def _plea(verb, terms: set[str]) -> bool:
    """A verdict is asked and the clause is a plea, charge, accusation or denial ("pleaded not guilty", "denied
    being guilty"): its verb, or the verb it complements, is one, and not the asked one ("Did X plead guilty?")."""
    if not terms & VERDICT_TERMS:
        return False
    node = verb
    for _ in range(8):
        said = canonical(node.text)
        if said & _PLEA_VERBS and not said & terms:
            return True
        if node.dep_ not in ("xcomp", "ccomp") or node.head is node:
            return False
        node = node.head
    return False


def _clause_verb(token):
    """The verb heading the clause ``token`` is in (itself when it is one)."""
    node = token
    for _ in range(8):
        if node.pos_ in ("VERB", "AUX") or node.dep_ == "ROOT":
            return node
        if node.head is node:
            return None
        node = node.head
    return None


def _path(token, verb) -> list:
    """``token`` and its heads up to (not including) ``verb``: "pleaded [not guilty]" negates "guilty"."""
    out, node = [], token
    while node is not verb and len(out) < 8:
        out.append(node)
        if node.head is node:
            break
        node = node.head
    return out


def _negator_child(token) -> bool:
    return any(child.dep_ == "neg" or child.lower_ in _NEGATORS for child in token.children)


def _negated(verb) -> bool:
    """A negator among the verb's own children, or the verb is the complement of a negating verb ("refused to
    return"); a conjoined verb does not inherit its neighbour's negation."""
    if any(
        child.dep_ == "neg" or child.lower_ in _NEGATORS
        for child in verb.children
        if child.dep_ in ("neg", "advmod", "det")
    ):
        return True
    node = verb
    while node.dep_ in ("xcomp", "ccomp") and node.head is not node:
        node = node.head
        if canonical(node.text) & _NEGATING_VERBS or any(c.dep_ == "neg" for c in node.children):
            return True
    return False
