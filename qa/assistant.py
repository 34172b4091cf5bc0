"""The one entry point the CLI and the chat use: question (+ history, filters) in, `Answer` out."""

from __future__ import annotations

import threading
import time
import unicodedata
from dataclasses import replace
from functools import cached_property

from qa.answer import Answer, compose
from qa.errors import BadQuestionError, EmptyIndexError
from qa.evidence import evidence
from qa.query import OutletMatcher, Query, content_words, parse_query
from qa.retrieve import Filters, HybridSearch
from qa.settings import Settings
from qa.store import Store


class Assistant:
    """Loads the store and the model once, then answers any number of questions (thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._outlets: tuple[int, tuple[str, ...], int | None] | None = None

    @cached_property
    def store(self) -> Store:
        from ingest.index import index_config

        store = Store(self.settings)
        store.check_config(index_config(self.settings), adopt=False)
        return store

    @cached_property
    def search(self) -> HybridSearch:
        from qa.embeddings import make_embeddings

        embeddings = make_embeddings(self.settings.embed_backend, threads=self.settings.embed_threads)
        return HybridSearch(self.store, embeddings, self.settings)

    def stats(self) -> dict:
        from qa.stats import corpus_stats

        return corpus_stats(self.store, self.settings)

    def warm_up(self) -> None:
        """Load the model, the BM25 side and the outlet list now rather than on the first question."""
        if self.store.chunk_count() == 0:
            raise EmptyIndexError("The index is empty: run `qa ingest corpus/` first.")
        self.search.search("warm up", 1)
        self.outlets()

    def outlets(self, version: int | None = None) -> tuple[str, ...]:
        """Outlets of the indexed articles (what question parsing can recognise), cached per corpus version;
        ``version`` saves a store round trip when the caller already holds the current one."""
        version = self.store.version() if version is None else version
        with self._lock:
            if self._outlets is None or self._outlets[0] != version:
                entries = [e for e in self.store.manifest().values() if e.state == "done"]
                names = tuple(sorted({e.source for e in entries if e.source}))
                years = sorted(int(e.published[:4]) for e in entries if e.published[:4].isdigit())
                self._outlets = (version, names, years[-1] if years else None)
            return self._outlets[1]

    def resolve_outlets(self, names: list[str] | tuple[str, ...], *, version: int | None = None) -> tuple[str, ...]:
        """``--outlet`` values as indexed names ("techcrunch" -> "TechCrunch"); unknown ones are refused."""
        if not names:
            return ()
        known = self.outlets(version)
        resolved: list[str] = []
        for name in names:
            exact = [o for o in known if o.lower() == name.strip().lower()]
            found = exact or list(OutletMatcher(known).find(name.strip()))
            if not found:
                listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
                raise BadQuestionError(f"No indexed outlet is called {name!r}. Indexed outlets: {listed}.")
            resolved.extend(o for o in found if o not in resolved)
        return tuple(resolved)

    def parse(self, question: str, history: list[dict] | None = None, *, version: int | None = None) -> Query:
        self.outlets(version)
        default_year = self._outlets[2] if self._outlets else None
        return parse_query(question, outlets=self._outlets[1], history=history, default_year=default_year)

    def ask(
        self,
        question: str,
        *,
        history: list[dict] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
    ) -> Answer:
        """Answer ``question``; ``history`` holds earlier turns ``{"role", "content"}``, oldest first."""
        question = clean_question(question, self.settings.max_question_chars)
        k = k or self.settings.top_k
        started = time.perf_counter()
        # one corpus snapshot for the whole question: parsing, retrieval and evidence agree even if an
        # ingest finishes meanwhile, and the store's version is read once instead of per stage
        corpus = self.search.bm25.corpus()
        bm25 = corpus.bm25
        if not bm25.chunk_ids:
            raise EmptyIndexError("The index is empty: run `qa ingest corpus/` first.")
        filters = filters or Filters()
        if filters.outlets:
            filters = replace(filters, outlets=self.resolve_outlets(filters.outlets, version=bm25.version))
        query = self.parse(question, history, version=bm25.version)
        retrieval = self.search.retrieve(query, k, filters, corpus=corpus)
        question_terms = _terms_without(
            bm25.terms([" ".join(content_words(query.text))])[0], bm25.terms(list(query.outlets))
        )
        passage_terms = bm25.terms([f"{p.title}\n{p.text}" for p in retrieval.passages])
        support = evidence(retrieval.top_dense, question_terms, passage_terms, bm25.doc_freq, len(bm25.chunk_ids))
        answer = compose(
            question,
            retrieval.passages,
            max_sentences=self.settings.answer_sentences,
            evidence_score=support.score,
            threshold=self.settings.abstain_threshold,
            notice=script_notice(question),
            context=query.context,
        )
        answer.timings["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return answer


def _terms_without(terms: list[str], remove: list[list[str]]) -> list[str]:
    """The question's terms minus the words of the outlets it names (they say where, not what)."""
    drop = {t for group in remove for t in group}
    return [t for t in terms if t not in drop]


def clean_question(question: str, max_chars: int) -> str:
    """Refuse empty or oversized questions; drop control characters; keep any script."""
    if question is None or not isinstance(question, str):
        raise BadQuestionError("The question is empty.")
    if len(question) > max_chars * 4:
        raise BadQuestionError(
            f"The question is {len(question):,} characters long; the limit is {max_chars:,} (QA_MAX_QUESTION_CHARS)."
        )
    cleaned = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in question)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise BadQuestionError("The question is empty.")
    if len(cleaned) > max_chars:
        raise BadQuestionError(
            f"The question is {len(cleaned):,} characters long; the limit is {max_chars:,} (QA_MAX_QUESTION_CHARS)."
        )
    return cleaned


def script_notice(question: str) -> str:
    """A note when most letters are not Latin: the packaged model and the BM25 side read English."""
    letters = [ch for ch in question if ch.isalpha()]
    if not letters:
        return ""
    latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
    if latin >= len(letters) / 2:
        return ""
    script = unicodedata.name(next(ch for ch in letters if "LATIN" not in unicodedata.name(ch, "")), "other").split()[0]
    return (
        f"The question is written mostly in {script.title()} script; the indexed articles and the model are "
        "English, so matches will be poor. Asking in English works best."
    )
