"""Shared by the browser test modules: the served fixture corpus and a headless Chromium (imported as a plain
module, like corpora.py). One app and one browser per module; pages are cheap, app starts are not."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from server_fixtures import free_port

from qa.core.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
FIXTURES = Path(__file__).parent / "fixtures"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
BRIDGE = "How much money did the Harbor City council approve to repair the Old Mill Bridge?"
EBIKES = "Why is Nimbus recalling its Model S e-bikes?"


def require_chromium():
    """The playwright module, or a skip saying what is missing."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` (.ci/run does)",
            allow_module_level=True,  # called at import by the browser test modules
        )
    return pytest.importorskip("playwright.sync_api", reason="playwright (Python) is not installed")


@dataclass(frozen=True)
class App:
    url: str
    settings: Settings
    live: object  # the LiveAssistant answering the page


def serve_fixture_corpus(root: Path, *extra: Path, **settings) -> tuple[App, object]:
    """The fixture articles (plus ``extra`` files) ingested into their own data dir and served; returns the
    app and the Gradio demo (close both)."""
    from ingest.index import ingest
    from qa.serve.ui.start import serve

    corpus = root / "corpus"
    shutil.copytree(FIXTURES / "articles", corpus)
    for path in extra:
        shutil.copy(path, corpus)
    config = Settings(data_dir=root / "qa-data", corpus_dir=corpus, port=free_port(), **settings)
    ingest([corpus], config)
    demo, live = serve(config, block=False)
    return App(f"http://127.0.0.1:{config.port}/", config, live), demo


def open_page(browser, url: str, viewport: dict = DESKTOP, **options):
    """A page on the app that records dialogs and every request it makes."""
    context = browser.new_context(viewport=viewport, **options)
    page = context.new_page()
    page.dialogs, page.requests = [], []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: page.requests.append(request.url))
    page.goto(url, wait_until="load")
    page.wait_for_selector("#qa-question textarea")
    page.wait_for_selector("#qa-chat", state="attached")  # rendered a moment after the question box
    return page


def ask(page, question: str) -> None:
    """Ask through the page and wait until the answer (or error) has finished streaming in."""
    before = page.locator("#qa-chat .qa-done").count()
    page.fill("#qa-question textarea", question)
    page.click("#qa-ask")
    page.wait_for_function("n => document.querySelectorAll('#qa-chat .qa-done').length > n", arg=before, timeout=60_000)
    page.wait_for_timeout(350)  # the scroll to the new answer runs just after it


def drop_files(page, *paths: Path) -> str:
    """Drop ``paths`` on "Add articles" and wait for the result; returns the upload note's text."""
    page.set_input_files("#qa-upload input[type=file]", [str(p) for p in paths])
    page.wait_for_selector("#qa-upload-note .qa-upload-result", timeout=120_000)
    return page.inner_text("#qa-upload-note")


def last_answer(page):
    return page.locator("#qa-chat .message-row.bot-row").last


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path
