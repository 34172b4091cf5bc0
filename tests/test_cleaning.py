"""Text that is not the article's (issue 22, point 4): HTML entities decoded for every format, unrendered template
lines and an outlet's recurring sign-up prompts removed before chunking, real sentences kept, chunk offsets
pointing into the cleaned body."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from corpora import FIXTURES, QUICK_INGEST

from ingest.article import Article
from ingest.clean import decode_entities, strip_furniture
from ingest.index import ingest
from ingest.load import load_paths
from ingest.plan import load
from qa.core.settings import Settings
from qa.store.chroma import Store

CLEANING = FIXTURES / "cleaning"
SIGNUP = "Sign up to the Harbour Herald morning briefing"
TEMPLATE = "{{ /verifyErrors }}"
PLEASE = "Please try again later"
VOTE = "The council will vote on the harbour budget at its meeting on Tuesday evening, the mayor said."
LIMIT = 10**7


def _articles(*names: str) -> dict[str, Article]:
    return {a.id: a for a in load_paths([CLEANING / n for n in names], LIMIT) if isinstance(a, Article)}


def test_entities_in_a_jsonl_record_are_decoded_in_title_outlet_author_and_body():
    (article,) = _articles("entities.jsonl").values()
    assert article.title == "'Massive intel failure by Mossad' & the army"
    assert article.source == "Globes English | Israel Business Arena"
    assert article.author == 'Ann "Annie" Lee'
    assert article.body.startswith('Officials called it "a massive intel failure" on Sunday.')
    assert "café is decoded" in article.body


def test_an_ampersand_that_is_not_an_entity_stays_as_written():
    (article,) = _articles("entities.jsonl").values()
    assert "AT&T and R&D budgets, the &notice page and ?a=1&not=2 stay as written" in article.body
    assert decode_entities("Tom &amp Jerry &copy 2023") == "Tom &amp Jerry &copy 2023"  # no ';': not decoded


def test_entities_in_a_markdown_file_are_decoded():
    (article,) = _articles("entities.md").values()
    assert article.title == "Rock & roll hall\u2019s new class"
    assert article.source == "The Music & Arts Review"
    assert article.body == "The hall named its class of 2023 on Friday \u2013 seven acts in all."


def test_a_sign_up_prompt_and_a_template_line_recurring_in_an_outlet_are_removed():
    articles = load([CLEANING / "furniture.jsonl"], LIMIT).articles
    herald = [a for a in articles.values() if a.source == "Harbour Herald"]
    assert len(herald) == 3
    for article in herald:
        assert SIGNUP not in article.body
        assert TEMPLATE not in article.body and PLEASE not in article.body
    assert articles["hh-ferry"].body == (
        "The Gull Island ferry will sail twice a day from November, down from four crossings in summer.\n\n" + VOTE
    )


def test_a_real_sentence_in_two_articles_and_a_prompt_quoted_by_another_outlet_are_kept():
    articles = load([CLEANING / "furniture.jsonl"], LIMIT).articles
    assert VOTE in articles["hh-ferry"].body and VOTE in articles["hh-lighthouse"].body
    assert SIGNUP in articles["cd-newsletter"].body  # one article of its outlet: nothing recurs there


def test_a_template_line_goes_even_from_a_lone_article():
    article = Article(id="one", title="t", body=f"Real news here.\n\nEmail {{{{ #verifyErrors }}}} {PLEASE} {TEMPLATE}")
    cleaned = strip_furniture({"one": article})
    assert cleaned.articles["one"].body == "Real news here."
    assert [r.reason for r in cleaned.removed] == ["template"]


def test_a_plain_placeholder_and_an_article_that_is_all_furniture_are_kept():
    code = Article(id="code", title="t", body="Jinja prints {{ name }} in a page.\n\nThat is all.")
    bare = Article(id="bare", title="t", body="Lonely {{ /verifyErrors }}")
    cleaned = strip_furniture({"code": code, "bare": bare})
    assert cleaned.articles == {"code": code, "bare": bare} and not cleaned.removed


def test_a_news_standfirst_repeated_across_a_story_stays_and_only_prompts_go():
    """A paragraph an outlet repeats atop a run of stories ("X is on trial for seven counts...") is news: without
    a call to the reader it stays, unless it is in most of the outlet's articles."""
    standfirst = "Mayor Ilse Varga is on trial for four counts of bribery; the Port Authority alleges kickbacks."
    prompt = "Follow us for daily trial updates and sign up for alerts."
    articles = {
        f"tt-{n}": Article(
            id=f"tt-{n}",
            title=f"Day {n}",
            source="Trial Times",
            body=f"Witness {n} testified on day {n}.\n\n" + (f"{standfirst}\n\n{prompt}" if n < 3 else "More later."),
        )
        for n in range(7)
    }
    cleaned = strip_furniture(articles)
    assert all(standfirst in cleaned.articles[f"tt-{n}"].body for n in range(3))
    assert all(prompt not in cleaned.articles[f"tt-{n}"].body for n in range(3))


@pytest.fixture()
def quick(monkeypatch):
    for key, value in QUICK_INGEST.items():
        monkeypatch.setenv(key, value)


def test_ingested_chunks_hold_no_furniture_and_point_into_the_cleaned_body(tmp_path: Path, quick):
    folder = tmp_path / "in"
    shutil.copytree(CLEANING, folder)
    settings = Settings(data_dir=tmp_path / "data")
    ingest([folder], settings)
    bodies = {a.id: a.body for a in load([folder], LIMIT).articles.values()}
    store = Store(settings)
    try:
        ids = [chunk_id for entry in store.manifest().values() for chunk_id in entry.chunk_ids]
        passages = store.get_passages(ids).values()
        assert {p.article_id for p in passages} == set(bodies)
        for passage in passages:
            assert bodies[passage.article_id][passage.start : passage.end] == passage.text
            assert TEMPLATE not in passage.text and "&#039;" not in passage.title
            if passage.source == "Harbour Herald":
                assert SIGNUP not in passage.text
        titles = {p.article_id: p.title for p in passages}
        assert titles["globes-mossad"] == "'Massive intel failure by Mossad' & the army"
    finally:
        store.close()
