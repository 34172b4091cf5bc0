"""Issue 19's examples, on fixture stories of the same shapes with other names: the direct answer is of the kind
the question asks for and right, or it is absent. Never a name the question already says, a fragment of another
number or date, a rival for a winner, a "No" read from a negation word, or an unresolved relative date."""

from __future__ import annotations

import re
import shutil

import pytest
from corpora import FIXTURES

from ingest.index import ingest
from qa.answer.assistant import Assistant
from qa.core.settings import Settings

STORIES = FIXTURES / "typed"
SPANS = ("name", "number", "date")  # a span of a sentence: never the answer to a what-for / who-is / what-changed


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    root = tmp_path_factory.mktemp("typed")
    shutil.copytree(STORIES, root / "articles")
    settings = Settings(data_dir=root / "qa-data")
    ingest([root / "articles"], settings)
    return Assistant(settings)


def shown(answer) -> str:
    """What went wrong, in the assertion message: the direct answer and the quotes."""
    quotes = [f"[{c.n}] {c.passage.source}: {c.sentence}" for c in answer.citations]
    return f"direct={answer.direct!r} abstained={answer.abstained} quotes={quotes}"


def direct_sentences(answer) -> list[str]:
    """The sentences the direct answer cites."""
    by_n = {c.n: c.sentence for c in answer.citations}
    return [by_n[n] for n in answer.direct.citations]


def test_the_ceo_is_the_person_the_appositive_names_never_a_place(assistant):
    answer = assistant.ask("Who is the CEO of Harrowgate Interactive?")
    direct = answer.direct
    assert direct is None or (direct.kind == "name" and "Venter" in direct.text), shown(answer)
    if direct is not None:
        assert all("Milo Venter" in s for s in direct_sentences(answer)), shown(answer)


def test_who_is_a_person_asks_for_a_description_not_a_name(assistant):
    answer = assistant.ask("Who is Anton Belsky?")
    direct = answer.direct
    assert direct is None or (direct.kind not in SPANS and "U.S" not in direct.text), shown(answer)
    assert answer.citations and "Belsky" in answer.citations[0].sentence, shown(answer)


def test_which_regulator_is_never_the_owner_the_question_names(assistant):
    answer = assistant.ask("Which regulator opened a probe into Dalton Reeve's Quiver?")
    direct = answer.direct
    assert direct is None or not re.search(r"Reeve|Dalton|Quiver", direct.text), shown(answer)
    if direct is not None:  # the regulator, if anything
        assert "Digital Markets Authority" in direct.text, shown(answer)


def test_what_for_is_answered_by_quotes_not_a_name(assistant):
    answer = assistant.ask("What is the Digital Markets Authority investigating Quiver for?")
    assert answer.direct is None or answer.direct.kind not in SPANS, shown(answer)


def test_how_many_laid_off_is_the_count_not_the_day_of_a_date(assistant):
    answer = assistant.ask("How many media workers were laid off in 2023?")
    direct = answer.direct
    assert direct is None or "21,000" in direct.text, shown(answer)


def test_an_uploaded_article_gives_the_cost_and_the_names_of_the_ferries(assistant):
    cost = assistant.ask("How much did the Brenhaven electric ferry cost?")
    assert cost.direct is not None and "38 million" in cost.direct.text, shown(cost)
    assert all("38 million euros" in s for s in direct_sentences(cost)), shown(cost)
    called = assistant.ask("What are the ferries called?")
    assert called.direct is None or not re.search(r"Lindqvist|Sofia|Mayor", called.direct.text), shown(called)


def test_a_denial_inside_a_sentence_does_not_make_a_no(assistant):
    answer = assistant.ask("Is Declan Mayhew still committed to coaching the Ironbarks?")
    direct = answer.direct
    assert direct is None or (direct.kind == "yes" and direct.text == "Yes"), shown(answer)
    if direct is not None:
        assert any("committed to staying in the job" in s for s in direct_sentences(answer)), shown(answer)


def test_a_yes_cites_the_return_asked_about_not_another_persons_return(assistant):
    answer = assistant.ask("Did Lena Whitcombe return to Corvid Systems?")
    direct = answer.direct
    assert direct is None or direct.kind == "yes", shown(answer)
    if direct is not None:
        sentences = direct_sentences(answer)
        assert not any("Harlan Frost" in s or "August 2022" in s for s in sentences), shown(answer)
        assert any("Whitcombe returned to Corvid Systems" in s for s in sentences), shown(answer)


def test_a_relative_date_is_resolved_against_the_publication_date(assistant):
    answer = assistant.ask("When was Jonah Pryce found guilty?")
    direct = answer.direct
    assert direct is None or "November 2023" in direct.text, shown(answer)
    if direct is not None:
        assert direct.text.strip().lower() != "this month", shown(answer)
        assert "March 28" not in direct.text, shown(answer)  # the sentencing date, not the verdict's


def test_a_weekday_with_a_time_of_day_is_resolved_too(assistant):
    """"late Friday" in a Saturday article is Friday, November 17, 2023, not a bare "late Friday"."""
    answer = assistant.ask("When did Brightfold fire Mara Quillon?")
    assert answer.direct is not None and "November 17, 2023" in answer.direct.text, shown(answer)


def test_the_day_a_repair_was_cancelled_is_not_when_work_starts(assistant):
    answer = assistant.ask("When will work on the Tollard Bridge start?")
    direct = answer.direct
    assert direct is None or not re.search(r"Friday|November 17", direct.text), shown(answer)  # the cancellation day


def test_what_changed_in_a_case_is_not_answered_with_a_name(assistant):
    answer = assistant.ask("What changed in the Harrowgate v. Quillon case between November and December?")
    direct = answer.direct
    assert direct is None or direct.kind not in SPANS, shown(answer)
    assert direct is None or "Brightwell" not in direct.text, shown(answer)


@pytest.mark.parametrize("outlets", [(), ("The Scrum Line",)])
def test_the_winner_of_a_final_is_the_team_that_beat_the_other(assistant, outlets):
    answer = assistant.ask("Who won the Meridian Cup final?", outlets=list(outlets) or None)
    direct = answer.direct
    assert direct is None or ("Thunderhawks" in direct.text and "Riverkings" not in direct.text), shown(answer)
    assert any("beat the Riverkings 12-11" in c.sentence for c in answer.citations), shown(answer)  # the fact is quoted
    if outlets:
        assert all(c.passage.source == "The Scrum Line" for c in answer.citations), shown(answer)


def test_a_number_written_as_a_word_answers_how_many(assistant):
    answer = assistant.ask("How many counts was Greta Lindahl convicted on?")
    direct = answer.direct
    assert direct is not None and re.search(r"\b(?:seven|7)\b", direct.text, re.IGNORECASE), shown(answer)
    assert not re.search(r"\b(?:two|2|52)\b", direct.text), shown(answer)


def test_a_short_article_quotes_the_sentence_that_holds_the_asked_number_first(assistant):
    answer = assistant.ask("How much did the Ashcombe library renovation cost?")
    assert answer.citations and "4.2 million pounds" in answer.citations[0].sentence, shown(answer)
    assert answer.direct is None or "4.2 million" in answer.direct.text, shown(answer)


def test_an_on_topic_question_the_articles_cannot_answer_gets_no_direct_answer(assistant):
    answer = assistant.ask("How much did Orvell Foods pay for Bramble Dairy?")
    assert answer.abstained or answer.direct is None, shown(answer)


def test_who_lured_a_coach_away_is_her_new_employer_not_her_old_club(assistant):
    answer = assistant.ask("Who lured Mara Ekwueme away from Castleford Ladies?")
    direct = answer.direct
    assert direct is None or "New Zealand" in direct.text, shown(answer)
    fact = "New Zealand women's national team"
    if answer.abstained:  # no sentence says "lured": not found, with the article that holds the fact nearest
        assert answer.notice and any(fact in p.text for p in answer.passages[:2]), shown(answer)
    else:
        assert any(fact in c.sentence for c in answer.citations), shown(answer)


@pytest.mark.parametrize("outlets", [(), ("Ledger Street",)])
def test_a_plea_of_not_guilty_is_no_verdict(assistant, outlets):
    answer = assistant.ask("Was Tobias Renwick convicted?", outlets=list(outlets) or None)
    direct = answer.direct
    assert direct is None or direct.kind not in ("yes", "no"), shown(answer)  # a plea, a charge, a denial: no verdict


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("Was Odile Marchetti convicted?", "was convicted on Thursday"),  # beside the plea in the same sentence
        ("Was Greta Lindahl convicted?", "guilty on seven counts"),
    ],
)
def test_a_sentence_stating_the_verdict_still_answers_yes(assistant, question, fact):
    answer = assistant.ask(question)
    direct = answer.direct
    assert direct is not None and direct.kind == "yes", shown(answer)
    assert any(fact in s for s in direct_sentences(answer)), shown(answer)


def test_a_sentence_that_only_names_a_place_does_not_lead_when_another_says_what_is_asked(assistant):
    # "pays" and "paid" are one verb (the stemmer keeps them apart); the council's vote names the lighthouse every
    # article names but says nothing of who pays
    answer = assistant.ask("who pays for the lighthouse repairs")
    assert answer.citations and "paid by the builder" in answer.citations[0].sentence, shown(answer)


def test_who_reported_it_is_not_who_did_it_unless_asked(assistant):
    paid = assistant.ask("who paid for the library roof repair in Ashby")
    assert paid.direct is None or "Solberg" not in paid.direct.text, shown(paid)
    said = assistant.ask("who said the county paid for the Ashby library roof repair")
    assert said.direct is not None and "Maren Solberg" in said.direct.text, shown(said)


def test_a_yes_no_is_not_read_from_a_sentence_where_someone_else_did_it(assistant):
    # "..., which Halvard Shipping won" holds every word of the question but another winner
    other = assistant.ask("Did Nordmark Ports win the arbitration against Halvard Shipping?")
    assert other.direct is None or other.direct.kind != "yes", shown(other)
    same = assistant.ask("Did Halvard Shipping win the arbitration against Nordmark Ports?")
    assert same.direct is not None and same.direct.kind == "yes", shown(same)


def test_a_number_joined_to_another_noun_does_not_count_the_asked_unit(assistant):
    answer = assistant.ask("By how many points was Wexmoor Rovers' 12-point league penalty reduced on appeal?")
    assert answer.direct is None or "five" not in answer.direct.text, shown(answer)


def test_an_attempt_states_nothing_of_its_outcome(assistant):
    # "tried to bring back X, but ... X would not return": no yes from the attempt
    answer = assistant.ask("Did Kestrel Robotics bring back Mira Olsen?")
    assert answer.direct is None or answer.direct.kind != "yes", shown(answer)
