"""What the chat does when a person asks, clears or calls ``/ask``: callbacks over a `LiveAssistant`,
kept apart from the page layout (`qa.serve.ui.blocks`) and from HTML rendering (`qa.serve.ui.render`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import gradio as gr

from qa.core.errors import QAError
from qa.core.types import Filters
from qa.core.validate import check_dates, check_outlets, check_request, recent_history
from qa.serve.snapshots import LiveAssistant
from qa.serve.ui.render import answer_message, corpus_summary, error_message, partial_message, sources_html
from qa.serve.ui.safe import markdown_text
from qa.serve.ui.timeline import outlet_colours

log = logging.getLogger(__name__)
STREAM_STEPS = 8  # the answer appears in this many pieces: visibly streamed, few messages over the socket
STREAM_PAUSE = 0.03  # seconds between pieces
DONE = '<span class="qa-done"></span>'  # marks a finished message (for tests and assistive tech)
EMPTY_SOURCES = '<div class="qa-sources qa-muted">Ask a question: the cited sources and a timeline appear here.</div>'
PENDING = '<span class="qa-pending">Searching the articles…</span>'


def parse_filters(outlets: object, since: object, until: object, resolve_outlets: Callable | None = None) -> Filters:
    """The chat controls as `Filters`, checked as `qa ask` checks ``--outlet/--since/--until`` ("October 2023"
    too); a malformed date or an empty range is the user's to fix, so it is a `BadQuestionError`."""
    first, last = check_dates(since, until)
    names = check_outlets(outlets)
    chosen = tuple(resolve_outlets(list(names))) if resolve_outlets and names else names
    return Filters(outlets=chosen, since=first, until=last)


class ChatHandlers:
    """The chat's callbacks; each reads the live assistant, none holds state between calls."""

    def __init__(self, live: LiveAssistant) -> None:
        self.live = live

    def summary(self) -> str:
        return corpus_summary(self.live.stats())

    def respond(
        self, question: str, chat: list[dict], turns: list[dict], chosen: list[str], since: str, until: str, k: float
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
            history = recent_history(turns, settings=self.live.settings)  # the latest turns within the limits
            answer = self.live.ask(question, history=history, filters=filters, k=k or None)
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
        for shown in range(step, len(message), step):  # stream the answer in; the sources come with its end
            partial = partial_message(message, shown)
            yield [*chat, {"role": "assistant", "content": partial + "▍"}], turns, gr.skip(), ""
            time.sleep(STREAM_PAUSE)
        yield [*chat, {"role": "assistant", "content": message + DONE}], turns, sources, ""

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
    ) -> dict:
        """Answer a question about the indexed news articles; returns the same JSON as `qa ask --json`."""
        try:  # the same checks and messages as `qa ask`
            request = check_request(
                question, history=history, outlets=outlets, since=since, until=until, k=k, settings=self.live.settings
            )
            filters = parse_filters(list(request.outlets), request.since, request.until, self.live.resolve_outlets)
            answer = self.live.ask(request.question, history=list(request.history), filters=filters, k=request.k)
            return answer.to_json()
        except QAError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
