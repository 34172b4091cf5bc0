"""What the chat does when a person asks, starts a new topic, clears, adds articles or calls ``/ask``: callbacks
over a `LiveAssistant`, kept apart from the page layout (`qa.serve.ui.blocks`) and from HTML (`qa.serve.ui.render`)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import gradio as gr

from qa.core.errors import BadQuestionError, QAError, UnknownOutletError
from qa.core.types import Answer, Mode
from qa.search.validate import Options, Request, check_options, check_request, recent_history
from qa.serve.live import LiveAssistant
from qa.serve.ui.drafts import draft_message
from qa.serve.ui.export import TOPIC, Exports, answer_record, conversation_markdown
from qa.serve.ui.links import add_urls
from qa.serve.ui.render import (
    abstain_reason,
    answer_lines,
    answer_message,
    corpus_summary,
    error_message,
    field_note,
    indexing_message,
    indexing_text,
    outlet_choices,
    partial_message,
    timeline_panel,
)
from qa.serve.ui.safe import markdown_text
from qa.serve.ui.timeline import outlet_colours
from qa.serve.ui.uploads import UploadResult, add_files, result_html, uploads_blocked

log = logging.getLogger(__name__)
STREAM_STEPS = 8  # the answer appears in this many pieces: visibly streamed, few messages over the socket
STREAM_PAUSE = 0.03  # seconds between pieces
DONE = '<span class="qa-done"></span>'  # marks a finished message (for tests and assistive tech)
EMPTY_SOURCES = (
    '<div class="qa-sources qa-muted">Ask a question: each answer shows its sources under it, '
    "and the articles it drew on appear here on a timeline.</div>"
)
PENDING = '<span class="qa-pending">Searching the articles…</span>'
UPLOAD_WAIT = 120.0  # seconds a question waits for files being added from the chat (a few seconds for a small drop)
EMPTY_HINT = "Type a question first, for example one of those under “Try asking”."
TOPIC_MESSAGE = (
    '<span class="qa-topic">New topic: the next question is read on its own, '
    "without the conversation above.</span>" + DONE
)


def _skip() -> dict:
    return gr.skip()


@dataclass(frozen=True)
class Reply:
    """One update of the page by a chat callback; a field left alone does not change. The layout wires the
    outputs in this field order (`OUTPUTS`)."""

    chat: object = field(default_factory=_skip)
    turns: object = field(default_factory=_skip)  # the history sent with the next question (reset by a new topic)
    record: object = field(default_factory=_skip)  # every answer as JSON, for the export
    box: object = field(default_factory=_skip)
    timeline: object = field(default_factory=_skip)
    hint: object = field(default_factory=_skip)  # beside the question box
    filter_note: object = field(default_factory=_skip)  # beside the date fields
    filters: object = field(default_factory=_skip)  # the Filters accordion (opened to show a problem)
    export: object = field(default_factory=_skip)

    def values(self) -> tuple:
        """The outputs in order; a note given as text is shown when it has some, and takes no room when empty."""
        values = [getattr(self, name) for name in OUTPUTS]
        return tuple(
            gr.HTML(value=v, visible=bool(v)) if name in NOTES and isinstance(v, str) else v
            for name, v in zip(OUTPUTS, values, strict=True)
        )


OUTPUTS = tuple(Reply.__dataclass_fields__)
NOTES = ("hint", "filter_note")


def parse_options(outlets: object, since: object, until: object, k: object, llm: object) -> Options:
    """The chat controls as `Options`, checked as `qa ask` checks ``--outlet/--since/--until/--k`` ("October 2023"
    too). A malformed date (named by its field) or an empty range is the user's to fix, so it is a
    `BadQuestionError`."""
    return check_options(outlets=outlets, since=since, until=until, k=k, llm=llm, date_labels=("From", "To"))


def _role(message: object) -> str:
    return message.get("role", "") if isinstance(message, dict) else getattr(message, "role", "")


class ChatHandlers:
    """The chat's callbacks; each reads the live assistant, none holds conversation state between calls."""

    def __init__(self, live: LiveAssistant) -> None:
        self.live = live
        self.exports = Exports()

    def summary(self) -> str:
        return corpus_summary(self.live.stats())

    def respond(
        self,
        question: str,
        chat: list,
        turns: list[dict],
        record: list[dict],
        chosen: list[str],
        since: str,
        until: str,
        k: float,
        use_llm: bool = False,
    ) -> Iterator[tuple]:
        """Stream one answer into the conversation; a problem is shown beside the control that caused it."""
        question = (question or "").strip()
        if not question:
            yield Reply(hint=field_note(EMPTY_HINT, error=False)).values()
            return
        try:
            options = parse_options(chosen, since, until, k or None, use_llm)
        except BadQuestionError as exc:
            yield self._filter_problem(exc)
            return
        filters = options.filters
        turn = sum(1 for m in chat if _role(m) == "assistant") + 1  # unique per page: ids of this answer's cards
        asked = [*chat, {"role": "user", "content": markdown_text(question)}]
        yield Reply(chat=[*asked, {"role": "assistant", "content": PENDING}], box="", hint="", filter_note="").values()
        behind = yield from self._await_uploads(asked)
        try:
            history = recent_history(turns, settings=self.live.settings)  # the latest turns within the limits
            request = check_request(question, history=history, options=options, settings=self.live.settings)
            answer = yield from self._answer(request, options.llm, asked)
        except UnknownOutletError as exc:  # an outlet gone from the index since the page was built
            yield self._filter_problem(exc, chat=chat, box=question)
            return
        except BadQuestionError as exc:  # the question itself (too long, ...): back in its box, the reason beside it
            yield Reply(chat=chat, box=question, hint=field_note(str(exc))).values()
            return
        except Exception as exc:  # noqa: BLE001 - the user sees a message, the log keeps any traceback
            if not isinstance(exc, QAError):
                log.exception("Answering %r failed", question)
            yield Reply(chat=[*asked, {"role": "assistant", "content": error_message(exc) + DONE}]).values()
            return
        answer = replace(answer, notice=" ".join(filter(None, (behind, answer.notice)))) if behind else answer
        filtered = bool(filters.outlets or filters.since or filters.until)
        message = answer_message(answer, turn, threshold=self.live.settings.abstain_threshold, filtered=filtered)
        replay = not answer.abstained and answer.mode != Mode.GENERATED  # a generated answer has streamed in already
        lines = answer_lines(answer, turn) if replay else ""
        for partial in self._pieces(lines):  # stream the answer's text in; its cards come with its end
            yield Reply(chat=[*asked, {"role": "assistant", "content": partial + "▍"}]).values()
        turns = [*turns, {"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
        record = [*record, answer_record(answer.to_json(), self._reason(answer, filtered))]
        yield Reply(
            chat=[*asked, {"role": "assistant", "content": message + DONE}],
            turns=turns,
            record=record,
            timeline=timeline_panel(answer, self._colours()),
            export=self.export(record),
        ).values()

    def _await_uploads(self, asked: list) -> Iterator[tuple]:
        """While files added from the chat are being indexed, say so in the pending answer and wait for them;
        returns a caveat for the answer ("" when they are searchable)."""
        files = self.live.uploading()
        if not files:
            return ""
        yield Reply(chat=[*asked, {"role": "assistant", "content": indexing_message(files)}]).values()
        if self.live.wait_for_uploads(UPLOAD_WAIT):
            return ""
        still = self.live.uploading()
        return (
            f"Answered from the articles indexed so far: {still:,} added file{'s' if still != 1 else ''} "
            "still being indexed."
        )

    @staticmethod
    def _filter_problem(exc: BadQuestionError, **more) -> tuple:
        """A problem with the filters, shown under them (the Filters panel opened), the question kept."""
        return Reply(filter_note=field_note(str(exc)), filters=gr.Accordion(open=True), hint="", **more).values()

    @staticmethod
    def _pieces(message: str) -> Iterator[str]:
        step = max(1, len(message) // STREAM_STEPS)
        for shown in range(step, len(message), step):
            yield partial_message(message, shown)
            time.sleep(STREAM_PAUSE)

    def _reason(self, answer: Answer, filtered: bool) -> str:
        return abstain_reason(answer, self.live.settings.abstain_threshold, filtered) if answer.abstained else ""

    def _colours(self) -> dict[str, str]:
        return outlet_colours(list(self.live.stats().outlets))

    def export(self, record: list[dict]) -> gr.DownloadButton:
        """The export button, pointing at a fresh Markdown file of the conversation so far."""
        if not any(r.get("type") == "answer" for r in record):
            return gr.DownloadButton(value=None, interactive=False)
        path = self.exports.write(conversation_markdown(record, _plain(self.summary())))
        return gr.DownloadButton(value=str(path), interactive=True)

    def new_topic(self, chat: list, record: list[dict]) -> tuple:
        """Start a fresh context: the page keeps the conversation, the next question is sent without history."""
        if not chat or "qa-topic" in str(chat[-1]):
            return Reply(turns=[], hint="").values()
        record = [*record, TOPIC]
        return Reply(
            chat=[*chat, {"role": "assistant", "content": TOPIC_MESSAGE}], turns=[], record=record, hint=""
        ).values()

    def _answer(self, request: Request, llm: bool | None, asked: list):
        """The `Answer`; a model's answer streams in (yielding the chat), each sentence checked as it completes."""
        if llm:
            return (yield from self._generated(request, asked))
        with self.live.generation() as assistant:
            return assistant.ask(request)

    def _generated(self, request: Request, asked: list):
        """Yield the chat with each draft of the model's answer; return the final `Answer`."""
        with self.live.generation() as assistant:
            for event in assistant.ask_stream(request):
                if isinstance(event, Answer):
                    return event
                yield Reply(chat=[*asked, {"role": "assistant", "content": draft_message(event) + "▍"}]).values()
        raise QAError("The answer stream ended without an answer.")

    @staticmethod
    def clear() -> tuple:
        return Reply(
            chat=[],
            turns=[],
            record=[],
            box="",
            timeline=EMPTY_SOURCES,
            hint="",
            filter_note="",
            export=gr.DownloadButton(value=None, interactive=False),
        ).values()

    def add_articles(self, files: list[str] | None, progress=gr.Progress()) -> tuple:  # noqa: B008 - Gradio's API
        """Index dropped or picked files, then answer from them at once.
        Returns (summary, corpus line, file control, outlet choices)."""
        blocked = uploads_blocked(self.live.settings)
        if blocked or not files:
            return field_note(blocked) if blocked else gr.skip(), gr.skip(), None, gr.skip()
        return self._adding(len(files), progress, lambda **steps: add_files(files, self.live.settings, **steps))

    def add_links(self, raw: str | None, progress=gr.Progress()) -> tuple:  # noqa: B008 - Gradio's API
        """Index the web pages (or feeds) at the addresses typed, then answer from them at once.
        Returns (summary, corpus line, address box, outlet choices)."""
        blocked = uploads_blocked(self.live.settings)
        if blocked:
            return field_note(blocked), gr.skip(), gr.skip(), gr.skip()

        def adding(**steps) -> UploadResult:
            return add_urls(raw, self.live.settings, self.live.has_article, **steps)

        return self._adding(max(1, len((raw or "").split())), progress, adding)

    def _adding(self, count: int, progress, add) -> tuple:
        """Run ``add`` (files or addresses) with a progress bar, questions waiting for it, and swap in its index."""
        planned = {"total": None, "done": 0}
        embedding = f"{indexing_text(count)} embedding articles"

        def on_plan(total: int) -> None:
            planned["total"] = total
            progress((0, total), desc=embedding, unit="articles")

        def advance(n: int) -> None:
            planned["done"] += n
            progress((planned["done"], planned["total"]), desc=embedding, unit="articles")

        progress(0, desc=indexing_text(count))
        with self.live.adding(count):  # questions asked meanwhile wait for these articles
            result = add(progress=advance, on_plan=on_plan)
            if result.summary is not None and result.summary.changed:
                self.live.reload(force=True)  # searchable at once, not at the watcher's next look
        outlets = gr.Dropdown(choices=outlet_choices(list(self.live.stats().outlets)))  # new outlets can be chosen
        return result_html(result), self.summary(), None, outlets

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
        try:  # the same checks and messages as `qa ask`
            options = check_options(outlets=outlets, since=since, until=until, k=k, llm=llm)
            request = check_request(question, history=history, options=options, settings=self.live.settings)
            self.live.wait_for_uploads(UPLOAD_WAIT)  # files being added from the chat are searched too
            with self.live.generation() as assistant:
                return assistant.ask(request).to_json()
        except QAError as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    def close(self) -> None:
        self.exports.close()


def _plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())
