"""Property tests for issue 14: whatever a client sends (any unicode, size, type or history), answering,
the ``/ask`` argument checks and the batch reader end in an answer or one of our errors, never anything else."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.answer.assistant import Assistant
from qa.core.errors import BadQuestionError, QAError
from qa.core.settings import Settings
from qa.core.types import Answer, Skip
from qa.search.validate import MAX_K, ROLES, check_options, check_request
from qa.serve.batch import BatchQuestion, read_batch

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
WORDS = st.sampled_from(["bridge", "council", "Nimbus", "e-bikes", "glacier", "the", "???", "🙂", ".*(", "-", "Когда"])
QUESTIONS = st.one_of(
    st.text(max_size=200),
    st.lists(WORDS, max_size=8).map(" ".join),
    st.builds(lambda ch, n: ch * n, st.characters(), st.integers(0, 12_000)),  # up to 6x the length limit
    JSONISH,
)
TURNS = st.one_of(
    st.fixed_dictionaries(
        {"role": st.sampled_from([*ROLES, "system", "tool", "", None, 1]), "content": st.text(max_size=120) | JSONISH}
    ),
    JSONISH,
)
HISTORIES = st.one_of(
    st.none(), st.lists(TURNS, max_size=6), st.lists(TURNS, min_size=49, max_size=53), st.text(max_size=20), JSONISH
)
KS = st.one_of(
    st.none(),
    st.integers(-(10**30), 10**30),
    st.integers(-2, MAX_K + 2),
    st.floats(),
    st.booleans(),
    st.text(max_size=4),
)
DATES = st.one_of(
    st.none(),
    st.sampled_from(["2023-10-01", "October 2023", "2024-03-03", "2023-02-30", "next tuesday", "", "x" * 500]),
    st.text(max_size=20),
    JSONISH,
)
OUTLETS = st.one_of(
    st.none(),
    st.sampled_from(["Coastal Daily", "gadget report", "No Such Paper", ""]),
    st.lists(st.sampled_from(["Coastal Daily", "Sports Desk", "Daily Planet", " "]) | JSONISH, max_size=4),
    JSONISH,
)
LIMITS = Settings(max_question_chars=2000, max_history_turns=50, max_history_chars=100_000)


@pytest.fixture(scope="module")
def assistant(indexed_corpus) -> Assistant:
    """One assistant on the fixture index for the module (answering only reads the index)."""
    assistant = Assistant(indexed_corpus)
    assistant.warm_up()
    yield assistant
    assistant.close()


@FAST
@given(question=QUESTIONS, history=HISTORIES, outlets=OUTLETS, since=DATES, until=DATES, k=KS)
def test_ask_arguments_are_checked_into_safe_values_or_refused(question, history, outlets, since, until, k):
    try:
        options = check_options(outlets=outlets, since=since, until=until, k=k)
        request = check_request(question, history=history, options=options, settings=LIMITS)
    except BadQuestionError as exc:
        assert str(exc) and "\n" not in str(exc) and len(str(exc)) < 300  # one readable line, never the payload
        return
    assert isinstance(request.question, str) and 0 < len(request.question) <= LIMITS.max_question_chars
    assert request.k is None or (type(request.k) is int and 1 <= request.k <= MAX_K)
    assert len(request.history) <= LIMITS.max_history_turns
    assert all(set(turn) == {"role", "content"} and turn["role"] in ROLES for turn in request.history)
    assert all(isinstance(turn["content"], str) for turn in request.history)
    filters = request.filters
    assert all(isinstance(name, str) and name for name in filters.outlets)
    assert not (filters.since and filters.until and filters.since > filters.until)


@FAST
@given(question=QUESTIONS, history=HISTORIES, k=KS, outlets=OUTLETS, since=DATES, until=DATES)
def test_answering_anything_gives_an_answer_or_our_error(assistant, question, history, k, outlets, since, until):
    try:  # the path of `/ask` and `qa ask`: check, answer (outlets resolved against the index answering)
        options = check_options(outlets=outlets, since=since, until=until, k=k)
        answer = assistant.ask(request := check_request(question, history=history, options=options))
    except QAError:
        return
    assert isinstance(answer, Answer) and answer.text
    assert len(answer.passages) <= (request.k or assistant.settings.top_k)
    json.dumps(answer.to_json())


@FAST
@given(question=QUESTIONS, history=HISTORIES, k=KS)
def test_the_assistant_itself_checks_what_it_is_given(assistant, question, history, k):
    try:
        answer = assistant.ask(question, history=history, k=k)
    except QAError:
        return
    assert isinstance(answer, Answer)


LINES = st.one_of(
    st.builds(json.dumps, st.fixed_dictionaries({"id": JSONISH, "question": QUESTIONS, "history": HISTORIES})),
    st.builds(json.dumps, JSONISH),
    st.text(alphabet=string.printable + '[]{}"\\\u2028\x00é🙂', max_size=80),
    st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
)


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(lines=st.lists(LINES, max_size=8), raw_tail=st.binary(max_size=200))
def test_the_batch_reader_yields_questions_or_named_skips(tmp_path_factory, lines, raw_tail):
    path = tmp_path_factory.mktemp("batch") / "questions.jsonl"
    path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + b"\n" + raw_tail)
    for item in read_batch(path, LIMITS):
        assert isinstance(item, BatchQuestion | Skip)
        if isinstance(item, Skip):
            assert item.path.startswith("line ") and item.reason and len(str(item)) < 400
        else:
            assert 0 < len(item.request.question) <= LIMITS.max_question_chars
            assert all(turn["role"] in ROLES for turn in item.request.history)
