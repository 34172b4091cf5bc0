"""The chat's HTML rendering, on hand-made answers: escaping, links, per-answer cards, abstention reasons, timeline,
examples, the Markdown export."""

from __future__ import annotations

import re
from dataclasses import fields, replace
from html.parser import HTMLParser

import pytest

from qa.core.errors import BadQuestionError, EmptyIndexError, StoreError
from qa.core.types import NOT_FOUND, Answer, Citation, Passage
from qa.serve.ui.examples import example_questions
from qa.serve.ui.export import TOPIC, answer_record, conversation_markdown
from qa.serve.ui.render import (
    abstain_reason,
    answer_message,
    card_id,
    corpus_summary,
    error_message,
    partial_message,
    timeline_panel,
)
from qa.serve.ui.safe import markdown_text, safe_url
from qa.serve.ui.timeline import outlet_colours, points, render_timeline, undated
from qa.store.stats import CorpusStats

HOSTILE = '<script>window.pwned=1</script><img src=x onerror="alert(1)"> [click](javascript:alert(2)) *bold*'


def passage(body: str, start: int = 100, **fields) -> Passage:
    base = dict(
        chunk_id="c1",
        article_id="a1",
        text=body,
        start=start,
        end=start + len(body),
        title="Bridge repair approved",
        source="Harbor City Gazette",
        url="https://gazette.example/bridge",
        published="2024-03-03",
    )
    base.update(fields)
    return Passage(**base)


def cited_answer(p: Passage, sentence: str, text: str | None = None) -> Answer:
    offset = p.text.index(sentence)
    citation = Citation(1, p, sentence, p.start + offset, p.start + offset + len(sentence))
    text = text if text is not None else f"{p.source}: “{sentence}” [1]"
    return Answer("What was approved?", text, (citation,), (p,), False, 0.9)


def visible_text(html: str) -> str:
    """What a browser would show: tags dropped, entities decoded."""
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", "", html))


def test_answer_message_links_markers_to_cards_and_keeps_text_literal():
    p = passage("The council approved a $40 million plan. Work starts in June.")
    message = answer_message(cited_answer(p, "The council approved a $40 million plan."), turn=3)
    assert f'href="#{card_id(3, 1)}"' in message
    assert "[1]" in visible_text(message)
    assert "$" not in message  # as an entity, so the chat's LaTeX pass never sees it
    assert "The council approved a $40 million plan." in visible_text(message)


def marked(html: str) -> list[str]:
    """The highlighted sentences, as shown."""
    import html as html_module

    return [html_module.unescape(m) for m in re.findall(r"<mark>(.*?)</mark>", html)]


def visible_text_keep_br(html: str) -> str:
    import html as html_module

    return html_module.unescape(html)


class _Tags(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_hostile_article_renders_as_text_everywhere():
    p = passage(
        f"Intro sentence here. {HOSTILE} Closing words.", title=HOSTILE, source=HOSTILE, url="javascript:alert(3)"
    )
    answer = cited_answer(p, "Intro sentence here.", text=f"{HOSTILE}: “Intro sentence here.” [1]")
    for html in (answer_message(answer, 1), timeline_panel(answer, {})):
        for tag, attrs in elements(html):
            assert tag not in ("script", "img", "iframe", "object")
            assert not [name for name in attrs if name.startswith("on") or name == "src"]
            assert attrs.get("href", "#").startswith(("#", "http://", "https://"))
        assert "window.pwned=1" in visible_text(html)  # shown, as text
        assert 'onerror="alert(1)"' in visible_text(html)
    message = answer_message(answer, 1)
    assert "[click](javascript" not in message and "javascript:" not in message  # no Markdown link or autolink
    assert "*bold*" not in message


def test_only_http_urls_become_links():
    assert safe_url("https://a.example/x?y=1") == "https://a.example/x?y=1"
    assert safe_url("http://a.example") == "http://a.example"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "//a.example", "ftp://a", "", None):
        assert safe_url(bad) is None
    html = answer_message(cited_answer(passage("One. Two.", url="data:text/html,<b>"), "One."), 1)
    assert "<a " not in html.replace('<a class="qa-cite"', "") and "Bridge repair approved" in visible_text(html)


def test_each_answer_carries_its_own_cards_under_its_text():
    body = "First sentence. The cited one is here. Last one."
    html = answer_message(cited_answer(passage(body, start=1200), "The cited one is here."), 2)
    text_part, _, cards = html.partition("\n\n")
    assert f'href="#{card_id(2, 1)}"' in text_part and f'id="{card_id(2, 1)}"' in cards
    assert "\n" not in cards  # one HTML block: the chat's Markdown leaves it alone
    assert marked(cards) == ["The cited one is here."]
    assert "characters 1,217–1,238" in visible_text(cards)  # 1-based, inclusive: body offset 16 of an excerpt at 1200
    long = "Word " * 200 + "The cited one is here.\n\nNext paragraph. " + "More " * 200
    cards = answer_message(cited_answer(passage(long), "The cited one is here."), 2).partition("\n\n")[2]
    assert marked(cards) == ["The cited one is here."] and "</mark><br>Next paragraph" in visible_text_keep_br(cards)
    assert visible_text(cards).count("…") == 2
    assert len(visible_text(cards)) < len(long)
    assert "Harbor City Gazette" in visible_text(cards) and re.search(r'<time class="qa-date">[^<]+</time>', cards)
    assert "Mar 3, 2024" in visible_text(cards)  # as the answer lines write dates
    assert 'href="https://gazette.example/bridge"' in cards and 'rel="noopener noreferrer nofollow"' in cards


def test_abstention_says_why_and_labels_nearest_excerpts():
    near = [passage(f"Unrelated text {i}.", chunk_id=f"c{i}", article_id=f"a{i}") for i in range(5)]
    answer = Answer("Who won the 1954 cup?", NOT_FOUND, (), tuple(near), True, 0.384)
    message = answer_message(answer, 1, threshold=0.7)
    assert "qa-abstain" in message and "Not found in the corpus" in message
    reason = "The closest passages match 38% of what the question asks; below the 70% needed to quote an answer."
    assert reason in visible_text(message)
    assert "Nearest excerpts (not an answer)" in message
    assert message.count('class="qa-card qa-card-nearest"') == 3 and "<mark>" not in message
    assert "69%" in abstain_reason(Answer("q", NOT_FOUND, (), tuple(near), True, 0.6999), 0.7)  # never "70%"
    assert "0%" in abstain_reason(Answer("q", NOT_FOUND, (), tuple(near), True, -0.2), 0.7)
    empty = Answer("q", NOT_FOUND, (), (), True, 0.0)
    assert abstain_reason(empty, 0.7) == "No indexed article matches this question."
    assert "within the chosen outlets and dates" in abstain_reason(empty, 0.7, filtered=True)
    assert "qa-card" not in answer_message(empty, 1, threshold=0.7)


def test_export_lists_answers_with_outlet_date_url_and_quote():
    p = passage("The council approved a $40 million plan. Work starts in June.")
    first = cited_answer(p, "The council approved a $40 million plan.")
    missing = Answer("Who won the 1954 cup?", NOT_FOUND, (), (p,), True, 0.3)
    records = [
        answer_record(first.to_json()),
        TOPIC,
        answer_record(missing.to_json(), "The closest passages match 30%."),
    ]
    md = conversation_markdown(records, "5 articles")
    assert md.startswith("# News QA conversation\n") and "5 articles" in md
    assert "## 1. What was approved?" in md and "## 2. Who won the 1954 cup?" in md
    assert "Harbor City Gazette: “The council approved a $40 million plan.” [1]" in md
    source = "1. **Bridge repair approved** — Harbor City Gazette, Mar 3, 2024 — <https://gazette.example/bridge>"
    assert source in md and "   > The council approved a $40 million plan." in md
    assert md.index("New topic") < md.index("## 2.")
    assert "**Not found in the corpus.** The closest passages match 30%." in md


def test_a_notice_from_the_assistant_comes_first():
    from dataclasses import replace

    answer = cited_answer(passage("One sentence. Two."), "One sentence.")
    if "notice" not in {f.name for f in fields(answer)}:
        pytest.skip("Answer has no notice field")
    message = answer_message(replace(answer, notice="Asking in English works best <b>."), 1)
    assert message.startswith('<span class="qa-notice">') and "<b>" not in message
    assert "Asking in English works best <b>." in visible_text(message)


def test_partial_message_never_cuts_a_tag_or_entity():
    p = passage("A &lt;tag&gt; and [x] here. More.")
    message = answer_message(cited_answer(p, "A &lt;tag&gt; and [x] here."), 1)
    for shown in range(len(message) + 1):
        part = partial_message(message, shown)
        assert message.startswith(part)
        assert part.count("<") == part.count(">")
        assert not re.search(r"&[#a-z0-9]*$", part)
        assert part.count("<a ") == part.count("</a>")


def test_timeline_places_articles_by_date_and_colours_by_outlet():
    ps = [
        passage("x", article_id="a1", source="Alpha", published="2024-01-01"),
        passage("y", article_id="a2", source="Beta", published="2024-12-31T10:00:00Z"),
        passage("z", article_id="a2", source="Beta", published="2024-12-31"),  # same article: one dot
        passage("w", article_id="a3", source="Gamma", published=""),  # undated: not placed
    ]
    pts = points(ps, {"a2": 1})
    assert [(pt.outlet, pt.n) for pt in pts] == [("Alpha", 0), ("Beta", 1)]
    colours = outlet_colours(["Beta", "Alpha"])
    svg = render_timeline(pts, colours)
    assert svg.count("<circle") == 2
    assert colours["Alpha"] in svg and colours["Beta"] in svg and colours["Alpha"] != colours["Beta"]
    assert "Jan 1, 2024" in svg and "Dec 31, 2024" in svg
    xs = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', svg)]
    assert xs[0] < xs[1]
    assert "No publication dates" in render_timeline([], colours)
    assert "(1 undated, not shown)" in render_timeline(pts, colours, undated(ps))
    hostile = render_timeline(points([passage("x", title=HOSTILE, source=HOSTILE)], {}), {})
    assert "<script" not in hostile and "<img" not in hostile


def test_markdown_text_is_inert():
    raw = "# Title\n- item *x* _y_ `z` [a](b) $x$ <b>"
    out = markdown_text(raw)
    assert not set("#*_`[]()$<>") & set(out.replace("&#", "").replace(";", ""))


def test_errors_are_one_clear_message_without_traceback():
    assert "nothing indexed" in error_message(EmptyIndexError("The index is empty: run `qa ingest corpus/` first."))
    assert "unavailable" in error_message(StoreError("Chroma store failed while searching: disk I/O error"))
    assert "cannot answer" in error_message(BadQuestionError("The question is empty."))
    crash = error_message(RuntimeError("secret path /etc/x"))
    assert "went wrong" in crash and "/etc/x" not in crash and "Traceback" not in crash


def test_corpus_summary_shows_size_outlets_and_dates():
    stats = CorpusStats(1234, 5678, {"A": 1, "B<": 2}, ("2023-01-02", "2024-05-06"), "m", "b", "s", "c", "embedded", 3)
    html = corpus_summary(stats)
    assert "1,234" in html and "2 outlets" in visible_text(html) and "Jan 2, 2023" in html and "5,678" in html
    assert "empty" in corpus_summary(replace(stats, articles=0, chunks=0, outlets={}, date_range=None))


@pytest.mark.parametrize("limit", [1, 3])
def test_examples_are_whole_questions_from_titles_newest_first_one_per_outlet(limit):
    articles = [
        ("Council approves bridge repair plan after long debate", "Gazette", "2024-03-03"),
        ("Bridge repairs to start in June after vote", "Gazette", "2024-03-05"),
        ("Glacier lost a fifth of its ice in ten years", "Science Weekly", "2023-10-12"),
        ("Short", "Other", "2025-01-01"),  # too short to make a question
        ("With hopes of victory fading, Ukraine's allies weigh what a long war will cost them", "Wire", "2025-02-01"),
    ]
    questions = example_questions(articles, limit=limit)
    assert len(questions) == limit
    assert questions[0] == "What did Gazette report about “Bridge repairs to start in June after vote”?"
    if limit == 3:
        assert "Glacier" in questions[1] and "Council approves" in questions[2]
    assert not [q for q in questions if "Ukraine" in q]  # too long for a question: left out, never cut
