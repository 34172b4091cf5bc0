"""Chunking: exact offsets, the model's token budget, whole-sentence overlap, checked over random texts."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.article import Article
from ingest.chunk import Chunk, chunk_article
from ingest.write import Indexer
from qa.core.settings import Settings
from qa.store.chroma import Store
from qa.store.embeddings.model import MAX_TEXT_TOKENS, get_tokenizer
from qa.text.sentences import sentence_spans

HYPOTHESIS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

WORDS = st.sampled_from(
    [
        "the",
        "council",
        "voted",
        "on",
        "Tuesday",
        "to",
        "approve",
        "a",
        "$40",
        "million",
        "plan",
        "Mr.",
        "Smith",
        "U.S.",
        "e-bike",
        "3.5",
        "percent",
        "café",
        "naïve",
        "Zürich",
        "Ελλάδα",
        "Москва",
        "東京都",
        "नमस्ते",
        "😀",
        "don't",
        "“quoted”",
        "(aside)",
        "--",
        "...",
        "1,200",
    ]
)
LETTERS = st.text(alphabet=st.characters(categories=["Lu", "Ll", "Nd"]), min_size=1, max_size=12)
ANY_WORD = st.text(alphabet=st.characters(exclude_categories=["Cs", "Zs", "Zl", "Zp", "Cc"]), min_size=1, max_size=8)
LONG_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzé", min_size=60, max_size=400)
CJK_RUN = st.text(alphabet="東京都の新しい橋は来年開通する予定です", min_size=50, max_size=600)
WORD = st.one_of(WORDS, WORDS, LETTERS, ANY_WORD, LONG_WORD)
SEPARATOR = st.sampled_from([" ", " ", " ", "  ", "\t", "\n", "\n\n", "\n\n\n\n", " \u00a0", "\u200b ", "\r\n"])
END = st.sampled_from([".", ".", "?", "!", "…", '."', ".”", ""])


@st.composite
def sentences(draw) -> str:
    """One sentence: words (some long, unbroken or foreign) with a closing mark."""
    if draw(st.integers(0, 9)) == 0:
        return draw(CJK_RUN)
    words = draw(st.lists(WORD, min_size=1, max_size=draw(st.sampled_from([8, 30, 400]))))
    text = " ".join(words)
    return (text[0].upper() + text[1:] if text[0].isalpha() else text) + draw(END)


@st.composite
def bodies(draw) -> str:
    """An article body: sentences joined by spaces and newlines, stripped like the loaders do."""
    parts = draw(st.lists(sentences(), min_size=1, max_size=25))
    text = "".join(part + draw(SEPARATOR) for part in parts).strip()
    return text or "Empty."


def count(text: str) -> int:
    """Word pieces of ``text`` by the model's own tokenizer, special tokens left out."""
    return get_tokenizer().count([text])[0]


def chunk(body: str, max_tokens: int, overlap: int) -> list[Chunk]:
    tokenizer = get_tokenizer()
    article = Article(id="a1", title="Title", body=body)
    return chunk_article(
        article,
        max_tokens=max_tokens,
        overlap_sentences=overlap,
        count_tokens=tokenizer.count,
        token_offsets=tokenizer.offsets,
    )


def covered(chunks: list[Chunk]) -> list[tuple[int, int]]:
    """The union of the chunks' character ranges, merged."""
    merged: list[list[int]] = []
    for c in sorted(chunks, key=lambda c: c.start):
        if merged and c.start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], c.end)
        else:
            merged.append([c.start, c.end])
    return [(s, e) for s, e in merged]


def uncovered_text(body: str, chunks: list[Chunk]) -> str:
    """Characters of ``body`` that no chunk contains, whitespace left out."""
    inside = [False] * len(body)
    for start, end in covered(chunks):
        inside[start:end] = [True] * (end - start)
    return "".join(ch for ch, seen in zip(body, inside, strict=True) if not seen and not ch.isspace())


@given(body=bodies(), max_tokens=st.sampled_from([16, 24, 64, 200, 254]), overlap=st.integers(0, 3))
@HYPOTHESIS
def test_chunks_are_exact_slices_within_budget_covering_everything_in_order(body, max_tokens, overlap):
    chunks = chunk(body, max_tokens, overlap)
    assert chunks, "a non-empty body has at least one chunk"
    for position, c in enumerate(chunks):
        assert c.index == position
        assert body[c.start : c.end] == c.text
        assert c.text and c.text == c.text.strip()
        assert count(c.text) == c.tokens, "the stored count is the tokenizer's count"
        assert c.tokens <= max_tokens
    assert uncovered_text(body, chunks) == ""
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.start < after.start and before.end < after.end, "chunks advance through the body"
        assert after.start <= before.end or body[before.end : after.start].strip() == "", "no gap with text in it"


def test_overlap_repeats_whole_sentences():
    """Between neighbours the repeated text is exactly the last ``overlap`` sentences of the first."""
    body = " ".join(f"Sentence number {n} says that the river rose by {n} centimetres overnight." for n in range(40))
    spans = sentence_spans(body)
    starts = {s for s, _ in spans}
    for overlap in (1, 2):
        chunks = chunk(body, 64, overlap)
        assert len(chunks) > 3
        for before, after in zip(chunks, chunks[1:], strict=False):
            assert after.start in starts, "a chunk starts at a sentence start"
            repeated = [span for span in spans if after.start <= span[0] and span[1] <= before.end]
            assert len(repeated) == overlap
            assert body[after.start : before.end] == body[repeated[0][0] : repeated[-1][1]]


def test_no_overlap_means_disjoint_chunks():
    body = " ".join(f"Line {n} of the report describes a different street in the old town." for n in range(30))
    chunks = chunk(body, 48, 0)
    assert len(chunks) > 2
    assert all(after.start > before.end for before, after in zip(chunks, chunks[1:], strict=False))


def test_long_unbroken_sentence_is_cut_at_word_starts():
    words = [f"word{n}" for n in range(600)]
    body = " ".join(words)  # one sentence, no punctuation, about 1,800 word pieces
    chunks = chunk(body, 100, 1)
    assert len(chunks) >= 18
    for c in chunks:
        assert c.text.split()[0] in words and c.text.split()[-1] in words, "parts start and end on whole words"
        assert c.tokens <= 100
    assert uncovered_text(body, chunks) == ""


def test_short_article_is_one_chunk_of_the_whole_body():
    body = "The ferry was cancelled. Passengers waited for three hours."
    chunks = chunk(body, 200, 1)
    assert [(c.start, c.end, c.text) for c in chunks] == [(0, len(body), body)]


def test_chunk_ids_are_deterministic_and_distinct():
    body = " ".join(f"Paragraph {n} is about the budget for year {2000 + n}." for n in range(50))
    first, second = chunk(body, 40, 1), chunk(body, 40, 1)
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)


@pytest.fixture(scope="module")
def indexers(tmp_path_factory) -> dict[int, Indexer]:
    """Indexers over a real (empty) store, one per chunk size; only their chunking is used."""
    result = {}
    for size in (200, 254):
        settings_ = Settings(data_dir=tmp_path_factory.mktemp(f"chunks{size}"), chunk_tokens=size)
        result[size] = Indexer(settings_, Store(settings_))
    return result


TITLES = st.one_of(
    st.just(""),
    st.text(min_size=1, max_size=60),
    st.lists(WORD, min_size=20, max_size=80).map(" ".join),
)


@given(title=TITLES, body=bodies(), size=st.sampled_from([200, 254]))
@HYPOTHESIS
def test_title_prefix_and_chunk_fit_the_model(indexers, title, body, size):
    """What gets embedded, ``prefix + "\\n" + chunk``, never goes over the model's 254 text word pieces."""
    indexer = indexers[size]
    article = Article(id="t1", title=title, body=body)
    prepared = indexer.prepare(article)
    prefix, chunks = prepared.prefix, prepared.chunks
    assert count(prefix) <= indexer.settings.title_prefix_tokens
    assert title.startswith(prefix)
    for c in chunks:
        embedded = f"{prefix}\n{c.text}" if prefix else c.text
        assert count(embedded) <= min(size, MAX_TEXT_TOKENS)
        assert body[c.start : c.end] == c.text
