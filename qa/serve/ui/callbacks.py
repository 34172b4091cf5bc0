"""What the chat does when a person asks, clears or calls ``/ask``: callbacks over a `LiveAssistant`,
kept apart from the page layout (`qa.serve.ui.blocks`) and from HTML rendering (`qa.serve.ui.render`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import gradio as gr

from qa.core.errors import BadQuestionError, QAError
from qa.core.types import Answer, Filters
from qa.serve.snapshots import LiveAssistant
from qa.serve.ui.drafts import draft_message
from qa.serve.ui.render import answer_message, corpus_summary, error_message, partial_message, sources_html
from qa.serve.ui.safe import markdown_text
from qa.serve.ui.timeline import outlet_colours
from qa.text.dates import parse_day

log = logging.getLogger(__name__)
STREAM_STEPS = 8  # the answer appears in this many pieces: visibly streamed, few messages over the socket
STREAM_PAUSE = 0.03  # seconds between pieces
DONE = '<span class="qa-done"></span>'  # marks a finished message (for tests and assistive tech)
EMPTY_SOURCES = '<div class="qa-sources qa-muted">Ask a question: the cited sources and a timeline appear here.</div>'
PENDING = '<span class="qa-pending">Searching the articles…</span>'


def parse_filters(
    outlets: list[str] | None, since: str | None, until: str | None, resolve_outlets: Callable | None = None
) -> Filters:
    """The chat controls as `Filters`, read as `qa ask` reads ``--outlet/--since/--until`` ("October 2023" too).

    A malformed date is the user's to fix, so it is a `BadQuestionError` (shown in the chat)."""
    days = []
    for value, last in ((since, False), (until, True)):
        value = (value or "").strip()
        try:
            days.append(parse_day(value, last=last) if value else None)
        except ValueError as exc:
            raise BadQuestionError(str(exc)) from None
    if days[0] and days[1] and days[0] > days[1]:
        raise BadQuestionError(f"The date range is empty: {days[0]} is after {days[1]}.")
    names = [o for o in (outlets or []) if o and o.strip()]
    chosen = tuple(resolve_outlets(names)) if resolve_outlets and names else tuple(names)
    return Filters(outlets=chosen, since=days[0], until=days[1])


class ChatHandlers:
    """The chat's callbacks; each reads the live assistant, none holds state between calls."""

    def __init__(self, live: LiveAssistant) -> None:
        self.live = live

    def summary(self) -> str:
        return corpus_summary(self.live.stats())

    def respond(
        self,
        question: str,
        chat: list[dict],
        turns: list[dict],
        chosen: list[str],
        since: str,
        until: str,
        k: float,
        use_llm: bool = False,
    ) -> Iterator[tuple]:
        """Stream one answer into the conversation: (chat, turns, sources, box) after each step."""
        question = (question or "").strip()
        if not question:
            yield chat, turns, gr.skip(), ""
            return
        turn = len(turns) // 2 + 1
        chat = [*chat, {"role": "user", "content": markdown_text(question)}]
        yield [*chat, {"role": "assistant", "content": PENDING}], turns, gr.skip(), ""
        try:
            filters = parse_filters(chosen, since, until, self.live.resolve_outlets)
            if use_llm:  # the model's answer streams in, each sentence checked as it completes
                answer = yield from self._generated(question, chat, turns, filters, int(k) if k else None)
            else:
                answer = self.live.ask(question, history=turns, filters=filters, k=int(k) if k else None, llm=False)
        except Exception as exc:  # noqa: BLE001 - the user sees a message, the log keeps any traceback
            if not isinstance(exc, QAError):
                log.exception("Answering %r failed", question)
            yield [*chat, {"role": "assistant", "content": error_message(exc) + DONE}], turns, gr.skip(), ""
            return
        message = answer_message(answer, turn)
        turns = [*turns, {"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
        colours = outlet_colours(list((self.live.stats().get("outlets") or {}).keys()))
        sources = sources_html(answer, turn, colours)
        step = max(1, len(message) // STREAM_STEPS)
        replay = answer.mode != "generated"  # a generated answer has streamed in already
        # stream the answer in; the sources come with its end
        for shown in range(step, len(message), step) if replay else ():
            partial = partial_message(message, shown)
            yield [*chat, {"role": "assistant", "content": partial + "▍"}], turns, gr.skip(), ""
            time.sleep(STREAM_PAUSE)
        yield [*chat, {"role": "assistant", "content": message + DONE}], turns, sources, ""

    def _generated(self, question: str, chat: list[dict], turns: list[dict], filters: Filters, k: int | None):
        """Yield the chat with each draft of the model's answer; return the final `Answer`."""
        for event in self.live.ask_stream(question, history=turns, filters=filters, k=k, llm=True):
            if isinstance(event, Answer):
                return event
            yield [*chat, {"role": "assistant", "content": draft_message(event) + "▍"}], turns, gr.skip(), ""
        raise QAError("The answer stream ended without an answer.")

    @staticmethod
    def clear() -> tuple:
        return [], [], EMPTY_SOURCES, ""

    def ask(
        self,
        question: str,
        outlets: list[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        k: int | None = None,
        history: list[dict] | None = None,
        llm: bool | None = None,
    ) -> dict:
        """Answer a question about the indexed news articles; returns the same JSON as `qa ask --json`."""
        try:
            filters = parse_filters(outlets, since, until, self.live.resolve_outlets)
            answer = self.live.ask(question, history=history or None, filters=filters, k=k or None, llm=llm)
            return answer.to_json()
        except QAError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
