"""Sentence boundaries: exact, ordered, stripped spans that cover every visible character."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qa.text.sentences import sentence_spans


def sentences_of(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


def test_splits_at_sentence_ends_and_paragraphs():
    text = 'The vote passed. "It is a good day," she said! Was it?\n\nA new paragraph starts here'
    assert sentences_of(text) == [
        "The vote passed.",
        '"It is a good day," she said!',
        "Was it?",
        "A new paragraph starts here",
    ]


def test_keeps_abbreviations_initials_and_numbers_inside_sentences():
    text = "Mr. Smith met U.S. officials at 3 p.m. on Jan. 5 with J. R. Tolkien. Prices rose 3.5 percent."
    assert sentences_of(text) == [
        "Mr. Smith met U.S. officials at 3 p.m. on Jan. 5 with J. R. Tolkien.",
        "Prices rose 3.5 percent.",
    ]


def test_closing_quotes_stay_with_their_sentence():
    text = "“We will rebuild,” the mayor said. “It will take years.” The council agreed."
    assert sentences_of(text) == [
        "“We will rebuild,” the mayor said.",
        "“It will take years.”",
        "The council agreed.",
    ]


def test_each_line_is_its_own_sentence():
    text = "Headline without a full stop\nBy Jane Doe\n\n\n   Body text begins. It goes on."
    assert sentences_of(text) == ["Headline without a full stop", "By Jane Doe", "Body text begins.", "It goes on."]


def test_empty_and_blank_texts_have_no_sentences():
    assert sentence_spans("") == []
    assert sentence_spans(" \n\t \n") == []


TEXT = st.text(alphabet=st.sampled_from(list("ab AZé.!?…\"'”“()\n\t 0123456789")) | st.characters(), max_size=400)


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_spans_are_ordered_stripped_and_cover_every_visible_character(text):
    spans = sentence_spans(text)
    position = 0
    for start, end in spans:
        assert position <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        assert text[position:start].strip() == "", "nothing but whitespace between sentences"
        position = end
    assert text[position:].strip() == ""
