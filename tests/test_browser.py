"""The chat in real headless Chromium: ask, see the cited answer and its card; a hostile article runs nothing."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from qa.core.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
FIXTURES = Path(__file__).parent / "fixtures"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
]
INJECTED = [
    "__pwned",
    "__pwned_title",
    "__pwned_outlet",
    "__pwned_url",
    "__pwned_author",
    "__pwned_img",
    "__pwned_md",
    "__pwned_link",
]

if not CHROMIUM.exists():
    pytest.skip(
        f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` (.ci/run does)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python) is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The fixture articles plus the hostile one, ingested into their own data dir and served."""
    from ingest.index import ingest
    from qa.serve.ui.start import serve

    root = tmp_path_factory.mktemp("browser")
    corpus = root / "corpus"
    shutil.copytree(FIXTURES / "articles", corpus)
    shutil.copy(FIXTURES / "hostile" / "lighthouse-hostile.md", corpus)
    settings = Settings(data_dir=root / "qa-data", corpus_dir=corpus, port=free_port())
    ingest([corpus], settings)
    demo, live = serve(settings, block=False)
    yield f"http://127.0.0.1:{settings.port}/"
    demo.close()
    live.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, app_url):
    """A fresh page that records dialogs and every request it makes."""
    context = browser.new_context(viewport={"width": 1360, "height": 980})
    page = context.new_page()
    page.dialogs, page.requests = [], []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: page.requests.append(request.url))
    page.goto(app_url, wait_until="load")
    page.wait_for_selector("#qa-question textarea")
    yield page
    context.close()


def ask(page, question: str) -> None:
    """Ask through the page and wait until the answer (or error) has finished streaming in."""
    before = page.locator("#qa-chat .qa-done").count()
    page.fill("#qa-question textarea", question)
    page.click("#qa-ask")
    page.wait_for_function("n => document.querySelectorAll('#qa-chat .qa-done').length > n", arg=before, timeout=60_000)


def test_ask_shows_cited_answer_with_source_card_and_loads_nothing_external(page):
    assert "articles from" in page.inner_text("#qa-corpus")
    ask(page, "How much money did the Harbor City council approve to repair the Old Mill Bridge?")
    marker = page.locator("#qa-chat a.qa-cite").first
    assert marker.inner_text() == "[1]"
    target = marker.get_attribute("href")
    card = page.locator(f"#qa-sources {target}")
    assert card.count() == 1
    assert "Harbor City council approves $40 million bridge repair plan" in card.inner_text()
    assert "$40 million" in card.locator("mark").inner_text()
    assert "characters" in card.inner_text()
    assert page.locator("#qa-sources svg circle").count() >= 1
    marker.click()
    assert page.evaluate("() => location.hash") == target  # the marker jumps to its card
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
    outside = {urlsplit(url).hostname for url in page.requests} - {"127.0.0.1"}
    assert not outside, f"the page loaded from outside the machine: {outside}"


def test_hostile_article_is_shown_as_text_and_runs_nothing(page):
    ask(page, "How much did the Gull Point lighthouse restoration cost, according to keeper Marta Olsen?")
    sources = page.inner_text("#qa-sources")
    chat = page.inner_text("#qa-chat")
    assert "Lighthouse keeper <script>window.__pwned_title=1</script> reopens Gull Point tower" in sources
    assert 'Gull Point <img src=x onerror="window.__pwned_outlet=1">Herald' in sources
    assert "<script>window.__pwned=1; alert('xss')</script>" in sources + chat
    for link in page.locator("#qa-sources a, #qa-chat a").all():
        assert (link.get_attribute("href") or "#").startswith(("#", "http://", "https://"))
    for link in page.locator("#qa-chat a.qa-cite").all():
        link.click()
    page.mouse.move(600, 400)
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.evaluate(f"() => {INJECTED!r}.filter(name => name in window)") == []
    assert page.locator("#qa-sources script, #qa-chat script, #qa-sources img, #qa-chat img[src='x']").count() == 0
    page.screenshot(path=str(ARTIFACTS / "hostile.png"), full_page=True)


def test_date_filter_with_no_article_abstains_visibly_and_clear_starts_over(page):
    page.click("#qa-filters button")
    page.fill("#qa-since input, #qa-since textarea", "last spring")
    ask(page, "How much money did the Harbor City council approve to repair the Old Mill Bridge?")
    assert "Cannot read the date" in page.inner_text("#qa-chat")  # a message, not a spinner or traceback
    assert page.locator("#qa-chat .qa-error").count() == 1
    page.fill("#qa-since input, #qa-since textarea", "1990-01-01")
    page.fill("#qa-until input, #qa-until textarea", "1990-12-31")
    ask(page, "How much money did the Harbor City council approve to repair the Old Mill Bridge?")
    assert "Not found in the corpus" in page.inner_text("#qa-chat")
    assert page.locator("#qa-chat .qa-abstain").count() == 1
    assert page.locator("#qa-sources .qa-notfound").count() == 1
    assert page.locator("#qa-sources .qa-card").count() == 0  # nothing in 1990 to show, not even as nearest
    page.click("#qa-clear")
    page.wait_for_function("() => !document.querySelector('#qa-sources .qa-notfound')")
    assert "Not found in the corpus" not in page.inner_text("#qa-chat")
