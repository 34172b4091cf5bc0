"""Extractive answers on the fixture corpus: right article, exact offsets, verbatim quotes, abstention, follow-ups."""

from __future__ import annotations

import re

import pytest
from corpora import article_bodies, build_extended_corpus

from qa.answer.assistant import Assistant
from qa.answer.compose import compose
from qa.answer.entity import answer_entity
from qa.core.types import NOT_FOUND, Passage

QUOTE = re.compile(r"“(.+?)” \[(\d+)\]")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    settings = build_extended_corpus(tmp_path_factory.mktemp("answers"))
    return Assistant(settings), article_bodies(settings)


def check_citations(answer, bodies: dict[str, str]) -> None:
    """Every quoted sentence is verbatim in its cited excerpt, and the offsets point at it in the article."""
    quotes = QUOTE.findall(answer.text)
    assert quotes and len(quotes) == len(answer.citations)
    for sentence, n in quotes:
        citation = answer.citations[int(n) - 1]
        assert citation.n == int(n) and citation.sentence == sentence
        assert sentence in citation.passage.text
        body = bodies[citation.passage.article_id]
        assert body[citation.start : citation.end] == sentence
        assert body[citation.passage.start : citation.passage.end] == citation.passage.text
        lo, hi = citation.to_json()["highlight"]
        assert citation.passage.text[lo:hi] == sentence


def test_answer_quotes_the_right_article_with_exact_offsets(corpus):
    assistant, bodies = corpus
    answer = assistant.ask("How much did the Rhona glacier shrink since 2013?")
    assert not answer.abstained
    assert answer.citations[0].passage.article_id == "sci-001"
    assert "20 percent" in answer.text
    check_citations(answer, bodies)
    assert answer.text.splitlines()[-1].startswith("Science Weekly, Oct 12, 2023: “")  # outlet and date lead a quote


def test_comparison_quotes_both_outlets(corpus):
    assistant, bodies = corpus
    answer = assistant.ask("What did the Harbor City Gazette and Coastal Daily report about the Old Mill Bridge?")
    assert not answer.abstained
    assert {"Harbor City Gazette", "Coastal Daily"} <= {c.passage.source for c in answer.citations}
    check_citations(answer, bodies)


def test_off_topic_question_abstains_and_shows_the_nearest_excerpts(corpus):
    assistant, _ = corpus
    answer = assistant.ask("What is the best recipe for sourdough bread with rye flour?")
    assert answer.abstained
    assert answer.text == NOT_FOUND and answer.citations == ()
    assert answer.passages  # nearest excerpts, labelled as such by the renderers
    data = answer.to_json()
    assert data["abstained"] is True and data["citations"] == [] and data["passages"]


def test_follow_up_retrieves_about_the_earlier_subject_from_the_outlet_it_names(corpus):
    assistant, bodies = corpus
    history = [
        {"role": "user", "content": "Why was the Old Mill Bridge closed to trucks?"},
        {"role": "assistant", "content": "Harbor City Gazette: “...” [1]"},
    ]
    follow = assistant.ask("And what did Coastal Daily say about it?", history=history)
    assert not follow.abstained
    top = follow.passages[0]
    assert top.source == "Coastal Daily" and "Bridge" in top.title  # not Coastal Daily's festival story
    check_citations(follow, bodies)


def test_follow_up_without_an_outlet_resolves_the_pronoun(corpus):
    assistant, _ = corpus
    history = [{"role": "user", "content": "How many e-bikes is Nimbus recalling?"}]
    answer = assistant.ask("Who runs the company, and what did she say?", history=history)
    assert answer.passages[0].article_id == "tech-001"
    assert not answer.abstained and answer.citations[0].passage.article_id == "tech-001"


def make_passage(article: str, text: str, source: str = "Outlet") -> Passage:
    return Passage(f"{article}-0", article, text, 0, len(text), source=source, title=article, score=1.0)


def test_the_name_the_articles_share_is_spelled_out_first():
    passages = [
        make_passage("a", "Sam Bankman-Fried went on trial on Tuesday. The jury was chosen quickly."),
        make_passage("b", "Prosecutors said Bankman-Fried took customer money. If true, it is fraud."),
        make_passage("c", "FTX collapsed last year. Bankman-Fried denies wrongdoing."),
    ]
    question = "Who is the crypto founder on trial for fraud?"
    assert answer_entity(question, passages) == "Sam Bankman-Fried"
    answer = compose(question, passages, max_sentences=2, evidence_score=1.0, threshold=0.5)
    assert answer.citations[0].sentence == "Sam Bankman-Fried went on trial on Tuesday."
    assert answer_entity("Did the founder go on trial?", passages) == ""


def test_a_cross_reference_line_is_never_quoted():
    passages = [
        make_passage("a", "MORE: How Joshua Dobbs won the starting job in Minnesota. The Vikings host the Saints."),
        make_passage("b", "READ MORE: Dobbs starts at quarterback on Sunday. Coaches praised his week."),
        make_passage("c", "Joshua Dobbs will start at quarterback for Minnesota, the coach said on Friday."),
    ]
    answer = compose(
        "Who starts at quarterback for Minnesota?", passages, max_sentences=3, evidence_score=1, threshold=0
    )
    quoted = [c.sentence for c in answer.citations]
    assert quoted and not any(q.startswith(("MORE:", "READ MORE:")) for q in quoted), quoted
    assert quoted[0].startswith("Joshua Dobbs will start")


def test_weak_evidence_abstains_in_compose():
    passages = [make_passage("a", "Nothing relevant here.")]
    answer = compose("Who won?", passages, max_sentences=2, evidence_score=0.1, threshold=0.5)
    assert answer.abstained and answer.passages == tuple(passages)
