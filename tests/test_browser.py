"""The chat in real headless Chromium, as people use it: each answer keeps its sources, a new topic starts a fresh
context, the conversation exports as Markdown, problems show beside their control, abstentions say why, a hostile
article runs nothing; on a phone and in the dark; example questions; adding articles with a real upload (last: it
changes the index). One app and one browser for the module; screenshots go to tests/artifacts/."""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

import pytest
from browser_app import (
    BRIDGE,
    EBIKES,
    FIXTURES,
    PHONE,
    ask,
    drop_files,
    last_answer,
    open_page,
    require_chromium,
    screenshot,
)
from browser_app import serve_fixture_corpus as serve_corpus

pytestmark = [pytest.mark.browser, pytest.mark.slow]
sync_api = require_chromium()
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
BRIDGE_TITLE = "Harbor City council approves $40 million bridge repair plan"
UNANSWERABLE = "Which striker scored the winning goal in the 1954 World Cup final in Bern?"
UPLOADS = FIXTURES / "upload"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The fixture articles plus the hostile one and a second Coastal Daily story, served once for the module."""
    extra = (FIXTURES / "hostile" / "lighthouse-hostile.md", FIXTURES / "qa-extra" / "coastal-daily-festival.md")
    served, demo = serve_corpus(tmp_path_factory.mktemp("browser"), *extra, upload_local_urls=True)  # a 127.0.0.1 page
    yield served
    demo.close()
    served.live.close()


@pytest.fixture(scope="module")
def browser():
    from browser_app import CHROMIUM, CHROMIUM_ARGS

    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, app):
    page = open_page(browser, app.url, accept_downloads=True)
    yield page
    page.context.close()


def test_each_answer_keeps_its_sources_and_the_export_has_them(page, tmp_path):
    assert "articles from" in page.inner_text("#qa-corpus")
    ask(page, BRIDGE)
    ask(page, EBIKES)
    screenshot(page, "desktop.png")  # the second answer at the top of the conversation, its cards under it
    first = page.locator("#qa-chat .message-row.bot-row").first
    marker = first.locator("a.qa-cite").first
    assert marker.inner_text() == "[1]"
    target = marker.get_attribute("href")
    assert target == "#qa-t1-src-1"
    marker.click()
    assert page.evaluate("() => location.hash") == target
    card = page.locator(target)
    assert card.count() == 1 and BRIDGE_TITLE in card.inner_text()
    assert "$40 million" in card.locator("mark").inner_text()
    # the card is in view inside the conversation's scroll box, after the second answer was given
    box = page.locator("#qa-chat .bubble-wrap").bounding_box()
    shown = card.bounding_box()
    assert box["y"] - 1 <= shown["y"] < box["y"] + box["height"], (box, shown)
    second_cards = last_answer(page).locator(".qa-card")
    assert second_cards.count() >= 1 and any("Nimbus" in t for t in second_cards.all_inner_texts())
    outside = {urlsplit(url).hostname for url in page.requests} - {"127.0.0.1"}
    assert not outside, f"the page loaded from outside the machine: {outside}"

    with page.expect_download() as download:
        page.click("#qa-export")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".md"
    exported = saved.read_text(encoding="utf-8")
    assert f"## 1. {BRIDGE}" in exported and f"## 2. {EBIKES}" in exported
    assert BRIDGE_TITLE in exported and "Harbor City Gazette" in exported
    assert "<https://harborcitygazette.example/news/bridge-repair-plan>" in exported
    assert "Coastal Daily, Mar 5, 2024" in exported  # outlet and date of a dated source, as the answers write them
    quoted = card.locator("mark").inner_text()
    assert f"> {quoted}" in exported  # the quoted sentence, verbatim
    assert "Gadget Report" in exported and "Nimbus" in exported


def test_new_topic_makes_the_next_question_stand_alone(page):
    ask(page, EBIKES)
    page.click("#qa-new-topic")
    page.wait_for_selector("#qa-chat .qa-topic")
    ask(page, "How much money did the council approve for the repairs?")  # "the council": bridge, not e-bikes
    titles = last_answer(page).locator(".qa-card .qa-title").all_inner_texts()
    assert titles, last_answer(page).inner_text()
    assert not [t for t in titles if "Nimbus" in t or "e-bike" in t], titles
    assert any("bridge" in t.lower() for t in titles), titles
    assert page.locator("#qa-chat .message-row.bot-row").first.locator(".qa-card").count() >= 1  # still there


def test_problems_show_beside_their_control_and_an_empty_question_gets_a_hint(page):
    page.click("#qa-ask")
    page.wait_for_selector("#qa-hint .qa-field-hint")
    assert "Type a question first" in page.inner_text("#qa-hint")
    assert page.locator("#qa-chat .message-row").count() == 0

    page.click("#qa-filters button")
    page.fill("#qa-since input, #qa-since textarea", "next tuesday")
    page.fill("#qa-question textarea", BRIDGE)
    page.click("#qa-ask")
    note = page.locator("#qa-filter-note .qa-field-error")
    note.wait_for()
    assert "Cannot read the date 'next tuesday'" in note.inner_text() and note.inner_text().startswith("From:")
    field, shown = page.locator("#qa-since").bounding_box(), note.bounding_box()
    assert 0 <= shown["y"] - (field["y"] + field["height"]) < 60  # right under the date fields
    assert page.locator("#qa-chat .qa-error").count() == 0 and page.locator("#qa-chat .message-row").count() == 0
    assert page.input_value("#qa-question textarea") == BRIDGE  # kept, to ask again once the date is fixed

    page.fill("#qa-since input, #qa-since textarea", "1990-01-01")
    page.fill("#qa-until input, #qa-until textarea", "1990-12-31")
    ask(page, BRIDGE)
    assert page.locator("#qa-filter-note .qa-field-error").count() == 0
    message = last_answer(page)
    assert "Not found in the corpus" in message.inner_text()
    assert "No indexed article matches this question within the chosen outlets and dates." in message.inner_text()
    assert message.locator(".qa-card").count() == 0  # nothing in 1990 to show, not even as nearest
    page.click("#qa-clear")
    page.wait_for_function("() => !document.querySelector('#qa-chat .qa-abstain')")


def test_abstention_says_why_from_the_evidence_score(page, app):
    ask(page, UNANSWERABLE)
    text = last_answer(page).inner_text()
    found = re.search(r"The closest passages match (\d+)% of what the question asks; below the (\d+)% needed", text)
    assert found, text
    with app.live.generation() as assistant:
        expected = assistant.ask(UNANSWERABLE)
    assert expected.abstained
    assert int(found.group(1)) == max(0, math.floor(expected.evidence_score * 100))
    assert int(found.group(2)) == round(app.settings.abstain_threshold * 100)
    assert "Nearest excerpts (not an answer)" in text and last_answer(page).locator(".qa-card-nearest").count() >= 1


def test_hostile_article_is_shown_as_text_and_runs_nothing(page):
    ask(page, "How much did the Gull Point lighthouse restoration cost, according to keeper Marta Olsen?")
    chat = page.inner_text("#qa-chat")
    assert "Lighthouse keeper <script>window.__pwned_title=1</script> reopens Gull Point tower" in chat
    assert 'Gull Point <img src=x onerror="window.__pwned_outlet=1">Herald' in chat
    assert "<script>window.__pwned=1; alert('xss')</script>" in chat
    for link in page.locator("#qa-chat a").all():
        assert (link.get_attribute("href") or "#").startswith(("#", "http://", "https://"))
    for link in page.locator("#qa-chat a.qa-cite").all():
        link.click()
    page.mouse.move(600, 400)
    # a dialog of our own, queued after everything the clicks and the hover set off: once it has arrived,
    # any dialog an injected handler opened before it has been recorded too
    with page.expect_event("dialog"):
        page.evaluate("() => { setTimeout(() => alert('sentinel'), 0); }")
    assert page.dialogs == ["sentinel"]
    assert page.evaluate(f"() => {INJECTED!r}.filter(name => name in window)") == []
    assert page.locator("#qa-chat script, #qa-sources script, #qa-chat img[src='x'], #qa-sources img").count() == 0


def test_phone_answer_then_its_sources_no_overflow_no_broken_dates(browser, app):
    page = open_page(browser, app.url, PHONE)
    try:
        ask(page, BRIDGE)
        width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], f"horizontal overflow at 390 px: {width}"
        message = last_answer(page)
        text_bottom = message.locator("p").last.bounding_box()
        card = message.locator(".qa-card").first.bounding_box()
        gap = card["y"] - (text_bottom["y"] + text_bottom["height"])
        assert 0 <= gap < 32, f"the first source card is {gap:.0f} px under the answer"
        assert card["x"] >= 0 and card["x"] + card["width"] <= PHONE["width"]
        inside = message.locator(".qa-card").first.evaluate("e => !!e.closest('#qa-chat')")
        assert inside  # in the conversation, not after the examples and filters
        lines = page.evaluate(
            "() => [...document.querySelectorAll('.qa-date, time')].filter(e => e.offsetParent)"
            ".map(e => [e.textContent, e.getClientRects().length])"
        )
        assert lines and all(n == 1 for _, n in lines), lines  # no date wraps mid-date ("2023-/09-26")
        screenshot(page, "phone.png")
        message.locator(".qa-card").first.evaluate("e => e.scrollIntoView({block: 'center'})")
        screenshot(page, "phone-sources.png")
    finally:
        page.context.close()


def test_dark_mode_toggle_is_remembered(browser, app):
    page = open_page(browser, app.url)
    try:
        light = page.evaluate("() => getComputedStyle(document.querySelector('#qa-chat')).backgroundColor")
        page.click("#qa-theme")
        page.wait_for_function("() => document.body.classList.contains('dark')")
        ask(page, BRIDGE)
        dark = page.evaluate("() => getComputedStyle(document.querySelector('#qa-chat')).backgroundColor")
        assert dark != light and _luminance(dark) < 0.2 < _luminance(light), (light, dark)
        mark = page.evaluate("() => getComputedStyle(document.querySelector('#qa-chat mark')).backgroundColor")
        assert _luminance(mark) < 0.5  # the highlight is re-coloured for a dark page, not a glaring yellow
        screenshot(page, "dark.png")
        page.reload()
        page.wait_for_selector("#qa-question textarea")
        page.wait_for_selector("#qa-chat", state="attached")
        page.wait_for_function("() => document.body.classList.contains('dark')")  # the choice is kept
        page.click("#qa-theme")
        page.wait_for_function("() => !document.body.classList.contains('dark')")
    finally:
        page.context.close()


def test_examples_are_whole_questions_and_the_label_covers_nothing(browser, app):
    page = open_page(browser, app.url)
    try:
        titles = {title for title, _, _ in app.live.articles()}
        outlets = set(app.live.stats().outlets)
        buttons = page.locator(".qa-example")
        assert buttons.count() >= 3
        for button in buttons.all():
            question = button.inner_text().strip()
            assert question.startswith("What did ") and question.endswith("”?"), question
            outlet, _, rest = question[len("What did ") :].partition(" report about “")
            assert outlet in outlets and rest[: -len("”?")] in titles, question  # whole title, whole outlet
            assert "…" not in question and "..." not in question
            clipped = button.evaluate("e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1")
            assert not clipped, question
        buttons.first.click()  # an example asks itself
        page.wait_for_selector("#qa-chat .qa-done", state="attached", timeout=60_000)
        asked = page.locator("#qa-chat .message-row.user-row").first.inner_text()
        assert asked.strip() == buttons.first.inner_text().strip()
        ask(page, BRIDGE)
        wrap = page.locator("#qa-chat .bubble-wrap")
        wrap.evaluate("e => { e.scrollTop = e.scrollHeight / 3; }")
        box = wrap.bounding_box()
        for dx, dy in ((12, 6), (60, 10), (box["width"] / 2, 8), (box["width"] - 30, 12), (box["width"] - 12, 12)):
            covered = page.evaluate(
                "([x, y]) => { const e = document.elementFromPoint(x, y);"
                " const over = e && e.closest('label, [data-testid=block-label], .top-panel');"
                " return over ? over.outerHTML.slice(0, 80) : ''; }",
                [box["x"] + dx, box["y"] + dy],
            )
            assert not covered, f"something sits on top of the scrolled conversation: {covered!r}"
    finally:
        page.context.close()


def test_upload_txt_and_jsonl_then_ask_about_them(browser, app):
    page = open_page(browser, app.url)
    try:
        before = app.live.stats().articles
        summary = drop_files(
            page, UPLOADS / "lantern-festival.txt", UPLOADS / "ferry-news.jsonl", UPLOADS / "minutes.pdf"
        )
        assert "Added 2 articles" in summary, summary
        assert "minutes.pdf" in summary and "unsupported file type '.pdf'" in summary  # a named skip
        assert "ferry-news.jsonl:" in summary  # its empty record, named by file and line
        screenshot(page, "upload.png")
        assert f"{before + 2:,}" in page.inner_text("#qa-corpus")
        page.click("#qa-filters button")
        page.click("#qa-filters input[role=listbox], #qa-filters .wrap-inner input")
        assert "Harbour Post" in page.inner_text("body")  # the new outlet can be chosen in the filters
        page.keyboard.press("Escape")
        ask(page, "How many people came to the Riverside lantern festival?")
        cards = last_answer(page).locator(".qa-card")
        assert "18,000" in last_answer(page).inner_text()
        assert any("lantern festival" in t for t in cards.all_inner_texts())
        ask(page, "How much did converting the ferry Kestrel to battery-electric cost?")
        assert "6.5 million euros" in last_answer(page).inner_text()
        assert "Harbour Post" in last_answer(page).locator(".qa-card").first.inner_text()
        assert app.live.stats().articles == before + 2
    finally:
        page.context.close()


def test_a_web_address_is_added_from_the_page_then_asked_about(browser, app):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    story = (
        b"<html><head><title>Tram line to Eastholm opens</title></head><body><article><h1>Tram line to Eastholm opens"
        b"</h1><p>The new tram line to Eastholm opened on Sunday with nine stops, and the first tram carried 240 "
        b"riders, the transit authority said.</p></article></body></html>"
    )

    class Page(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(story)))
            self.end_headers()
            self.wfile.write(story)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = open_page(browser, app.url)
    try:
        url = f"http://127.0.0.1:{server.server_port}/tram"
        page.fill("#qa-links textarea", f"{url}\nnot an address")
        page.click("#qa-links-add")
        page.wait_for_selector("#qa-upload-note .qa-upload-pages", timeout=120_000)
        summary = page.inner_text("#qa-upload-note")
        assert f"{url}: added “Tram line to Eastholm opens”" in summary, summary
        assert "not a web address" in summary
        assert page.input_value("#qa-links textarea") == ""
        ask(page, "How many stops does the tram line to Eastholm have?")
        assert "nine stops" in last_answer(page).inner_text()
    finally:
        page.context.close()
        server.shutdown()


def test_a_question_asked_while_a_file_is_indexed_waits_for_it(browser, app, tmp_path):
    """Drop a .txt and ask about it half a second later: the chat says the file is being indexed, and the answer
    comes from it (not "Not found" from the index before the drop). The story is followed by an archive long
    enough that indexing it outlasts the half second even with the fast embedding backend."""
    dropped = tmp_path / "observatory.txt"
    archive = (f"Archive note {n}: the visitor book of season {n} lists routine entries." for n in range(250))
    dropped.write_text((UPLOADS / "observatory.txt").read_text() + "\n\n" + "\n\n".join(archive), encoding="utf-8")
    page = open_page(browser, app.url)
    try:
        page.set_input_files("#qa-upload input[type=file]", [str(dropped)])
        page.wait_for_timeout(500)
        before = page.locator("#qa-chat .qa-done").count()
        page.fill("#qa-question textarea", "How big is the new telescope at the Hillcrest observatory?")
        page.click("#qa-ask")
        # the note shows while the file is indexed; on a CPU fast enough to index it within the half second
        # (bf16 units) the answer comes straight from the new index instead, which is what the user wants
        page.wait_for_function(
            "n => document.querySelector('#qa-chat .qa-indexing')"
            " || document.querySelectorAll('#qa-chat .qa-done').length > n",
            arg=before,
            timeout=120_000,
        )
        waiting = page.locator("#qa-chat .qa-indexing")
        if waiting.count():
            assert "Indexing 1 file" in waiting.first.inner_text()
            screenshot(page, "upload-indexing.png")
        page.wait_for_function(
            "n => document.querySelectorAll('#qa-chat .qa-done').length > n", arg=before, timeout=120_000
        )
        answer = last_answer(page).inner_text()
        assert "Not found" not in answer and "1.2-metre" in answer, answer
        assert any("Hillcrest" in t for t in last_answer(page).locator(".qa-card").all_inner_texts())
        page.wait_for_selector("#qa-upload-note .qa-upload-result", timeout=120_000)
        assert "Added 1 article" in page.inner_text("#qa-upload-note")
    finally:
        page.context.close()


def test_cards_show_the_article_text_not_entities_or_page_furniture(browser, app):
    """Records whose titles carry HTML entities (`&#039;`) and whose bodies carry an outlet's sign-up prompt and an
    unrendered newsletter template: the card reads the title as written, and no excerpt quotes the furniture."""
    page = open_page(browser, app.url)
    try:
        assert "Added 3 articles" in drop_files(page, UPLOADS / "mill-entities.jsonl")
        ask(page, "When will the Brenner flour mill reopen?")
        answer = last_answer(page)
        text = answer.inner_text()
        assert "May 14" in text, text
        titles = answer.locator(".qa-card").all_inner_texts()
        assert any("‘Saved by the mill’" in t or "'Saved by the mill'" in t for t in titles), titles
        assert "&#039;" not in text and "&amp;" not in text
        assert "{{" not in text and "Please try again later" not in text and "Sign up to the Valley" not in text
        screenshot(page, "clean-text.png")
    finally:
        page.context.close()


def test_outlets_and_dates_read_alike_and_the_timeline_keeps_them_apart(browser, app):
    """Twelve outlets with feed taglines report one story: the answer lines and the cards write dates alike, the
    timeline legend names the outlets as the answers do, and no two outlets on the timeline share a colour."""
    page = open_page(browser, app.url)
    try:
        assert "Added 12 articles" in drop_files(page, UPLOADS / "copper-outlets.jsonl")
        ask(page, "What record price did copper reach on the London Metal Exchange?")
        answer = last_answer(page)
        dates = answer.locator(".qa-card .qa-date").all_inner_texts()
        assert dates and all(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", d) for d in dates), dates
        lines = answer.locator("p").first.inner_text()
        assert dates[0] in lines, (dates, lines)  # "CNBC, Nov 18, 2023: “…” [1]" over a card dated the same
        assert not re.search(r"\d{4}-\d{2}-\d{2}", answer.inner_text())
        keys = page.locator("#qa-sources .qa-tl-key")
        names = keys.all_inner_texts()
        assert len(names) >= 8 and "CNBC" in names and not [n for n in names if "|" in n or ":" in n], names
        colours = [k.locator("i").evaluate("e => getComputedStyle(e).backgroundColor") for k in keys.all()]
        assert len(set(colours)) == len(colours), list(zip(names, colours, strict=True))
        page.locator("#qa-sources").scroll_into_view_if_needed()
        screenshot(page, "timeline-outlets.png")
    finally:
        page.context.close()


def _luminance(css: str) -> float:
    """Relative brightness (0 black .. 1 white) of an ``rgb(...)``/``rgba(...)`` value."""
    parts = [float(x) for x in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
    return (0.2126 * parts[0] + 0.7152 * parts[1] + 0.0722 * parts[2]) / 255
