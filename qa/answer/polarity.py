"""Whether the clause that states a question's predicate is negated: read from the parse, so a negation elsewhere in
the sentence ("denied any contact with Japan and committed to staying") does not turn a yes into a no."""

from __future__ import annotations

from qa.answer.candidates import canonical

# verbs whose complement clause is denied: "refused to return", "denied that he had left", "failed to win"
_NEGATING_VERBS = frozenset(canonical("deny denied refuse refused fail failed reject rejected decline declined"))
_NEGATORS = frozenset({"not", "n't", "never", "no", "nor", "neither", "without"})


def clause_negated(doc, terms: set[str]) -> bool | None:
    """True when most clauses of ``doc`` holding the predicate ``terms`` (canonical stems: its verb and the nouns it
    takes) are negated, False when most state it plainly, None when none holds them or they are split evenly
    (the caller keeps its reading)."""
    verdicts = []
    for token in doc:
        if not token.is_alpha or not (canonical(token.text) & terms):
            continue
        verb = _clause_verb(token)
        if verb is None:
            continue
        verdicts.append(_negated(verb) or any(_negator_child(t) for t in _path(token, verb)))
    negated = sum(verdicts)
    if not verdicts or negated * 2 == len(verdicts):
        return None
    return negated * 2 > len(verdicts)


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
