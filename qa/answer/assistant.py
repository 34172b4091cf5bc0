"""The one entry point the CLI and the chat use: question (+ history, filters) in, `Answer` out."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from functools import cached_property

from qa.answer.compose import compose
from qa.answer.generated import Draft, answer_with_model
from qa.answer.llm import Generator
from qa.core.errors import QAError
from qa.core.settings import Settings
from qa.core.types import Answer
from qa.search.searcher import Searcher
from qa.search.validate import Request, check_options, check_request
from qa.store.embeddings.factory import make_embeddings, query_backend
from qa.store.embeddings.remembered import RememberedVectors
from qa.text.language import pipeline

NO_MODEL = "Generated answers need a model server: set QA_LLM_URL (for example after `qa serve-llm`)."


class Assistant:
    """Loads the store and the model once, then answers any number of questions (thread-safe)."""

    def __init__(self, settings: Settings, generator: Generator | None = None) -> None:
        """``generator``: a model client shared with other assistants (the chat's, across index swaps), so
        QA_LLM_CONCURRENCY counts every model call of the process; by default this assistant's own."""
        self.settings = settings
        self.searcher = Searcher(settings)
        self._generator = generator
        # the answer's leading sentences, embedded once a session (a follow-up quotes the same articles)
        self._sentence_vectors = RememberedVectors(lambda texts: self.searcher.hybrid.embeddings.embed_documents(texts))

    @cached_property
    def generator(self) -> Generator:
        return self._generator or Generator(self.settings)

    def warm_up(self, *, long_lived: bool = False) -> None:
        """Load the model, the search arrays and the outlet list now rather than on the first question; for a
        process that answers many questions (``long_lived``: the chat, `qa chat`), also the English pipeline (a
        second or two, else paid by its first typed question). Such a process then starts building every
        article's text with `Searcher.prepare_windows`, when it can spare the time."""
        self.searcher.warm_up()
        if long_lived:
            pipeline()

    def ask(self, request: Request | str, **options) -> Answer:
        """Answer a `Request` (`check_request`: checked once, where it came in). For scripts and tests, anything
        else is a raw question with raw ``options`` (``history``, ``outlets``, ``since``, ``until``, ``k``,
        ``llm``), checked here first as `qa ask` checks its arguments."""
        *_, answer = self.ask_stream(request, stream=False, **options)
        return answer

    def ask_stream(self, request: Request | str, *, stream: bool = True, **options) -> Iterator[Draft | Answer]:
        """`ask`, with `Draft` progress while a model writes; the last item is the `Answer`."""
        if not isinstance(request, Request):
            history = options.pop("history", None)
            request = check_request(request, history=history, options=check_options(**options), settings=self.settings)
        generate = bool(self.settings.llm_url) if request.llm is None else request.llm
        if generate and not self.settings.llm_url:
            raise QAError(NO_MODEL)
        question, history = request.question, list(request.history) or None
        started = time.perf_counter()
        found = self.searcher.find(request)
        answer = compose(
            found.query.asked,  # a follow-up's he/she spelled out: the sentences about that person are quoted
            found.retrieval.passages,
            max_sentences=self.settings.answer_sentences,
            evidence_score=found.support.score,
            threshold=self.settings.abstain_threshold,
            notice=" ".join(filter(None, (script_notice(question), *found.notes, read_as(found.query.resolved)))),
            context=found.query.context,
            outlets=found.query.outlets,
            named=found.query.named,
            shape=found.query.shape,
            embed=self._sentence_vectors,
        )
        answer = replace(answer, question=question)
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
        total_ms = round((time.perf_counter() - started) * 1000, 1)
        yield replace(answer, timings={**answer.timings, "total_ms": total_ms})

    def close(self) -> None:
        """Release the store; the assistant cannot answer afterwards."""
        self.searcher.close()


def read_as(resolved: str) -> str:
    """Which name a follow-up's he/she/they was read as, said so a wrong guess is seen, not silently answered."""
    return f"Read as: “{resolved}”." if resolved else ""


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
