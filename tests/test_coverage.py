"""Checked claims across outlets (issue 20): a coverage question split into claims, each checked against the articles
of the outlet (and date) it names, and a direct yes/no only when the checks decide it."""

from __future__ import annotations

import pytest
from corpora import FIXTURES, index_fixtures

from qa.answer.assistant import Assistant
from qa.answer.check import contradiction
from qa.eval_answers import gold_polarity
from qa.text.coverage import Claim, Form, split_claims

COVERAGE = FIXTURES / "coverage"
OUTLETS = ("Harbour Herald", "Valley Wire", "Tech Daily", "Metro Ledger", "The Roar | Sports Writers Blog")


# the splitter: pure, on wordings written here (not the dev questions)


def test_while_splits_two_claims_each_with_its_outlet():
    cov = split_claims(
        "Does the Harbour Herald article suggest that the mayor resigned, while the Metro Ledger reports that "
        "the council approved the budget?",
        ("Harbour Herald", "Metro Ledger"),
    )
    assert cov.form == Form.ALL
    assert cov.claims == (
        Claim("mayor resigned", "Harbour Herald"),
        Claim("council approved budget", "Metro Ledger"),
    )


def test_both_gives_the_one_claim_to_each_outlet():
    cov = split_claims("Did both Valley Wire and Tech Daily report that Epic won?", ("Valley Wire", "Tech Daily"))
    assert cov.form == Form.ALL
    assert [(c.text, c.outlet) for c in cov.claims] == [("Epic won", "Valley Wire"), ("Epic won", "Tech Daily")]


def test_before_orders_two_reports_and_keeps_short_names():
    cov = split_claims(
        "Did The Roar report the trade before Tech Daily reported the injury?",
        ("The Roar | Sports Writers Blog", "Tech Daily"),
    )
    assert cov.form == Form.BEFORE
    assert [(c.text, c.outlet) for c in cov.claims] == [
        ("trade", "The Roar | Sports Writers Blog"),
        ("injury", "Tech Daily"),
    ]


def test_after_as_the_connective_is_an_order_but_as_an_opening_it_is_context():
    cov = split_claims("Was the Tech Daily review published after Valley Wire covered the launch?", OUTLETS)
    assert cov.form == Form.AFTER
    opening = split_claims("After Valley Wire covered the launch, did Tech Daily report the recall?", OUTLETS)
    assert opening.form == Form.ALL


def test_consistent_between_two_dated_reports_of_one_outlet():
    cov = split_claims(
        "Was the reporting on the ferry timetable consistent between the Harbour Herald report on April 2, 2024 "
        "and the Harbour Herald report on June 3, 2024?",
        OUTLETS,
    )
    assert cov.form == Form.CONSISTENT
    assert [(c.outlet, c.date) for c in cov.claims] == [
        ("Harbour Herald", "2024-04-02"),
        ("Harbour Herald", "2024-06-03"),
    ]


def test_a_change_question_and_its_negation():
    asked = "Has the coverage of the strike by Metro Ledger changed between 2024-01-05 and 2024-02-07?"
    cov = split_claims(asked, OUTLETS)
    assert cov.form == Form.CHANGED and [c.date for c in cov.claims] == ["2024-01-05", "2024-02-07"]
    negated = split_claims(
        "Was there no change in how Valley Wire and Tech Daily described the merger between their reports?", OUTLETS
    )
    assert negated.form == Form.CONSISTENT and negated.negated


def test_which_outlet_and_questions_that_are_not_about_coverage():
    assert split_claims("Which outlet reported that the mayor resigned?", ()).form == Form.WHICH  # names none
    assert split_claims("Did the mayor resign?", OUTLETS) is None  # no outlet named
    assert split_claims("What did Tech Daily say about the phone?", ("Tech Daily",)) is None  # not yes/no


# the checker: negation in scope, numbers beside the same word


def test_contradiction_reads_negation_scope_and_numbers_by_what_they_count():
    assert contradiction("the stadium will reopen in March", "The stadium will not reopen in March.")
    assert contradiction("the stadium will not reopen in March", "The stadium will reopen in March.")
    assert not contradiction("the stadium will reopen in March", "It will reopen in March, not in May.")
    assert contradiction("Gemini was compared to GPT-2", "Gemini was compared to GPT-3.5.")
    assert contradiction("the ferry runs every 20 minutes", "The ferry runs every 40 minutes.")
    assert not contradiction("the boxer's 16th win", "The boxer (15-0, 12 KOs) won again.")  # a record, an ordinal
    assert contradiction("the Bears' offense sacked the quarterback", "The Bears' defense sacked him twice.")
    assert contradiction("the company won the case", "The company lost the case on Friday.")


def test_contractions_are_negators_and_a_denial_outrun_by_its_scope_is_no_plain_statement():
    assert contradiction("the players will be available for the final", "They won’t be available for the final.")
    assert contradiction("Epic won the case against Google", "Epic didn't win the case against Google.")
    # both deny: the sentence's "nor" is more than five words before "beyond", still no plain statement of it
    assert not contradiction(
        "the show has not expanded beyond its core audience",
        "Nor had any attempts at all been made to branch out beyond its core audience.",
    )
    # a negator in a condition or a concession qualifies the statement, it does not deny it
    assert not contradiction(
        "a gift card is useful for any gamer", "A gift card is useful if you don't know the console."
    )
    assert not contradiction(
        "the 49ers were strong despite McCaffrey not scoring", "McCaffrey scored and the 49ers won."
    )
    assert contradiction("the 49ers were not strong on offense", "The 49ers were strong on offense, despite injuries.")
    # a short lead-in before a colon is the sentence's label, not its statement
    assert not contradiction("Sonos won against Google", "Not Sonos fast there: Sonos scored a win against Google.")
    # "whether X" asks; it states neither X nor its negation
    assert not contradiction(
        "whether the striker should have been sent off", "The striker was lucky not to be sent off."
    )


def test_names_swapped_around_one_verb_contradict_and_around_the_opposite_verb_restate():
    assert contradiction("Epic won against Google", "Google won against Epic in the end.")
    assert contradiction("the Chiefs defeated the Packers", "The Packers defeated the Chiefs 27-19.")
    assert contradiction("Microsoft sold the unit to Google", "Google sold the unit to Microsoft on Friday.")
    assert not contradiction("Epic won against Google", "Google lost to Epic.")
    assert not contradiction("the Chiefs defeated the Packers", "The Packers were defeated by the Chiefs.")
    assert not contradiction("Epic won against Google", "Epic won against Google and Apple.")
    assert not contradiction("Epic won against Google", "It won against them.")  # no names to compare


def test_a_rounded_amount_is_the_same_number_and_a_choice_is_no_yes_no_question():
    assert not contradiction("Google paid $26 billion in 2021", "Google spent $26.3 billion in 2021 on it.")
    assert contradiction("Google paid $26 billion in 2021", "Google spent $32 billion in 2021 on it.")
    choice = "Does the Harbour Herald article say the stadium reopens in March, or does it say it stays shut?"
    assert split_claims(choice, ("Harbour Herald",)) is None


def test_gold_answers_read_as_yes_or_no():
    assert [gold_polarity(g) for g in ("Yes", "no", "Consistent", "Agree", "Similar", "Inconsistent", "Before")] == [
        "yes",
        "no",
        "yes",
        "yes",
        "yes",
        "no",
        "before",
    ]


# the whole answer, on fixture articles


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    helper = Assistant(index_fixtures(COVERAGE, tmp_path_factory.mktemp("coverage")))
    yield helper
    helper.close()


def _decided(answer, kind: str) -> None:
    """The checks decided a direct answer of ``kind`` (yes, no)."""
    assert answer.direct is not None and answer.direct.kind == kind, (answer.direct, answer.claims)


def _verdicts(answer) -> list[tuple[str, str]]:
    return [(c.outlet, c.verdict) for c in answer.claims]


def _quoted(answer, claim) -> str:
    return next(c for c in answer.citations if c.n == claim.citation).passage.source


def test_two_outlets_agreeing_is_yes_with_each_quote_cited(assistant):
    answer = assistant.ask(
        "Did both Harbour Herald and Valley Wire report that Brightwater Dynamics won its patent lawsuit against "
        "Corvid Systems?"
    )
    _decided(answer, "yes")
    assert _verdicts(answer) == [("Harbour Herald", "supported"), ("Valley Wire", "supported")]
    assert all(_quoted(answer, c) == c.outlet for c in answer.claims)
    assert {c.citation for c in answer.claims} <= set(answer.direct.citations)


def test_an_outlet_saying_the_opposite_is_no(assistant):
    answer = assistant.ask(
        "Does the Harbour Herald article say that the Lindqvist stadium will reopen in March after its roof "
        "repairs, while the Metro Ledger article reports that the Lindqvist stadium will reopen in March?"
    )
    assert _verdicts(answer) == [("Harbour Herald", "supported"), ("Metro Ledger", "contradicted")]
    _decided(answer, "no")
    assert "not reopen" in next(c for c in answer.citations if c.n == answer.claims[1].citation).sentence


def test_a_report_with_the_winner_and_the_loser_swapped_is_no_and_the_loser_losing_is_yes(assistant):
    swapped = assistant.ask(
        "Did Valley Wire report that Corvid Systems won its patent lawsuit against Brightwater Dynamics?"
    )
    assert _verdicts(swapped) == [("Valley Wire", "contradicted")]
    assert "swaps who did 'win'" in swapped.claims[0].reason
    _decided(swapped, "no")
    restated = assistant.ask(
        "Did both Harbour Herald and Valley Wire report that Corvid Systems lost its patent lawsuit against "
        "Brightwater Dynamics?"
    )
    assert _verdicts(restated) == [("Harbour Herald", "supported"), ("Valley Wire", "supported")]
    _decided(restated, "yes")
    # the plain yes/no question: the swapped report states nothing about the asked statement
    plain = assistant.ask("Did Corvid Systems win its patent lawsuit against Brightwater Dynamics?")
    assert plain.direct is None or plain.direct.kind != "yes"
    assert assistant.ask("Did Brightwater Dynamics win its patent lawsuit against Corvid Systems?").direct.kind == "yes"


def test_an_outlet_that_did_not_cover_it_gives_no_direct_answer(assistant):
    answer = assistant.ask(
        "Did both Harbour Herald and Metro Ledger report that Brightwater Dynamics won its patent lawsuit against "
        "Corvid Systems?"
    )
    assert _verdicts(answer) == [("Harbour Herald", "supported"), ("Metro Ledger", "not_found")]
    assert answer.direct is None


def test_before_and_after_are_decided_by_the_dates_of_the_matched_articles(assistant):
    before = assistant.ask(
        "Did Valley Wire report that Brightwater Dynamics won its patent lawsuit against Corvid Systems before "
        "Tech Daily reported that Corvid Systems filed an appeal against the patent verdict?"
    )
    _decided(before, "yes")
    assert [c.date for c in before.claims] == ["2024-05-03", "2024-05-20"]
    assert "2024-05-03" in before.direct.text and "2024-05-20" in before.direct.text
    reversed_ = assistant.ask(
        "Did Tech Daily report that Corvid Systems filed an appeal against the patent verdict before Valley Wire "
        "reported that Brightwater Dynamics won its patent lawsuit against Corvid Systems?"
    )
    _decided(reversed_, "no")


def test_consistent_and_changed_reports_of_one_story_at_two_dates(assistant):
    same = assistant.ask(
        "Was the reporting on the Pell river ferry fare consistent between the Metro Ledger report on "
        "April 1, 2024 and the Metro Ledger report on June 1, 2024?"
    )
    _decided(same, "yes")
    assert [c.date for c in same.claims] == ["2024-04-01", "2024-06-01"]
    changed = assistant.ask(
        "Was the reporting on the Pell river ferry timetable consistent between the Harbour Herald report on "
        "April 2, 2024 and the Harbour Herald report on June 3, 2024?"
    )
    _decided(changed, "no")
    assert [c.date for c in changed.claims] == ["2024-04-02", "2024-06-03"]
