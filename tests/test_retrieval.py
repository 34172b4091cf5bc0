"""Hybrid retrieval: the pure pieces on hand-made passages, then the real thing on the fixture corpus."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from corpora import FIXTURES, article_bodies, build_extended_corpus

from ingest.index import ingest
from qa.core.settings import Settings
from qa.core.types import NO_FILTERS, Filters, Passage
from qa.search.query import Query
from qa.search.rank import Weights, blend_arrays, boost, diversify, sentence_match
from qa.search.searcher import Searcher
from qa.search.validate import Options, check_request
from qa.store.embeddings.model import get_tokenizer


def passage(chunk: str, article: str, score: float = 0.0, source: str = "", published: str = "") -> Passage:
    return Passage(chunk, article, f"text of {chunk}", 0, 10, source=source, published=published, score=score)


def test_blend_weights_each_side_after_min_max():
    fused = blend_arrays(np.array([0.9, 0.5, 0.1]), np.array([0.0, 10.0, 5.0]), dense_weight=0.3)
    assert fused[1] == pytest.approx(0.3 * 0.5 + 0.7 * 1.0)
    assert fused[0] == pytest.approx(0.3)
    assert fused[2] == pytest.approx(0.7 * 0.5)
    assert int(np.argmax(fused)) == 1


def test_blend_of_a_flat_side_does_not_divide_by_zero():
    fused = blend_arrays(np.array([0.4, 0.4]), np.array([0.0, 3.0]), dense_weight=0.5)
    assert np.isfinite(fused).all() and fused[1] > fused[0]


def test_sentence_match_is_the_best_single_sentence_share_of_the_question_weight():
    wanted = {"bridge": 2.0, "repair": 1.0, "mayor": 1.0}
    spread = [frozenset({"bridge"}), frozenset({"repair"}), frozenset({"mayor"})]
    together = [frozenset({"bridge", "repair", "mayor"}), frozenset()]
    assert sentence_match(spread, wanted) == pytest.approx(0.5)
    assert sentence_match(together, wanted) == pytest.approx(1.0)
    assert sentence_match([], wanted) == 0.0


def test_diversify_takes_distinct_articles_first_then_caps_repeats():
    ranked = [passage("1", "A"), passage("2", "A"), passage("3", "A"), passage("4", "B"), passage("5", "C")]
    assert [p.chunk_id for p in diversify(ranked, 4, distinct=10, per_article=2)] == ["1", "4", "5", "2"]
    assert [p.chunk_id for p in diversify(ranked, 4, distinct=1, per_article=2)] == ["1", "2", "4", "5"]
    assert [p.chunk_id for p in diversify(ranked[:3], 3, distinct=10, per_article=1)] == ["1", "2", "3"]


def test_boosts_are_soft_and_follow_what_the_question_names():
    weights = Weights(dense=0.3, outlet=0.2, day=0.1, period=0.05, distinct_articles=10, per_article=2, sentence=1.0)
    query = Query("q", outlets=("Coastal Daily",), days=("2024-03-04",), since="2024-03-01", until="2024-03-31")
    named = passage("1", "A", source="Coastal Daily", published="2024-03-05T10:00:00")
    other = passage("2", "B", source="Gazette", published="2023-01-01")
    assert boost(named, query, weights) == pytest.approx(0.35)
    assert boost(other, query, weights) == 0.0


def test_filters_accept_only_what_they_name():
    f = Filters(outlets=("Coastal Daily",), since="2024-01-01", until="2024-12-31")
    assert f.accepts(passage("1", "A", source="Coastal Daily", published="2024-03-05"))
    assert not f.accepts(passage("2", "A", source="Gazette", published="2024-03-05"))
    assert not f.accepts(passage("3", "A", source="Coastal Daily", published=""))
    assert f.accepts_article("Coastal Daily", "2024-12-31T23:00:00") and not f.accepts_article("Coastal Daily", "2025")


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    from qa.answer.assistant import Assistant

    return Assistant(build_extended_corpus(tmp_path_factory.mktemp("retrieval")))


def search(searcher: Searcher, question: str, k: int, filters: Filters = NO_FILTERS) -> list[Passage]:
    """The passages retrieval finds for ``question`` as every entry point asks it (a checked request)."""
    return searcher.find(check_request(question, options=Options(filters, k))).retrieval.passages


def test_explicit_outlet_and_date_filters_are_hard(assistant):
    passages = search(assistant.searcher, "bridge repairs", 10, Filters(outlets=("Coastal Daily",)))
    assert passages and {p.source for p in passages} == {"Coastal Daily"}
    dated = search(assistant.searcher, "bridge repairs", 10, Filters(since="2023-11-01", until="2023-12-31"))
    assert dated and all("2023-11-01" <= p.published[:10] <= "2023-12-31" for p in dated)


def test_outlet_named_in_the_question_is_preferred_not_required(assistant):
    first = assistant.ask("What did Coastal Daily report about the bridge repairs?").passages[0]
    assert first.source == "Coastal Daily" and "bridge" in first.title.lower()
    # an outlet with nothing on the topic only reorders: the bridge stories still come back
    answer = assistant.ask("What did Sports Desk report about the Old Mill Bridge repairs?")
    assert "Old Mill Bridge" in answer.passages[0].text


def test_distinct_articles_come_first_in_score_order(assistant):
    passages = search(assistant.searcher, "bridge", 6)
    articles = [p.article_id for p in passages]
    assert len(set(articles[: len(set(articles))])) == len(set(articles))
    assert [p.score for p in passages[: len(set(articles))]] == sorted(
        (p.score for p in passages[: len(set(articles))]), reverse=True
    )


def test_passages_are_windows_of_the_article_body_within_the_budget(assistant):
    bodies = article_bodies(assistant.settings)
    tokenizer = get_tokenizer()
    for question in ("When will the Old Mill Bridge reopen?", "glacier retreat measurements", "bridge"):
        first = search(assistant.searcher, question, 10)
        again = search(assistant.searcher, question, 10)
        assert first and [p.chunk_id for p in first] == [p.chunk_id for p in again]  # stable ids
        assert len({p.chunk_id for p in first}) == len(first)
        for p in first:
            assert p.text == bodies[p.article_id][p.start : p.end]
            assert tokenizer.count([p.text])[0] <= assistant.settings.window_tokens


def test_the_window_of_a_long_article_holds_the_event_asked_about_not_the_lead(tmp_path_factory):
    root = tmp_path_factory.mktemp("long")
    shutil.copytree(FIXTURES / "long", root / "articles")
    settings = Settings(data_dir=root / "qa-data")
    ingest([root / "articles"], settings)
    body = next(iter(article_bodies(settings).values()))
    event = body.index("On October 7 the board voted")
    assert get_tokenizer().count([body[:event]])[0] > settings.window_tokens  # the lead cannot reach it
    found = search(Searcher(settings), "When did the board vote to suspend the Gull Island ferry?", 3)
    assert found[0].start <= event < found[0].end and found[0].text == body[found[0].start : found[0].end]
    assert found[0].start > 0
