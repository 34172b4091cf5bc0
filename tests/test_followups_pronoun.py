"""Follow-ups with he/she: the pronoun stands for the person the conversation is about (named in the last
self-contained question, or given by its answer), and the sentences about that person are quoted."""

from __future__ import annotations

import pytest
from corpora import FIXTURES, index_fixtures

from qa.answer.assistant import Assistant
from qa.search.query import parse_query

ASKED = "Who won the Laurel Prize?"
ABOUT_HER = "Quinlan told reporters that the United States should fund more research vessels"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    assistant = Assistant(index_fixtures(FIXTURES / "pronoun", tmp_path_factory.mktemp("pronoun")))
    yield assistant
    assistant.close()


def test_she_is_the_person_the_earlier_answer_named(assistant):
    first = assistant.ask(ASKED)
    assert first.text.startswith("Ada Quinlan")
    history = [{"role": "user", "content": ASKED}, {"role": "assistant", "content": first.text}]
    follow = assistant.ask("What did she say about the United States?", history=history)
    assert follow.question == "What did she say about the United States?"
    assert follow.citations[0].sentence.startswith(ABOUT_HER)  # not the envoy's sentence on the United States
    assert "Read as: “What did Ada Quinlan say about the United States?”" in follow.notice  # the guess is shown


def test_he_is_the_person_the_earlier_question_named():
    history = [{"role": "user", "content": "Who is Tobias Wren?"}, {"role": "assistant", "content": "A sailmaker."}]
    assert parse_query("And what did he build?", history=history).resolved == "And what did Tobias Wren build?"


def test_the_pronoun_is_spelled_out_only_when_it_has_no_referent():
    answered = "Ada Quinlan [1]\nGazette: “…” [1]"
    history = [{"role": "user", "content": ASKED}, {"role": "assistant", "content": answered}]
    assert parse_query("Who is she engaged to?", history=history).text.startswith("Who is Ada Quinlan engaged to?")
    assert parse_query("What did her jury praise?", history=history).resolved == "What did Ada Quinlan's jury praise?"
    alone = parse_query("Did Ada Quinlan say she would buy a buoy?", history=history)
    assert alone.resolved == ""  # "she" has its referent in the question itself
    no_name = [{"role": "user", "content": "Why did the ferry crews strike?"}]
    assert parse_query("What did he say?", history=no_name).resolved == ""  # nobody to stand for: left as asked
