"""Issue 23's soak: a chat that swaps in index after index keeps its memory flat. A retired snapshot's corpus is
freed as soon as its searcher closes, and freed pages go back to the system (`qa.core.memory`)."""

from __future__ import annotations

import gc
import sys
import weakref

import pytest

from qa.core.memory import give_back
from qa.search.searcher import Searcher


def test_a_closed_searcher_lets_its_corpus_go(indexed_corpus):
    searcher = Searcher(indexed_corpus)
    corpus = weakref.ref(searcher.corpus())
    searcher.hybrid.picker.texts(corpus()).get(next(iter(corpus().arrays.article_rows())))  # one article's text
    searcher.close()
    gc.collect()
    assert corpus() is None  # though `searcher` itself is still referenced (a generation a question still holds)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_memory_is_given_back_on_linux():
    assert give_back() is True
