"""Words and their weight: stop words, the content words of a text, inverse document frequency.

One home for these rules: question parsing, retrieval, evidence, answer composition and the BM25 index all
read words through here, and every stem comes from `stem_words` (the one Snowball stemmer of the project)."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable

import Stemmer

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
mention mentioned happen happened happens happening
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


ZIPF_CEILING = 8.0  # zipf of "the" is 7.7: a word's weight is how far below that its frequency in English is
MIN_PRIOR_WEIGHT = 0.25  # every content word counts a little


def prior_weight(word: str) -> float:
    """How informative ``word`` is in English at large (``8 - zipf``: "happened" 2.8, "Douma" 5.8, a word
    English never uses 8), independent of any corpus: a one-article index has no usable term statistics."""
    from wordfreq import zipf_frequency  # its word lists take a fifth of a second: questions need it, ingest not

    return max(MIN_PRIOR_WEIGHT, ZIPF_CEILING - zipf_frequency(word.lower(), "en"))


def without(terms: Iterable[str], remove: Iterable[Iterable[str]]) -> list[str]:
    """``terms`` minus every term of the groups in ``remove`` (e.g. the words of outlet names: they say where,
    not what)."""
    drop = {t for group in remove for t in group}
    return [t for t in terms if t not in drop]


_STEM_CACHE_LIMIT = 500_000  # distinct words remembered per process (stemming is the costly part of BM25 tokenizing)


class _Stems:
    """Snowball English stems with a cache; one stemmer per thread (PyStemmer objects are not thread-safe)."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._cache: dict[str, str] = {}

    def __call__(self, words: list[str]) -> list[str]:
        cache = self._cache
        missing = list({w for w in words if w not in cache})
        if missing:
            stemmer = getattr(self._local, "stemmer", None)
            if stemmer is None:
                stemmer = self._local.stemmer = Stemmer.Stemmer("english")
            if len(cache) > _STEM_CACHE_LIMIT:
                cache.clear()
            cache.update(zip(missing, stemmer.stemWords(missing), strict=True))
        return [cache[w] for w in words]


stem_words = _Stems()  # stem_words(["convicted", "bridges"]) -> ["convict", "bridg"]


def stems(text: str) -> list[str]:
    """Stems of the content words of ``text`` ("convicted" -> "convict"), in order; the stemmer BM25 uses,
    so a sentence and the index agree on word forms."""
    return stem_words(content_words(text))
