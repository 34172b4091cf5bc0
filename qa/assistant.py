"""The one entry point the CLI and the chat use: question (+ history, filters) in, `Answer` out."""

from __future__ import annotations

import threading
import time
import unicodedata
from functools import cached_property

from qa.answer import Answer, compose
from qa.errors import BadQuestionError, EmptyIndexError
from qa.retrieve import Filters, HybridSearch
from qa.settings import Settings
from qa.store import Store


class Assistant:
    """Loads the store and the model once, then answers any number of questions (thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()

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
        if self.store.chunk_count() == 0:
            raise EmptyIndexError("The index is empty: run `qa ingest corpus/` first.")
        text = question
        if history:
            earlier = [turn.get("content", "") for turn in history if turn.get("role") == "user"]
            if earlier:
                text = f"{question} {earlier[-1]}"
        passages = self.search.search(text, k, filters or Filters())
        evidence = passages[0].score if passages else 0.0
        answer = compose(
            question,
            passages,
            max_sentences=self.settings.answer_sentences,
            evidence_score=evidence,
            threshold=self.settings.abstain_threshold,
        )
        answer.timings["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return answer


def clean_question(question: str, max_chars: int) -> str:
    """Refuse empty or oversized questions; drop control characters; keep any script."""
    if question is None:
        raise BadQuestionError("The question is empty.")
    cleaned = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in question)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise BadQuestionError("The question is empty.")
    if len(cleaned) > max_chars:
        raise BadQuestionError(
            f"The question is {len(cleaned):,} characters long; the limit is {max_chars:,} (QA_MAX_QUESTION_CHARS)."
        )
    return cleaned
