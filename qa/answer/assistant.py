"""The one entry point the CLI and the chat use: question (+ history, filters) in, `Answer` out."""

from __future__ import annotations

import time
import unicodedata
from functools import cached_property

from qa.answer.compose import compose
from qa.core.settings import Settings
from qa.core.types import Answer, Filters
from qa.core.validate import check_history, check_k, clean_question
from qa.search.searcher import Searcher
from qa.store.chroma import Store
from qa.store.stats import arrays_stats


class Assistant:
    """Loads the store and the model once, then answers any number of questions (thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.searcher = Searcher(settings)

    @cached_property
    def store(self) -> Store:
        return self.searcher.store

    def stats(self) -> dict:
        """What is indexed, as the search arrays this assistant answers from say."""
        return arrays_stats(self.searcher.current().arrays, self.settings)

    def articles(self) -> list[tuple[str, str, str]]:
        """(title, outlet, published) of every indexed article."""
        return list(self.searcher.current().articles)

    def warm_up(self) -> None:
        """Load the model, the BM25 side and the outlet list now rather than on the first question."""
        self.searcher.warm_up()

    def outlets(self) -> tuple[str, ...]:
        return self.searcher.outlets().names

    def resolve_outlets(self, names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
        """``--outlet`` values as indexed names ("techcrunch" -> "TechCrunch"); unknown ones are refused."""
        return self.searcher.resolve_outlets(names)

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
        history = check_history(history, settings=self.settings) or None
        k = check_k(k) or self.settings.top_k
        started = time.perf_counter()
        found = self.searcher.find(question, history, filters or Filters(), k)
        answer = compose(
            question,
            found.retrieval.passages,
            max_sentences=self.settings.answer_sentences,
            evidence_score=found.support.score,
            threshold=self.settings.abstain_threshold,
            notice=script_notice(question),
            context=found.query.context,
            outlets=found.query.outlets,
        )
        answer.timings["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return answer

    def close(self) -> None:
        """Release the store; the assistant cannot answer afterwards."""
        self.searcher.close()


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
