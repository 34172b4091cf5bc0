"""The Gradio page of the chat: its layout and how events reach the callbacks (`qa.serve.ui.callbacks`)."""

from __future__ import annotations

import os
from dataclasses import dataclass

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no phoning home: no network at run time

import gradio as gr  # noqa: E402

from qa.core.errors import QAError  # noqa: E402
from qa.core.settings import Settings  # noqa: E402
from qa.serve.snapshots import LiveAssistant  # noqa: E402
from qa.serve.ui.callbacks import EMPTY_SOURCES, ChatHandlers  # noqa: E402
from qa.serve.ui.examples import example_questions  # noqa: E402
from qa.serve.ui.render import corpus_summary  # noqa: E402
from qa.serve.ui.safe import text  # noqa: E402
from qa.serve.ui.style import CSS  # noqa: E402


def theme() -> gr.themes.Theme:
    """The default look with system fonts: a Google font would be fetched from the internet on every page load."""
    return gr.themes.Default(
        primary_hue="blue",
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


@dataclass(frozen=True)
class Controls:
    """The components events read and write."""

    box: gr.Textbox
    send: gr.Button
    reset: gr.Button
    chatbot: gr.Chatbot
    outlets: gr.Dropdown
    since: gr.Textbox
    until: gr.Textbox
    k: gr.Slider
    llm: gr.Checkbox  # generated answers (issue 12); hidden without a model server


def conversation() -> gr.Chatbot:
    return gr.Chatbot(
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


def chat_column(settings: Settings, examples: list[str], outlets: list[str]) -> Controls:
    """Conversation, question box and buttons, example questions, filters."""
    chatbot = conversation()
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
    llm = gr.Checkbox(
        value=bool(settings.llm_url),
        visible=bool(settings.llm_url),
        label="Write the answer with the language model (every sentence checked against its sources)",
        elem_id="qa-llm",
    )
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
    return Controls(box, send, reset, chatbot, chosen, since, until, k, llm)


def build_app(live: LiveAssistant, settings: Settings) -> gr.Blocks:
    """The chat page: conversation, sources with timeline, filters, examples, corpus size; plus ``/ask``."""
    handlers = ChatHandlers(live)
    stats = live.stats()
    with gr.Blocks(title="News QA", fill_width=True) as demo:
        with gr.Row(elem_classes="qa-header"):
            gr.HTML(f'<h1 class="qa-h1">{text("Ask the news")}</h1>')
            corpus = gr.HTML(corpus_summary(stats), elem_id="qa-corpus")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                c = chat_column(settings, example_questions(live.articles()), list(stats.get("outlets") or {}))
            with gr.Column(scale=2, min_width=320):
                sources = gr.HTML(EMPTY_SOURCES, elem_id="qa-sources", label="Sources")
        turns = gr.State([])

        inputs = [c.box, c.chatbot, turns, c.outlets, c.since, c.until, c.k, c.llm]
        outputs = [c.chatbot, turns, sources, c.box]
        c.box.submit(handlers.respond, inputs, outputs, api_visibility="private")
        c.send.click(handlers.respond, inputs, outputs, api_visibility="private")
        c.reset.click(handlers.clear, None, outputs, api_visibility="private", queue=False)
        # the conversation's own bin icon forgets the turns too
        c.chatbot.clear(handlers.clear, None, outputs, api_visibility="private", queue=False)
        demo.load(handlers.summary, None, corpus, api_visibility="private", queue=False)
        gr.api(handlers.ask, api_name="ask")
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
