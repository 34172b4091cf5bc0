"""Words and their weight: stop words, the content words of a text, inverse document frequency.

One home for these rules: question parsing, retrieval, evidence and answer composition all read a
question's words through here."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.-]*[A-Za-z0-9]|[A-Za-z0-9]")
_SENTENCE_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")

_STOP_TEXT = """
much many why whether please know let give show find explain describe
a an the and or but of to in on at for by with from as is are was were be been being this that these
those it its he she they them his her their him what which who whom whose when where why how did
does do has have had according reported report reports article articles news both also than then
there about into over after before between during while not no yes any all some more most other such
only own same so too very can will would could should just say said says cover covered coverage i me
my we our you your us tell published source sources outlet outlet's story stories piece pieces
mention mentioned
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def content_words(text: str) -> list[str]:
    """Lower-cased words of ``text`` that carry meaning (no stop words), in order."""
    return [w.lower() for w in _WORD.findall(text) if w.lower() not in STOP_WORDS]




def word_set(text: str) -> set[str]:
    """Lower-cased words of ``text`` without stop words, as a set (how sentences are compared to a question)."""
    return {w.lower().strip("'’") for w in _SENTENCE_WORD.findall(text)} - STOP_WORDS


def words(text: str) -> list[str]:
    """Every word of ``text`` as written (capitals kept), in order."""
    return _SENTENCE_WORD.findall(text)


def idf(n_docs: int, doc_freq: int) -> float:
    """Inverse document frequency, ``log((N + 1) / (df + 0.5))``: positive even for a term in every document."""
    return math.log((n_docs + 1) / (doc_freq + 0.5))


def without(terms: Iterable[str], remove: Iterable[Iterable[str]]) -> list[str]:
    """``terms`` minus every term of the groups in ``remove`` (e.g. the words of outlet names: they say where,
    not what)."""
    drop = {t for group in remove for t in group}
    return [t for t in terms if t not in drop]
