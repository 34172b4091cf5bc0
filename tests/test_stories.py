"""One story told once (issue 21): syndicated copies grouped at ingest, cited once with "also published by",
regrouped when a copy changes or goes, and counted by `qa stats`."""

from __future__ import annotations

import json
import shutil

import pytest
from corpora import FIXTURES, QUICK_INGEST, qa_ingest
from typer.testing import CliRunner

from qa.answer.assistant import Assistant
from qa.core.settings import Settings
from qa.serve.cli import app
from qa.store.arrays import read_version
from qa.store.stories import group, signature

STORIES = FIXTURES / "stories"
AP, INDEPENDENT, YAHOO = (
    "url:https://apnews.example/storm-buoys",
    "url:https://independent.example/storm-buoys",
    "url:https://news.yahoo.example/storm-buoys",
)
GAZETTE = "url:https://harborcitygazette.example/storm-buoys-doubts"
SCIENCE = "url:https://scienceweekly.example/storm-buoys-explained"
QUESTION = "How much did the storm surge warning buoys cost?"


def build(root):
    folder = root / "corpus"
    shutil.copytree(STORIES, folder)
    settings = Settings(data_dir=root / "qa-data")
    assert qa_ingest(folder, settings)["added"] == 5
    return folder, settings


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """The five articles, indexed once for the tests that only read them."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in QUICK_INGEST.items():
            patch.setenv(name, value)
        yield build(tmp_path_factory.mktemp("stories"))


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    """The five articles in a folder of this test's own, to change."""
    for name, value in QUICK_INGEST.items():
        monkeypatch.setenv(name, value)
    return build(tmp_path)


def stories(settings: Settings) -> dict[str, str]:
    return read_version(settings.arrays_dir).stories


def stats(settings: Settings) -> dict:
    result = CliRunner().invoke(app, ["stats", "--json", "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_syndicated_copies_are_one_story_and_cited_once(indexed):
    _, settings = indexed
    # three outlets, edited headlines and ledes, one with a trailing paragraph less: one story, the earliest's id
    assert stories(settings) == {AP: AP, INDEPENDENT: AP, YAHOO: AP}  # the two other reports of the event: alone
    answer = Assistant(settings).ask(QUESTION)
    cited = {c.passage.article_id for c in answer.citations}
    shown = {p.article_id for p in answer.passages}
    assert not answer.abstained and cited & {AP, INDEPENDENT, YAHOO} == {AP}
    assert len(shown & {AP, INDEPENDENT, YAHOO}) == 1  # the copies' slots went to other stories
    assert {GAZETTE, SCIENCE} <= shown
    citation = next(c for c in answer.citations if c.passage.article_id == AP)
    assert citation.passage.also == ("The Independent", "Yahoo News")
    assert citation.to_json()["also"] == ["The Independent", "Yahoo News"]
    # the outlet the question names is the copy cited
    named = Assistant(settings).ask("How much did the storm buoys cost, according to Yahoo News?")
    assert {c.passage.article_id for c in named.citations} & {AP, INDEPENDENT, YAHOO} == {YAHOO}
    assert next(c for c in named.citations if c.passage.article_id == YAHOO).passage.also == (
        "Associated Press",
        "The Independent",
    )
    result = CliRunner().invoke(app, ["ask", QUESTION, "--data-dir", str(settings.data_dir)])
    assert "also published by The Independent, Yahoo News" in result.stdout


def test_updating_or_removing_a_copy_regroups(corpus):
    folder, settings = corpus
    # the earliest copy removed: the story is named by the next earliest
    (folder / "ap-original.md").unlink()
    qa_ingest(folder, settings)
    assert stories(settings) == {INDEPENDENT: INDEPENDENT, YAHOO: INDEPENDENT}
    # the Yahoo page now carries another report altogether: it leaves the story, which has no copy left
    yahoo = folder / "yahoo-copy.md"
    gazette_body = (STORIES / "gazette-report.md").read_text().split("---\n", 2)[2]
    yahoo.write_text(yahoo.read_text().split("PORT ALDER")[0] + gazette_body)
    qa_ingest(folder, settings)
    assert stories(settings) == {YAHOO: YAHOO, GAZETTE: YAHOO}  # ...and joins the Gazette's (Yahoo's is earlier)
    assert (stats(settings)["stories"], stats(settings)["copies"]) == (3, 1)


def test_stats_count_stories_and_copies(indexed):
    _, settings = indexed
    data = stats(settings)
    assert (data["articles"], data["stories"], data["copies"]) == (5, 3, 2)
    result = CliRunner().invoke(app, ["stats", "--data-dir", str(settings.data_dir)])
    assert "3 stories (2 copies)" in result.stdout


def test_articles_too_short_to_compare_are_no_story_and_break_nothing():
    """Bodies under MIN_SHINGLES get an all-zero signature, left out of grouping: none, one or many of them."""
    short = {f"a{n}": signature("Brief note.") for n in range(3)}
    assert group(short, {}) == {}
    long = " ".join(f"word{n}" for n in range(100))
    mixed = {**short, "b1": signature(long), "b2": signature(long + " and one more")}
    assert group(mixed, {"b1": "2024-01-02", "b2": "2024-01-01"}) == {"b1": "b2", "b2": "b2"}
    # briefs that differ in their one figure: too short to call copies
    brief = "Copper reached a record of {} dollars a tonne on the London Metal Exchange, traders said on Monday."
    briefs = {f"c{n}": signature(brief.format(11_100 + 10 * n) * 2) for n in range(3)}
    assert group(briefs, {}) == {}
