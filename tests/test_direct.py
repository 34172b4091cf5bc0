"""The answer a person reads, on fixture stories: the direct answer first (name, number, date, yes/no or a
claim with its claimant), stories that change over time, follow-ups and topic switches, no sentence twice."""

from __future__ import annotations

import json
import shutil

import pytest
from corpora import FIXTURES

from ingest.index import ingest
from qa.answer.assistant import Assistant
from qa.answer.claims import HEDGED, REPORTED, stance
from qa.answer.compose import compose
from qa.core.settings import Settings
from qa.core.types import Passage
from qa.serve.ui.render import answer_message
from qa.text.display import outlet_display, source_label

STORIES = FIXTURES / "answers"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    root = tmp_path_factory.mktemp("direct")
    shutil.copytree(STORIES, root / "articles")
    settings = Settings(data_dir=root / "qa-data")
    ingest([root / "articles"], settings)
    return Assistant(settings)


def cited(answer, n: int):
    return answer.citations[n - 1]


def test_verdict_question_is_answered_yes_citing_the_verdict(assistant):
    answer = assistant.ask("Was Dana Reyes convicted?")
    assert answer.direct is not None and answer.direct.kind == "yes" and answer.direct.text == "Yes"
    sentence = cited(answer, answer.direct.citations[0]).sentence
    assert "found Dana Reyes guilty on all seven counts" in sentence
    assert answer.text.splitlines()[0] == f"Yes [{answer.direct.citations[0]}]"
    decided = assistant.ask("What did the jury decide in the Dana Reyes trial?")
    assert "guilty on all seven counts" in decided.citations[0].sentence  # the outcome leads, not the trial's start


def test_a_conditional_sentence_is_never_a_yes(assistant):
    assert stance("Ellis could face up to 20 years in prison if convicted of bribery.").kind == HEDGED
    answer = assistant.ask("Was Mark Ellis convicted of bribery?")
    assert answer.direct is None or answer.direct.kind not in ("yes", "no")


def test_a_name_only_a_later_article_gives(assistant):
    answer = assistant.ask("Who became the new chief executive of Lumen Labs?")
    assert answer.direct is not None and (answer.direct.kind, answer.direct.text) == ("name", "Priya Raman")
    source = cited(answer, answer.direct.citations[0])
    assert source.passage.source == "Tech Ledger" and "Priya Raman" in source.sentence
    assert answer.to_json()["direct"] == {"text": "Priya Raman", "kind": "name", "citations": [source.n]}


def test_a_reported_accusation_is_a_claim_naming_claimant_and_outlet(assistant):
    answer = assistant.ask("Is the Green Valley militia planning attacks on power stations?")
    assert answer.direct is not None and answer.direct.kind == "claim"
    assert "Interior Ministry" in answer.direct.text and "as reported by Capital Radio" in answer.direct.text
    source = cited(answer, answer.direct.citations[0])
    assert source.passage.source == "Capital Radio | News Around The Clock"  # the stored name is kept
    assert stance(source.sentence).kind == REPORTED
    assert "| News Around The Clock" not in answer.text  # shown cleaned


def test_fired_then_rehired_leads_with_the_later_state_and_both_dates(assistant):
    answer = assistant.ask("Did Tom Becker return as chief executive of Orbis Robotics?")
    assert answer.direct is not None and answer.direct.text == "Yes"
    assert cited(answer, answer.direct.citations[0]).passage.published.startswith("2023-11-22")
    quotes = [line for line in answer.text.splitlines() if "“" in line]
    assert quotes[0].startswith("Tech Ledger, Nov 22, 2023: “")
    assert any(line.startswith("Valley Wire, Nov 17, 2023: “") for line in quotes[1:])


def test_a_follow_up_still_reads_the_earlier_turn(assistant):
    first = assistant.ask("Who became the new chief executive of Lumen Labs?")
    history = [{"role": "user", "content": first.question}, {"role": "assistant", "content": first.text}]
    follow = assistant.ask("What did Valley Wire say?", history=history)
    assert not follow.abstained
    assert follow.citations[0].passage.source == "Valley Wire" and "Lumen Labs" in follow.citations[0].sentence


def test_a_self_contained_question_after_an_unrelated_one_is_answered_as_if_alone(assistant):
    first = assistant.ask("Who became the new chief executive of Lumen Labs?")
    history = [{"role": "user", "content": first.question}, {"role": "assistant", "content": first.text}]
    for question in ("When will the Harlow dam be demolished?", "Was Dana Reyes convicted?"):
        after, alone = assistant.ask(question, history=history), assistant.ask(question)
        assert [p.chunk_id for p in after.passages] == [p.chunk_id for p in alone.passages]
        assert (after.text, after.direct) == (alone.text, alone.direct)


def test_a_sentence_two_articles_share_is_quoted_once(assistant):
    answer = assistant.ask("When will the Harlow dam be demolished?")
    assert answer.direct is not None and answer.direct.kind == "date" and answer.direct.text == "next spring"
    sentences = [c.sentence for c in answer.citations]
    assert sum("will be demolished next spring" in s for s in sentences) == 1
    assert len(set(sentences)) == len(sentences)


def test_seed_article_questions_are_answered_and_off_topic_ones_abstain(tmp_path):
    """The default corpus/ (one article): natural questions about it get a cited answer, unrelated ones none."""
    settings = Settings(data_dir=tmp_path / "qa-data")
    ingest([FIXTURES.parents[1] / "corpus"], settings)
    questions = json.loads((FIXTURES / "seed" / "questions.json").read_text())
    seed = Assistant(settings)
    answered = [q for q in questions["about_the_seed_article"] if seed.ask(q).citations]
    assert len(answered) >= 0.9 * len(questions["about_the_seed_article"]), answered
    assert not [q for q in questions["off_topic"] if not seed.ask(q).abstained]
    claim = seed.ask("Are the White Helmets planning chemical attacks in Syria?").direct
    assert claim is not None and claim.kind == "claim" and "Radio Habana Cuba" in claim.text


def test_outlet_names_are_cleaned_for_display_only():
    assert outlet_display("Cnbc | World Business News Leader") == "CNBC"
    assert outlet_display("FOX News - Health") == "FOX News - Health"  # a section, not a tagline
    assert outlet_display("Live Science: The Most Interesting Articles") == "Live Science"
    assert source_label("The Verge", "2023-11-17T08:45:59Z") == "The Verge, Nov 17, 2023"


def test_the_chat_shows_the_direct_answer_first_in_bold_with_its_citation():
    body = "A jury found Dana Reyes guilty on all counts."
    feed = "Cnbc | World Business News Leader"
    passage = Passage("c1", "a1", body, 0, len(body), source=feed, published="2023-11-02")
    answer = compose("Was Dana Reyes convicted?", [passage], max_sentences=3, evidence_score=1.0, threshold=0.5)
    assert answer.direct is not None and answer.direct.text == "Yes"
    html = answer_message(answer, 0)
    first = html.splitlines()[0]
    assert first.startswith('<strong class="qa-direct">Yes') and 'href="#qa-t0-src-1"' in first
    assert html.splitlines()[1].startswith("CNBC, Nov 2, 2023&#58; “A jury")
