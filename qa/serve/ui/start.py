"""Start the chat (``python app.py`` / ``qa serve``): build the index from the corpus folder when empty, then serve.

The first answer comes as soon as it can (issue 23): Gradio imports in a thread while the index opens, without
rewriting its type stubs (`qa.serve.ui`), and after the word-frequency list; the English pipeline and every article's
text (for choosing the quoted windows) are loaded once the chat listens, not before (a question asked meanwhile
waits for the pipeline). Loading spaCy beside Gradio's import instead gained nothing: both are Python under the GIL."""

from __future__ import annotations

import importlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable

from rich.console import Console

from qa.core.errors import QAError
from qa.core.settings import Settings, get_settings
from qa.serve.live import LiveAssistant
from qa.serve.progress import ingest_with_progress
from qa.serve.terminal import inert
from qa.text.terms import prior_weight

err = Console(stderr=True, emoji=False)
PAGE = "qa.serve.ui.blocks"  # the page's module: imports Gradio (about 1.6 s)


def build_if_empty(live: LiveAssistant, settings: Settings) -> None:
    """A first ``make run`` ends in a working chat: index ``settings.corpus_dir`` when nothing is indexed yet."""
    if live.stats().articles:
        return
    corpus = settings.corpus_dir
    if not corpus.exists() or not any(corpus.iterdir()):
        err.print(f"[yellow]The index is empty and {inert(corpus)} has no articles:[/yellow] run `qa ingest <folder>`.")
        return
    err.print(f"The index is empty: indexing {inert(corpus)} first (this happens once).")
    summary = ingest_with_progress([corpus], settings, err, transient=False)
    err.print(f"Indexed {summary.added} articles ({summary.chunks_written} passages) in {summary.seconds:.1f} s.")
    live.reload(force=True)


def serve(settings: Settings, *, block: bool = True, clock: Callable[[], float] = time.monotonic):
    """Open the index (building it if needed) and serve the chat; returns the Gradio app when not blocking.
    ``clock`` measures the login throttle's waits."""
    if block:
        stop_on_sigterm()
    prior_weight("news")  # wordfreq before Gradio: it finds its data with inspect.stack(), slower per module loaded
    page = threading.Thread(target=importlib.import_module, args=(PAGE,), name="qa-import-gradio", daemon=True)
    page.start()  # Gradio imports while the index opens (the model's set-up and the arrays' reads release the GIL)
    live = LiveAssistant(settings).start(defer=True)
    try:
        build_if_empty(live, settings)
        stats = live.stats()
        err.print(
            f"Answering from {stats.articles:,} articles; chat on http://{inert(settings.host)}:{settings.port}"
            + (" (login required)" if settings.auth else "")
        )
        page.join()
        from qa.serve.ui.blocks import launch  # imported by now (a failed import raises here, in this thread)

        demo = launch(live, settings, quiet=True, clock=clock)
        live.warm_up_later()  # spaCy now that the chat listens (loaded beside the page, it slowed both); texts after
    except BaseException:
        live.close()
        raise
    if block:
        demo.block_thread()  # until Ctrl-C or SIGTERM
        live.close()
        demo.handlers.close()
    return demo, live


def configure_logging() -> None:
    """Our own INFO lines (index swaps) on the console; not every HTTP request Gradio makes to itself."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def stop_on_sigterm() -> None:
    """`docker stop`, systemd and `kill` send SIGTERM: stop as on Ctrl-C, so the snapshot copy is removed."""

    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def main(settings: Settings | None = None) -> None:
    """``python app.py``: settings from the environment, expected failures as one line, not a traceback."""
    configure_logging()
    try:
        serve(settings or get_settings())
    except QAError as exc:
        err.print(f"[red]Error:[/red] {inert(exc)}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("Stopped.")
