"""The Gradio layout and callbacks of the chat, and the ``ask`` API endpoint; rendering lives in `qa.ui.render`."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no phoning home: no network at run time

import gradio as gr  # noqa: E402

from qa.core.errors import BadQuestionError, QAError  # noqa: E402
from qa.core.settings import Settings  # noqa: E402
from qa.core.types import Filters  # noqa: E402
from qa.serve.snapshots import LiveAssistant  # noqa: E402
from qa.serve.ui.examples import example_questions  # noqa: E402
from qa.serve.ui.render import (  # noqa: E402
    answer_message,
    corpus_summary,
    error_message,
    partial_message,
    sources_html,
)
from qa.serve.ui.safe import markdown_text, text  # noqa: E402
from qa.serve.ui.style import CSS  # noqa: E402
from qa.serve.ui.timeline import outlet_colours  # noqa: E402

log = logging.getLogger(__name__)
STREAM_STEPS = 8
DONE = '<span class="qa-done"></span>'  # marks a finished message (for tests and assistive tech)
EMPTY_SOURCES = '<div class="qa-sources qa-muted">Ask a question: the cited sources and a timeline appear here.</div>'


def theme() -> gr.themes.Theme:
    """The default look with system fonts: a Google font would be fetched from the internet on every page load."""
    return gr.themes.Default(
        primary_hue="blue",
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


def parse_filters(
    outlets: list[str] | None, since: str | None, until: str | None, resolve_outlets: Callable | None = None
) -> Filters:
    """The chat controls as `Filters`, read as `qa ask` reads ``--outlet/--since/--until`` ("October 2023" too).

    A malformed date is the user's to fix, so it is a `BadQuestionError` (shown in the chat)."""
    from qa.text.dates import parse_day

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


def build_app(live: LiveAssistant, settings: Settings) -> gr.Blocks:
    """The chat page: conversation, sources with timeline, filters, examples, corpus size; plus ``/ask``."""
    stats = live.stats()
    outlets = list((stats.get("outlets") or {}).keys())
    examples = example_questions(live.articles())

    def summary() -> str:
        return corpus_summary(live.stats())

    def respond(
        question: str, chat: list[dict], turns: list[dict], chosen: list[str], since: str, until: str, k: float
    ) -> Iterator[tuple]:
        question = (question or "").strip()
        if not question:
            yield chat, turns, gr.skip(), ""
            return
        turn = len(turns) // 2 + 1
        chat = [*chat, {"role": "user", "content": markdown_text(question)}]
        pending = '<span class="qa-pending">Searching the articles…</span>'
        yield [*chat, {"role": "assistant", "content": pending}], turns, gr.skip(), ""
        try:
            filters = parse_filters(chosen, since, until, live.resolve_outlets)
            answer = live.ask(question, history=turns, filters=filters, k=int(k) if k else None)
        except QAError as exc:
            yield [*chat, {"role": "assistant", "content": error_message(exc) + DONE}], turns, gr.skip(), ""
            return
        except Exception as exc:  # noqa: BLE001 - the user sees a message, the log keeps the traceback
            log.exception("Answering %r failed", question)
            yield [*chat, {"role": "assistant", "content": error_message(exc) + DONE}], turns, gr.skip(), ""
            return
        message = answer_message(answer, turn)
        turns = [*turns, {"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
        colours = outlet_colours(list((live.stats().get("outlets") or {}).keys()))
        sources = sources_html(answer, turn, colours)
        step = max(1, len(message) // STREAM_STEPS)
        for shown in range(step, len(message), step):  # stream the answer in; the sources come with its end
            partial = partial_message(message, shown)
            yield [*chat, {"role": "assistant", "content": partial + "▍"}], turns, gr.skip(), ""
            time.sleep(0.03)
        yield [*chat, {"role": "assistant", "content": message + DONE}], turns, sources, ""

    def clear() -> tuple:
        return [], [], EMPTY_SOURCES, ""

    def ask(
        question: str,
        outlets: list[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        k: int | None = None,
        history: list[dict] | None = None,
    ) -> dict:
        """Answer a question about the indexed news articles; returns the same JSON as `qa ask --json`."""
        try:
            filters = parse_filters(outlets, since, until, live.resolve_outlets)
            return live.ask(question, history=history or None, filters=filters, k=k or None).to_json()
        except QAError as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    with gr.Blocks(title="News QA", fill_width=True) as demo:
        with gr.Row(elem_classes="qa-header"):
            gr.HTML(f'<h1 class="qa-h1">{text("Ask the news")}</h1>')
            corpus = gr.HTML(corpus_summary(stats), elem_id="qa-corpus")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                chatbot = gr.Chatbot(
                    elem_id="qa-chat",
                    label="Conversation",
                    height=520,
                    sanitize_html=True,
                    allow_tags=False,
                    render_markdown=True,
                    latex_delimiters=[],
                    feedback_options=None,
                    group_consecutive_messages=False,
                    buttons=["copy", "copy_all"],  # no "share": it posts to Hugging Face
                    placeholder="Answers quote the articles verbatim, with numbered sources.",
                )
                with gr.Row():
                    box = gr.Textbox(
                        show_label=False,
                        placeholder="Ask about the news, e.g. who said what, and when…",
                        scale=6,
                        max_lines=4,
                        elem_id="qa-question",
                        autofocus=True,
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="qa-ask")
                    reset = gr.Button("Clear", scale=1, min_width=80, elem_id="qa-clear")
                if examples:
                    gr.Examples(examples=[[q] for q in examples], inputs=[box], label="Try asking")
                with gr.Accordion("Filters", open=False, elem_id="qa-filters"):
                    chosen = gr.Dropdown(
                        choices=outlets,
                        multiselect=True,
                        label="Outlets",
                        info="Only answer from these outlets (none selected: all).",
                        allow_custom_value=True,
                    )
                    with gr.Row():
                        since = gr.Textbox(label="From", placeholder="YYYY-MM-DD", max_lines=1, elem_id="qa-since")
                        until = gr.Textbox(label="To", placeholder="YYYY-MM-DD", max_lines=1, elem_id="qa-until")
                    k = gr.Slider(1, 30, value=settings.top_k, step=1, label="Passages retrieved")
            with gr.Column(scale=2, min_width=320):
                sources = gr.HTML(EMPTY_SOURCES, elem_id="qa-sources", label="Sources")
        turns = gr.State([])

        inputs = [box, chatbot, turns, chosen, since, until, k]
        outputs = [chatbot, turns, sources, box]
        box.submit(respond, inputs, outputs, api_visibility="private")
        send.click(respond, inputs, outputs, api_visibility="private")
        reset.click(clear, None, outputs, api_visibility="private", queue=False)
        chatbot.clear(clear, None, outputs, api_visibility="private", queue=False)  # its own bin icon: forget too
        demo.load(summary, None, corpus, api_visibility="private", queue=False)
        gr.api(ask, api_name="ask")
    demo.queue(max_size=settings.max_queue, default_concurrency_limit=settings.concurrency)
    return demo


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """``QA_AUTH="user:password"`` as Gradio's login pair."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise QAError('QA_AUTH must look like "user:password".')
    return user, password


def launch(live: LiveAssistant, settings: Settings, *, block: bool = True, quiet: bool = False) -> gr.Blocks:
    """Serve the chat on ``settings.host:settings.port`` (loopback unless told otherwise)."""
    demo = build_app(live, settings)
    demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=parse_auth(settings.auth),
        prevent_thread_lock=not block,
        show_error=False,
        quiet=quiet,
        ssr_mode=False,
        footer_links=["api"],
        theme=theme(),
        css=CSS,
    )
    return demo
