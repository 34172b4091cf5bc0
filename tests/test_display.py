"""One way to show an outlet and a date (`qa.text.display`), wherever they appear: answer lines, source cards, the
timeline and its legend, the outlet filter, example questions, the export and `qa stats`; and timeline colours that
never repeat among the outlets on one timeline."""

from __future__ import annotations

import re

from rich.console import Console

from qa.core.types import NOT_FOUND, Answer, Citation, Passage
from qa.serve.terminal import render_stats
from qa.serve.ui.examples import example_questions
from qa.serve.ui.export import answer_record, conversation_markdown
from qa.serve.ui.render import answer_message, corpus_summary, outlet_choices
from qa.serve.ui.timeline import PALETTE, outlet_colours, points, render_timeline, screen_colours
from qa.store.stats import CorpusStats
from qa.text.display import added_note, outlet_display, short_date, source_label

CNBC = "Cnbc | World Business News Leader"
FEEDS = ["Business Today | Latest Stock Market", "Globes | Israel Business News", "TechCrunch"]


def passage(n: int, source: str, published: str = "2023-11-30T08:00:00Z") -> Passage:
    return Passage(
        chunk_id=f"c{n}",
        article_id=f"a{n}",
        text="Markets rose on Thursday.",
        start=0,
        end=25,
        title=f"Story {n}",
        source=source,
        url="",
        published=published,
    )


def test_outlets_and_dates_read_one_way():
    assert outlet_display(CNBC) == "CNBC"
    assert outlet_display("Globes | Israel Business News") == "Globes"
    assert outlet_display("FOX News - Health") == "FOX News - Health"
    assert short_date("2023-11-30T08:00:00Z") == "Nov 30, 2023" and short_date("2024-03-05") == "Mar 5, 2024"
    assert short_date("") == "" and short_date("sometime") == ""
    assert source_label(CNBC, "2023-11-30") == "CNBC, Nov 30, 2023"
    assert added_note("2024-05-01T12:00:00Z") == "added from the chat, May 1, 2024 12:00 UTC"
    assert added_note("") == "added from the chat"


def test_a_card_shows_the_date_and_outlet_its_answer_line_does():
    p = passage(1, CNBC)
    line = f"{source_label(p.source, p.published)}: “Markets rose on Thursday.” [1]"
    answer = Answer("What rose?", line, (Citation(1, p, "Markets rose on Thursday.", 0, 25),), (p,), False)
    html = answer_message(answer, 1)
    assert "CNBC, Nov 30, 2023&#58; " in html
    assert '<time class="qa-date">Nov 30, 2023</time>' in html and '<span class="qa-outlet">CNBC</span>' in html
    assert "2023-11-30" not in html and "World Business" not in html


def test_export_filter_examples_summary_and_stats_use_the_same_names_and_dates():
    p = passage(1, CNBC)
    cited = Answer("q", "CNBC, Nov 30, 2023: “Markets rose.” [1]", (Citation(1, p, "x", 0, 25),), (p,), False)
    missing = Answer("r", NOT_FOUND, (), (p,), True)
    md = conversation_markdown([answer_record(cited.to_json()), answer_record(missing.to_json())])
    assert md.count("**Story 1** — CNBC, Nov 30, 2023") == 2 and "World Business" not in md
    assert outlet_choices([CNBC, "Harbour Post"]) == [("CNBC", CNBC), ("Harbour Post", "Harbour Post")]
    assert outlet_choices([CNBC, "CNBC"]) == [(CNBC, CNBC), ("CNBC", "CNBC")]  # two that read the same: as stored
    assert example_questions([("Markets rise for the third day running", CNBC, "2023-11-30")]) == [
        "What did CNBC report about “Markets rise for the third day running”?"
    ]
    stats = CorpusStats(3, 9, {CNBC: 2, "CNBC": 1}, ("2023-11-01", "2023-11-30"), "m", "b", "s", "c", "embedded", 1)
    assert "Nov 1, 2023" in corpus_summary(stats) and "Nov 30, 2023" in corpus_summary(stats)
    console = Console(record=True, width=100)
    render_stats(stats, console)
    shown = console.export_text()
    assert "dates Nov 1, 2023 to Nov 30, 2023" in shown
    assert re.search(r"CNBC\s*│\s*3", shown) and "World Business" not in shown


def test_timeline_legend_names_are_cleaned_and_colours_never_repeat_on_screen():
    corpus = [f"Outlet {i}" for i in range(12)] + [CNBC, *FEEDS]  # ranks 12..15 share colours with 2..5 in the palette
    shown = [passage(i, name) for i, name in enumerate(["Outlet 0", "Outlet 10", CNBC, *FEEDS])]
    html = render_timeline(points(shown, {}), outlet_colours(corpus))
    legend = re.findall(r'<span class="qa-tl-key"><i style="background:(#[0-9A-F]{6})"></i>([^<]+)</span>', html)
    names = ["Outlet 0", "Outlet 10", "CNBC", "Business Today", "Globes", "TechCrunch"]
    assert sorted(name for _, name in legend) == sorted(names)
    colours = [colour for colour, _ in legend]
    assert len(set(colours)) == len(colours), legend
    assert set(re.findall(r'fill="(#[0-9A-F]{6})"', html)) == set(colours)  # the legend is the key of the dots
    assert "Nov 30, 2023" in html and "2023-11-30" not in html


def test_screen_colours_keep_an_outlets_own_colour_when_free_and_stay_distinct_past_the_palette():
    preferred = outlet_colours(["A", "B", "C"])
    assert screen_colours(["C", "A"], preferred) == {"A": PALETTE[0], "C": PALETTE[2]}
    many = [f"Outlet {i}" for i in range(len(PALETTE) + 15)]
    colours = screen_colours(many, outlet_colours(many))
    assert len(set(colours.values())) == len(many)
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in colours.values())
