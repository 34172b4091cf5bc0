"""The one entry point the CLI and the chat use: question (+ history, filters) in, `Answer` out."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator
from functools import cached_property

from qa.answer.compose import compose
from qa.answer.generate import Generator
from qa.answer.generated import Draft, answer_with_model
from qa.core.errors import QAError
from qa.core.settings import Settings
from qa.core.types import Answer, Filters
from qa.search.searcher import Searcher
from qa.search.validate import check_history, check_k, clean_question
from qa.store.chroma import Store
from qa.store.embeddings.factory import make_embeddings, query_backend
from qa.store.stats import arrays_stats

NO_MODEL = "Generated answers need a model server: set QA_LLM_URL (for example after `qa serve-llm`)."


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
        llm: bool | None = None,
    ) -> Answer:
        """Answer ``question``; ``history`` holds earlier turns ``{"role", "content"}``, oldest first.
        ``llm``: generate with the model server (None: when ``QA_LLM_URL`` is set)."""
        *_, answer = self.ask_stream(question, history=history, filters=filters, k=k, llm=llm, stream=False)
        return answer

    @cached_property
    def generator(self) -> Generator:
        return Generator(self.settings)

    def ask_stream(
        self,
        question: str,
        *,
        history: list[dict] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
        llm: bool | None = None,
        stream: bool = True,
    ) -> Iterator[Draft | Answer]:
        """`ask`, with `Draft` progress while a model writes; the last item is the `Answer`."""
        generate = bool(self.settings.llm_url) if llm is None else llm
        if generate and not self.settings.llm_url:
            raise QAError(NO_MODEL)
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
            embed=self.searcher.hybrid.embeddings.embed_documents,
        )
        if generate and not answer.abstained:  # weak evidence: nothing for a model to cite either
            embeddings = make_embeddings(query_backend(self.settings), threads=self.settings.embed_threads)
            events = answer_with_model(
                self.generator, embeddings, answer, history=history, context=found.query.context, stream=stream
            )
            for event in events:
                if isinstance(event, Draft):
                    yield event
                else:
                    answer = event
        answer.timings["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        yield answer

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
