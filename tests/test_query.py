"""Question parsing without a model: outlets known to the index, date expressions, follow-up folding."""

from __future__ import annotations

import pytest

from qa.search.outlets import OutletMatcher
from qa.search.query import fold_history, history_need, parse_query
from qa.text.dates import NamedDates, parse_dates, parse_day
from qa.text.terms import STOP_WORDS, content_words

OUTLETS = [
    "TechCrunch",
    "The Verge",
    "The Age",
    "Fortune",
    "FOX News - Health",
    "FOX News - Lifestyle",
    "The Roar | Sports Writers Blog",
    "The Independent - Life and Style",
    "CBSSports.com",
]


def test_outlets_by_full_and_short_name():
    found = OutletMatcher(OUTLETS).find(
        "As reported by The Verge and techcrunch, and The Roar, and The Independent - Life and Style"
    )
    assert set(found) == {
        "The Verge",
        "TechCrunch",
        "The Roar | Sports Writers Blog",
        "The Independent - Life and Style",
    }


def test_longest_outlet_name_wins_and_a_short_name_names_every_section():
    assert OutletMatcher(OUTLETS).find("What did FOX News - Health say?") == ("FOX News - Health",)
    assert set(OutletMatcher(OUTLETS).find("What did FOX News say?")) == {"FOX News - Health", "FOX News - Lifestyle"}


def test_ordinary_words_are_not_outlets():
    assert OutletMatcher(OUTLETS).find("At the age of 30 she made a fortune on the verge of retiring") == ()
    assert OutletMatcher(OUTLETS).find("Fortune and The Age disagreed") == ("Fortune", "The Age")


@pytest.mark.parametrize(
    ("text", "days", "since", "until"),
    [
        ("What happened on October 7, 2023?", ("2023-10-07",), None, None),
        ("published after October 2023", (), "2023-11-01", None),
        ("reported since mid-November 2023", (), "2023-11-11", None),
        ("before 5 December 2023", (), None, "2023-12-04"),
        ("between October 1, 2023 and November 15, 2023", (), "2023-10-01", "2023-11-15"),
        ("in October 2023", (), "2023-10-01", "2023-10-31"),
        ("on 2023-12-24 and on December 25", ("2023-12-24", "2023-12-25"), None, None),
        ("May I ask what you may know?", (), None, None),
        ("The Mar-a-Lago dec ision", (), None, None),
    ],
)
def test_dates(text, days, since, until):
    assert parse_dates(text, 2023) == NamedDates(days, since, until)


def test_explicit_dates_and_their_errors():
    assert parse_day("October 2023", last=True) == "2023-10-31"
    assert parse_day("2023-10-07", last=False) == "2023-10-07"
    with pytest.raises(ValueError, match="Cannot read the date"):
        parse_day("yesterday", last=False)


def test_follow_up_keeps_its_own_outlet_and_leans_on_the_earlier_user_turn():
    history = [
        {"role": "user", "content": "Who was on trial for fraud, according to The Verge?"},
        {"role": "assistant", "content": "The Verge: “Sam Bankman-Fried ...” [1]"},
    ]
    query = parse_query("And what did TechCrunch say about him?", outlets=OUTLETS, history=history)
    assert query.outlets == ("TechCrunch",)
    assert query.context_outlets == ("The Verge",)
    assert query.text.startswith("And what did TechCrunch say about Sam Bankman-Fried?")  # "him", from the answer
    assert "trial for fraud" in query.text
    assert fold_history("new", [{"role": "assistant", "content": "x"}]) == ""
    assert fold_history("q", None) == ""


def test_content_words_drop_stop_words():
    words = content_words("What did the Verge say about the trial?")
    assert words == ["verge", "trial"]
    assert "what" in STOP_WORDS


@pytest.mark.parametrize(
    ("question", "need"),
    [
        ("Did he come back as CEO?", "depends"),  # a pronoun with nothing before it to refer to
        ("How did TechCrunch cover this?", "depends"),  # an outlet alone
        ("And what about The Verge?", "depends"),  # a connective
        ("What about October?", "depends"),  # a time alone
        ("Did the FTC sue Amazon?", "alone"),
        ("Who won the World Series this year?", "alone"),  # "this year" refers to no earlier turn
        ("Which company is accused by The Verge of ranking its own ads first?", "maybe"),  # "its": the company
    ],
)
def test_whether_a_question_depends_on_the_conversation(question, need):
    assert history_need(question, OutletMatcher(OUTLETS).find(question)) == need


def test_a_self_contained_question_ignores_the_history():
    history = [{"role": "user", "content": "Who was on trial for fraud, according to The Verge?"}]
    after = parse_query("Did the FTC sue Amazon?", outlets=OUTLETS, history=history)
    assert after == parse_query("Did the FTC sue Amazon?", outlets=OUTLETS)


def test_a_chain_of_follow_ups_keeps_the_original_topic():
    history = [
        {"role": "user", "content": "Who was on trial for fraud, according to The Verge?"},
        {"role": "user", "content": "And TechCrunch?"},
    ]
    query = parse_query("What about Fortune?", outlets=OUTLETS, history=history)
    assert "trial for fraud" in query.context and "TechCrunch" in query.context
