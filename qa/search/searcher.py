"""The corpus side of answering a question: open the store and model once, read the question (outlets,
dates, the turn it continues), retrieve passages and measure how well they support an answer."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from functools import cached_property

from qa.core.errors import BadQuestionError, EmptyIndexError
from qa.core.settings import AUTO_BACKEND, Settings
from qa.core.types import Filters
from qa.search.corpus import Corpus, CorpusCache
from qa.search.evidence import Evidence, evidence
from qa.search.hybrid import HybridSearch, Retrieval
from qa.search.outlets import resolve_outlets
from qa.search.query import DEPENDS, MAYBE, Query, parse_query
from qa.search.rank import weigh
from qa.search.validate import Request
from qa.store.arrays import read_version
from qa.store.chroma import Store
from qa.store.config import index_config, settle_backend
from qa.store.embeddings.factory import make_embeddings, query_backend

EMPTY_INDEX = "The index is empty: run `qa ingest corpus/` first."
NOTHING_TO_SEARCH = (
    "Nothing to search for in that question: it has no words to look up (only common words, symbols or emoji)."
)


@dataclass(frozen=True)
class OutletList:
    """The outlets of one corpus version, and its latest year (the default for dates without one)."""

    version: int
    names: tuple[str, ...]
    latest_year: int | None


@dataclass(frozen=True)
class Found:
    """What retrieval found for one question, and how strongly it supports an answer."""

    query: Query
    retrieval: Retrieval
    support: Evidence
    notes: tuple[str, ...] = ()  # what the outlet filter was read as, when a name stood for several outlets


class Searcher:
    """Loads the store and the model once, then searches for any number of questions (thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._outlets: OutletList | None = None

    @cached_property
    def _chroma(self) -> Store:
        return Store(self.settings)

    @cached_property
    def index_settings(self) -> Settings:
        """The settings with the index's embedding backend (``auto`` settled): from the published search arrays'
        configuration, or from Chroma when there are none (or with a server, where they may lag behind)."""
        if self.settings.embed_backend != AUTO_BACKEND:
            return self.settings
        file = None if self.settings.chroma_url else read_version(self.settings.arrays_dir)
        return settle_backend(self.settings, file.config if file else self._chroma.stored_config())

    @cached_property
    def store(self) -> Store:
        """Chroma, opened only when needed (server mode, statistics, rebuilding missing search arrays)."""
        store = self._chroma
        store.check_config(index_config(self.index_settings), adopt=False)
        return store

    @cached_property
    def hybrid(self) -> HybridSearch:
        settings = self.index_settings
        embeddings = make_embeddings(query_backend(settings), threads=settings.embed_threads)
        return HybridSearch(CorpusCache(settings, lambda: self.store), embeddings, settings)

    def current(self) -> Corpus:
        """The current corpus snapshot, empty or not."""
        return self.hybrid.corpora.corpus()

    def corpus(self) -> Corpus:
        """The current corpus snapshot; refused when nothing is indexed."""
        corpus = self.current()
        if not corpus.bm25.live:
            raise EmptyIndexError(EMPTY_INDEX)
        return corpus

    def warm_up(self) -> None:
        """Load the model, the search arrays and the outlet list now rather than on the first question."""
        corpus = self.corpus()
        self.hybrid.retrieve("warm up", 1, corpus=corpus)
        self.outlets(corpus)

    def prepare_windows(self) -> threading.Thread | None:
        """For a long-lived process: every article's text built in the background, so a warm question chooses its
        windows without building them (`qa.search.articles.PREPARE_MAX_ARTICLES`)."""
        return self.hybrid.picker.prepare(self.corpus())

    def outlets(self, corpus: Corpus) -> OutletList:
        """Outlets of the articles of ``corpus`` (what question parsing can recognise), cached per corpus version."""
        version = corpus.bm25.version
        with self._lock:
            if self._outlets is None or self._outlets.version != version:
                articles = corpus.articles
                names = tuple(sorted({source for _, source, _ in articles if source}))
                years = sorted(int(day[:4]) for _, _, day in articles if day[:4].isdigit())
                self._outlets = OutletList(version, names, years[-1] if years else None)
            return self._outlets

    def parse(self, question: str, history: tuple[dict, ...] | list[dict] = (), *, corpus: Corpus) -> Query:
        """``question`` read against ``corpus``: outlets, dates, the turn it continues, its terms (stemmed once)."""
        known = self.outlets(corpus)
        query = parse_query(question, outlets=known.names, history=list(history), default_year=known.latest_year)
        return weigh(query, corpus.bm25)

    def find(self, request: Request) -> Found:
        """Retrieve for a checked request. One corpus snapshot throughout: outlet names, parsing, retrieval and
        evidence agree even if an ingest finishes meanwhile, and the store's version is read once, not per stage.

        A question that may or may not continue the conversation (`Query.need` MAYBE) is first searched
        alone; the earlier turns are folded in only when the question alone finds too little support."""
        corpus = self.corpus()
        filters, notes = request.filters, ()
        if filters.outlets:  # as the names indexed in the snapshot answering ("BBC": both BBC News outlets, noted)
            resolved = resolve_outlets(filters.outlets, self.outlets(corpus).names)
            filters, notes = replace(filters, outlets=resolved.outlets), resolved.notes
        k = request.k or self.settings.top_k
        query = self.parse(request.question, request.history, corpus=corpus)
        if not query.search_terms:
            raise BadQuestionError(NOTHING_TO_SEARCH)
        if query.need == MAYBE:
            alone = self._search(self.parse(request.question, corpus=corpus), k, filters, corpus, notes)
            if alone.support.score >= self.settings.abstain_threshold:
                return alone
            query = replace(query, need=DEPENDS)
        return self._search(query, k, filters, corpus, notes)

    def _search(self, query: Query, k: int, filters: Filters, corpus: Corpus, notes: tuple[str, ...] = ()) -> Found:
        retrieval = self.hybrid.retrieve(query, k, filters, corpus=corpus)
        passage_terms = corpus.bm25.terms([f"{p.title}\n{p.text}" for p in retrieval.passages])
        support = evidence(retrieval.top_dense, query.rarity, passage_terms)
        return Found(query, retrieval, support, notes)

    def close(self) -> None:
        """Release the store (if it was opened) and the corpus read from it (its passages and article texts: a
        retired snapshot's hundreds of MB are freed now, not when the last reference to this searcher goes)."""
        self.__dict__.pop("hybrid", None)
        store = self.__dict__.get("_chroma")
        if store is not None:
            store.close()

