"""Outlet names people type (issue 22, point 6): ``--outlet BBC`` means both "BBC News - ..." outlets and says so;
a name no outlet has is refused pointing to `qa stats`, never with a list cut off by "..."."""

from __future__ import annotations

import json

import pytest
from corpora import FIXTURES, index_fixtures
from typer.testing import CliRunner

from qa.core.errors import UnknownOutletError
from qa.core.settings import Settings
from qa.search.outlets import LISTED_OUTLETS, resolve_outlets, starting_with
from qa.serve.cli import app

OUTLETS = FIXTURES / "outlets"  # 14 outlets, two of them "BBC News - ..."
BBC = ("BBC News - Entertainment & Arts", "BBC News - Technology")
KNOWN = (*BBC, "FOX News - Health", "TechCrunch", "The Age", "The Roar | Sports Writers Blog")


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> Settings:
    return index_fixtures(OUTLETS, tmp_path_factory.mktemp("outlets"))


def ask(settings: Settings, *args: str):
    return CliRunner().invoke(app, ["ask", *args, "--data-dir", str(settings.data_dir)])


def test_outlet_bbc_answers_from_both_bbc_outlets_and_says_so(indexed):
    result = ask(indexed, "What happened at the Gull Point harbour?", "--outlet", "BBC", "--json", "--k", "5")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {p["source"] for p in data["passages"]} == set(BBC)
    assert "'BBC' matched 2 outlets: BBC News - Entertainment & Arts, BBC News - Technology" in data["notice"]


def test_an_unknown_outlet_is_refused_pointing_to_qa_stats(indexed):
    result = ask(indexed, "What happened at the harbour?", "--outlet", "Bloomberg")
    assert result.exit_code == 2
    assert "No indexed outlet is called 'Bloomberg'" in result.output
    assert "`qa stats` lists all 14 indexed outlets" in result.output and "..." not in result.output


def test_a_prefix_stands_for_every_outlet_it_begins_at_a_word_end():
    assert starting_with("BBC", KNOWN) == list(BBC)
    assert starting_with("bbc news", KNOWN) == list(BBC)
    assert starting_with("Fox", KNOWN) == ["FOX News - Health"]
    assert starting_with("Roar", KNOWN) == ["The Roar | Sports Writers Blog"]
    assert starting_with("Tech", KNOWN) == [] and starting_with("BB", KNOWN) == []


def test_an_exact_name_wins_and_is_not_noted():
    resolved = resolve_outlets(["techcrunch", "BBC News - Technology"], KNOWN)
    assert resolved.outlets == ("TechCrunch", "BBC News - Technology") and resolved.notes == ()


def test_a_few_outlets_are_listed_whole_in_a_refusal():
    with pytest.raises(UnknownOutletError) as refused:
        resolve_outlets(["Reuters"], KNOWN)
    assert len(KNOWN) <= LISTED_OUTLETS
    assert str(refused.value) == f"No indexed outlet is called 'Reuters'. Indexed outlets: {', '.join(KNOWN)}."
