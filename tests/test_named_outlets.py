"""A question that names outlets leads with them, in the order named, each from its own articles (issue 20):
the outlet words read as names only where they are names; retrieval keeps each named outlet's best passage in
the top k; the answer's first quotes are theirs."""

from __future__ import annotations

import shutil

import pytest
from corpora import FIXTURES

from ingest.index import ingest
from qa.answer.assistant import Assistant
from qa.core.settings import Settings
from qa.core.types import Passage
from qa.search.outlets import OutletMatcher
from qa.search.rank import named_lead

OUTLETS = ["Fortune", "The Age", "The Verge", "TechCrunch", "FOX News - Health", "FOX News - Lifestyle"]


def test_each_name_is_its_outlets_in_the_order_named():
    matcher = OutletMatcher(OUTLETS)
    assert matcher.mentions("Did TechCrunch and The Verge both report it?") == (("TechCrunch",), ("The Verge",))
    assert matcher.mentions("Did The Verge, then TechCrunch, then The Verge again say so?") == (
        ("The Verge",),
        ("TechCrunch",),
    )
    fox = ("FOX News - Health", "FOX News - Lifestyle")
    assert matcher.mentions("Was it on FOX News before Fortune reported it?") == (fox, ("Fortune",))
    assert matcher.find("Was it on FOX News before Fortune reported it?") == (*fox, "Fortune")


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Fortune favours the bold: who won the contract?", ()),
        ("The Age of AI: who leads it?", ()),
        ("Who won? Fortune smiled on the challenger.", ()),
        ("Fortune and glory: who won the cup?", ()),
        ("Fortune and The Age disagreed: who was right?", (("Fortune",), ("The Age",))),
        ("Fortune reported that the deal closed: who bought whom?", (("Fortune",),)),
        ("The Verge's review said what about the phone?", (("The Verge",),)),
        ("Did The Age and Fortune say the same?", (("The Age",), ("Fortune",))),
        ("TechCrunch says what about the deal?", (("TechCrunch",),)),  # a name no ordinary word makes
    ],
)
def test_an_ordinary_word_starting_a_sentence_is_no_outlet(question, named):
    assert OutletMatcher(OUTLETS).mentions(question) == named


def _passage(n: int, source: str, score: float) -> Passage:
    return Passage(f"c{n}", f"a{n}", f"text {n}", 0, 6, source=source, score=score)


def test_named_outlets_lead_the_top_k_in_the_order_named_when_on_the_topic():
    ranked = [_passage(i, "Wire", 2.0 - i * 0.05) for i in range(12)]
    ranked += [_passage(20, "Ridge Times", 1.3), _passage(21, "Valley Post", 1.2), _passage(22, "Fortune", 0.4)]
    top = ranked[:4]
    led = named_lead(ranked, top, (("Valley Post",), ("Ridge Times",), ("Fortune",)))
    # the two named outlets on the topic lead, in the order named; Fortune (far under the best) leads nothing
    assert [p.source for p in led] == ["Valley Post", "Ridge Times", "Wire", "Wire"]
    assert named_lead(ranked, top, ()) == top


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    root = tmp_path_factory.mktemp("named-outlets")
    corpus = root / "articles"
    shutil.copytree(FIXTURES / "named-outlets", corpus)
    settings = Settings(data_dir=root / "qa-data")
    ingest([corpus], settings)
    assistant = Assistant(settings)
    yield assistant
    assistant.close()


def _cited(answer) -> list[str]:
    return [c.passage.source for c in answer.citations]


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("Did the Valley Post report that the Pinewood dam repair was approved?", ["Valley Post"]),
        (
            "What did the Valley Post and the Lakeside Courier report about the Pinewood dam repair?",
            ["Valley Post", "Lakeside Courier"],
        ),
        (
            "What did the Lakeside Courier and the Valley Post report about the Pinewood dam repair?",
            ["Lakeside Courier", "Valley Post"],
        ),
        (
            "Was the Pinewood dam repair approved, as the Ridge Times and the Valley Post reported?",
            ["Ridge Times", "Valley Post"],
        ),
    ],
)
def test_the_answer_leads_with_the_outlets_named_in_that_order(assistant, question, lead):
    answer = assistant.ask(question)
    assert not answer.abstained
    assert _cited(answer)[: len(lead)] == lead
    assert [p.source for p in answer.passages[: len(lead)]] == lead  # the excerpts too


def test_an_outlet_read_where_a_word_was_meant_leads_nothing(assistant):
    answer = assistant.ask("Fortune favoured the county: was the Pinewood dam repair approved?")
    assert not answer.abstained
    assert "Fortune" not in _cited(answer) and answer.citations[0].passage.source == "Lakeside Courier"
