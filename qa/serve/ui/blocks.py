"""The Gradio page of the chat: its layout and how events reach the callbacks (`qa.serve.ui.callbacks`).

Order on a phone (one column): the conversation, each answer with its source cards under it; the question box;
New topic / Clear / Export; example questions; filters; then the timeline and "Add articles"."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no phoning home: no network at run time

import gradio as gr  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from qa.core.errors import QAError  # noqa: E402
from qa.core.settings import Settings  # noqa: E402
from qa.serve.live import LiveAssistant  # noqa: E402
from qa.serve.ui.callbacks import EMPTY_SOURCES, OUTPUTS, ChatHandlers  # noqa: E402
from qa.serve.ui.examples import example_questions  # noqa: E402
from qa.serve.ui.guard import Guard, LoginThrottle, body_limit, forwarding, upload_limit  # noqa: E402
from qa.serve.ui.render import corpus_summary, field_note, outlet_choices  # noqa: E402
from qa.serve.ui.safe import text  # noqa: E402
from qa.serve.ui.style import CSS, SHOW_ANSWER, THEME_ON_LOAD, TOGGLE_THEME  # noqa: E402
from qa.serve.ui.uploads import upload_help, uploads_blocked  # noqa: E402

CACHE_SECONDS = 3600  # Gradio's copies of uploads and exports are deleted after an hour


def theme() -> gr.themes.Theme:
    """The default look with system fonts: a Google font would be fetched from the internet on every page load."""
    return gr.themes.Default(
        primary_hue="blue",
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


@dataclass(frozen=True)
class Controls:
    """The components events read and write (named as the fields of `callbacks.Reply`, plus the inputs)."""

    box: gr.Textbox
    send: gr.Button
    topic: gr.Button
    reset: gr.Button
    export: gr.DownloadButton
    chat: gr.Chatbot
    hint: gr.HTML
    examples: tuple[gr.Button, ...]
    filters: gr.Accordion
    outlets: gr.Dropdown
    since: gr.Textbox
    until: gr.Textbox
    filter_note: gr.HTML
    k: gr.Slider
    llm: gr.Checkbox  # generated answers (issue 12); hidden without a model server


def conversation() -> gr.Chatbot:
    return gr.Chatbot(
        elem_id="qa-chat",
        label="Conversation",
        show_label=False,
        height="68vh",
        min_height=360,
        sanitize_html=True,
        allow_tags=False,
        render_markdown=True,
        latex_delimiters=[],
        feedback_options=None,
        group_consecutive_messages=False,
        # per-message copy only: no "share" (it posts to Hugging Face), and no toolbar over the top of the messages
        # (its icons covered scrolled text; Clear and Export sit under the question box instead)
        buttons=["copy"],
        placeholder="Answers quote the articles verbatim; each answer lists its sources under it.",
        autoscroll=False,  # style.SHOW_ANSWER scrolls to the start of a new answer instead of the end of its cards
    )


def chat_column(settings: Settings, examples: list[str], outlets: list[str]) -> Controls:
    """Conversation, question box and buttons, example questions, filters."""
    chat = conversation()
    with gr.Row(equal_height=True):
        box = gr.Textbox(
            show_label=False,
            placeholder="Ask about the news, e.g. who said what, and when…",
            scale=6,
            max_lines=4,
            elem_id="qa-question",
            autofocus=True,
        )
        send = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="qa-ask")
    hint = gr.HTML("", elem_id="qa-hint", visible=False)
    with gr.Row():
        topic = gr.Button("New topic", size="sm", min_width=90, elem_id="qa-new-topic")
        reset = gr.Button("Clear", size="sm", min_width=60, elem_id="qa-clear")
        export = gr.DownloadButton("Export", size="sm", min_width=80, interactive=False, elem_id="qa-export", icon=None)
    buttons = []
    llm = gr.Checkbox(
        value=bool(settings.llm_url),
        visible=bool(settings.llm_url),
        label="Write the answer with the language model (every sentence checked against its sources)",
        elem_id="qa-llm",
    )
    if examples:
        with gr.Group(elem_id="qa-examples"):
            gr.HTML('<p class="qa-for">Try asking</p>')
            buttons = [gr.Button(q, size="sm", elem_classes="qa-example") for q in examples]
    with gr.Accordion("Filters", open=False, elem_id="qa-filters") as filters:
        chosen = gr.Dropdown(
            choices=outlet_choices(outlets),
            multiselect=True,
            label="Outlets",
            info="Only answer from these outlets (none selected: all).",
            allow_custom_value=True,
        )
        with gr.Row():
            since = gr.Textbox(label="From", placeholder="YYYY-MM-DD", max_lines=1, elem_id="qa-since")
            until = gr.Textbox(label="To", placeholder="YYYY-MM-DD", max_lines=1, elem_id="qa-until")
        filter_note = gr.HTML("", elem_id="qa-filter-note", visible=False)
        k = gr.Slider(1, 30, value=settings.top_k, step=1, label="Passages retrieved")
    return Controls(
        box, send, topic, reset, export, chat, hint, tuple(buttons), filters, chosen, since, until, filter_note, k, llm
    )


def side_column(settings: Settings) -> tuple[gr.HTML, gr.File, gr.HTML]:
    """The latest answer's timeline, and "Add articles" (disabled, with the reason, on a read-only index)."""
    timeline = gr.HTML(EMPTY_SOURCES, elem_id="qa-sources")
    blocked = uploads_blocked(settings)
    files = gr.File(
        label="Add articles",
        file_count="multiple",
        type="filepath",
        interactive=not blocked,
        elem_id="qa-upload",
        height=120,
    )
    note = gr.HTML(field_note(blocked) if blocked else text(upload_help(settings)), elem_id="qa-upload-note")
    return timeline, files, note


def link_box(settings: Settings) -> tuple[gr.Textbox, gr.Button]:
    """Beside the file drop: web addresses (pages or feeds) to add, one per line."""
    blocked = bool(uploads_blocked(settings))
    links = gr.Textbox(
        label="…or web addresses",
        placeholder="https://… (a page or a feed; one per line)",
        lines=2,
        max_lines=6,
        interactive=not blocked,
        elem_id="qa-links",
    )
    add = gr.Button("Add pages", size="sm", interactive=not blocked, elem_id="qa-links-add")
    return links, add


def build_app(live: LiveAssistant, settings: Settings) -> gr.Blocks:
    """The chat page: conversation with per-answer sources, timeline, filters, examples, uploads; plus ``/ask``."""
    handlers = ChatHandlers(live)
    stats = live.stats()
    with gr.Blocks(title="News QA", fill_width=True, delete_cache=(CACHE_SECONDS, CACHE_SECONDS)) as demo:
        with gr.Row(elem_classes="qa-header"):
            gr.HTML(f'<h1 class="qa-h1">{text("Ask the news")}</h1>')
            corpus = gr.HTML(corpus_summary(stats), elem_id="qa-corpus")
            dark = gr.Button("Dark / light", size="sm", elem_id="qa-theme", scale=0, min_width=110)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=340):
                c = chat_column(settings, example_questions(live.articles()), list(stats.outlets))
            with gr.Column(scale=2, min_width=300):
                timeline, files, upload_note = side_column(settings)
                links, add_links = link_box(settings)
        turns, record = gr.State([]), gr.State([])
        wire(handlers, c, {"turns": turns, "record": record, "timeline": timeline})
        added = [upload_note, corpus, files, c.outlets]
        files.upload(handlers.add_articles, files, added, api_visibility="private", concurrency_limit=1)
        linked = [upload_note, corpus, links, c.outlets]
        add_links.click(handlers.add_links, links, linked, api_visibility="private", concurrency_limit=1)
        dark.click(None, None, None, js=TOGGLE_THEME, api_visibility="private", queue=False)
        demo.load(handlers.summary, None, corpus, js=THEME_ON_LOAD, api_visibility="private", queue=False)
        gr.api(handlers.ask, api_name="ask", concurrency_limit=question_slots(settings))
    demo.queue(max_size=settings.max_queue, default_concurrency_limit=question_slots(settings))
    demo.handlers = handlers  # closed with the app (its export folder)
    return demo


def question_slots(settings: Settings) -> int:
    """Questions answered at once per event (a chat trigger, ``/ask``): QA_CONCURRENCY plus the QA_LLM_CONCURRENCY
    the model may be writing (the generator refuses more at once), so slow model calls never hold the slots plain
    questions need."""
    return settings.concurrency + settings.llm_concurrency


def wire(handlers: ChatHandlers, c: Controls, state: dict) -> None:
    """Connect the chat's events; every chat callback writes the `callbacks.Reply` outputs, in their order."""
    named = {**state, "chat": c.chat, "box": c.box, "hint": c.hint, "filter_note": c.filter_note}
    named.update(filters=c.filters, export=c.export)
    outputs = [named[name] for name in OUTPUTS]
    rest = [c.chat, state["turns"], state["record"], c.outlets, c.since, c.until, c.k, c.llm]
    for trigger, question in [(c.box.submit, c.box), (c.send.click, c.box)] + [(b.click, b) for b in c.examples]:
        trigger(None, None, None, js=SHOW_ANSWER, api_visibility="private", queue=False)  # the pending answer
        trigger(handlers.respond, [question, *rest], outputs, api_visibility="private").then(
            None, None, None, js=SHOW_ANSWER, api_visibility="private", queue=False
        )
    c.topic.click(handlers.new_topic, [c.chat, state["record"]], outputs, api_visibility="private", queue=False)
    c.reset.click(handlers.clear, None, outputs, api_visibility="private", queue=False)
    c.chat.clear(handlers.clear, None, outputs, api_visibility="private", queue=False)  # its own bin, if shown


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """``QA_AUTH="user:password"`` as Gradio's login pair."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise QAError('QA_AUTH must look like "user:password".')
    return user, password


def launch(
    live: LiveAssistant,
    settings: Settings,
    *,
    quiet: bool = False,
    clock: Callable[[], float] = time.monotonic,
) -> gr.Blocks:
    """Serve the chat on ``settings.host:settings.port`` (loopback unless told otherwise), returning once it listens,
    behind `Guard`:
    logins throttled per client (waits measured by ``clock``; forwarding headers believed only from
    ``QA_TRUSTED_PROXIES``), bodies bounded, uploads only to "Add articles" (when on); Gradio may not serve
    files from the data folder."""
    demo = build_app(live, settings)
    throttle = LoginThrottle(settings.login_delay, settings.login_max_delay, clock=clock)
    guard = Middleware(
        Guard,
        throttle=throttle,
        max_body=body_limit(settings),
        uploads=not uploads_blocked(settings),
        max_upload=upload_limit(settings),
    )
    with forwarding(settings):  # uvicorn reads which proxies it believes when Gradio creates it, in launch
        demo.launch(
            app_kwargs={"middleware": [guard]},
            blocked_paths=[str(settings.data_dir.resolve())],
            server_name=settings.host,
            server_port=settings.port,
            auth=parse_auth(settings.auth),
            prevent_thread_lock=True,  # returns once the server listens; `demo.block_thread()` waits after
            show_error=False,
            quiet=quiet,
            ssr_mode=False,
            footer_links=["api"],
            theme=theme(),
            css=CSS,
            max_file_size=settings.max_file_bytes,  # the same per-file limit as `qa ingest` (QA_MAX_FILE_BYTES)
        )
    return demo
