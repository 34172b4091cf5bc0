"""Window selection on hand-made articles: chunked the way ingest chunks them, then rebuilt and windowed."""

from __future__ import annotations

import numpy as np

from ingest.article import Article
from ingest.chunk import chunk_article
from qa.core.types import Passage
from qa.search.windows import best_windows, build_article, chunk_prior, merge_runs, sentence_scores, window_passage
from qa.store.embeddings.model import get_tokenizer

TOKENIZER = get_tokenizer()

FILLER = [
    "The council met in the old hall on a rainy evening.",
    "Residents queued outside long before the doors opened.",
    "Several speakers asked about parking near the market.",
    "A local baker handed out bread to those waiting in line.",
    "The chair reminded everyone to keep their remarks brief.",
    "Minutes from the previous meeting were read aloud and approved.",
]


def make_body(facts: dict[int, str], sentences: int = 60) -> str:
    """Filler paragraphs with ``facts`` placed at the given sentence positions."""
    parts = [facts.get(i, FILLER[i % len(FILLER)]) for i in range(sentences)]
    paragraphs = [" ".join(parts[i : i + 4]) for i in range(0, len(parts), 4)]
    return "\n\n".join(paragraphs)


def chunks_of(body: str, max_tokens: int = 60, overlap: int = 1, article_id: str = "a1") -> list[Passage]:
    article = Article(id=article_id, title="Council meeting", body=body, source="Gazette", published="2023-10-07")
    chunks = chunk_article(
        article,
        max_tokens=max_tokens,
        overlap_sentences=overlap,
        count_tokens=TOKENIZER.count,
        token_offsets=TOKENIZER.offsets,
    )
    return [
        Passage(
            c.id, c.article_id, c.text, c.start, c.end, title="Council meeting", source="Gazette", chunk_index=c.index
        )
        for c in chunks
    ]


def read_terms(texts: list[str]) -> list[list[str]]:
    return [[w.strip(".,").lower() for w in t.split()] for t in texts]


def term_scores(article, wanted: set[str]) -> np.ndarray:
    return np.asarray([float(len(wanted & s.terms)) for s in article.sentences])


def test_runs_rebuild_the_body_exactly_from_overlapping_chunks():
    body = make_body({})
    chunks = chunks_of(body)
    runs = merge_runs(list(reversed(chunks)))  # any order
    assert len(runs) == 1 and runs[0].text == body[runs[0].start : runs[0].end]
    assert runs[0].start == 0 and runs[0].end == len(body)


def test_a_gap_between_chunks_ends_a_run_and_windows_never_cross_it():
    body = make_body({20: "The bridge repair costs 40 million dollars."})
    chunks = chunks_of(body, overlap=0)
    kept = [c for c in chunks if c.chunk_index != 2]
    article = build_article(kept, TOKENIZER.offsets, read_terms)
    assert len(article.runs) >= 2
    for run in article.runs:
        assert run.text == body[run.start : run.end]
    scores = np.ones(len(article.sentences))
    for window in best_windows(article, scores, 500, 3, 0.0):
        runs = {article.sentences[i].run for i in range(window.first, window.last + 1)}
        assert len(runs) == 1


def test_the_window_holds_the_best_sentence_with_exact_offsets_and_respects_the_budget():
    fact = "The bridge repair will cost 40 million dollars, the mayor said."
    body = make_body({37: fact})
    article = build_article(chunks_of(body), TOKENIZER.offsets, read_terms)
    scores = term_scores(article, {"bridge", "repair", "40", "million"})
    for budget in (40, 120, 254):
        (window,) = best_windows(article, scores, budget, 1, 0.5)
        passage = window_passage(article, window, 1.0, budget, TOKENIZER.truncate)
        assert fact in passage.text
        assert passage.text == body[passage.start : passage.end]
        assert TOKENIZER.count([passage.text])[0] <= budget
        # grown to the budget: one more sentence would not fit
        assert TOKENIZER.count([passage.text])[0] > budget - 40


def test_a_second_window_only_for_a_second_fact():
    first = "The bridge repair will cost 40 million dollars."
    second = "Work on the bridge repair starts in March, officials said."
    body = make_body({5: first, 50: second})
    article = build_article(chunks_of(body), TOKENIZER.offsets, read_terms)
    scores = term_scores(article, {"bridge", "repair", "40", "million", "march"})
    windows = best_windows(article, scores, 60, 3, 0.5)
    texts = [window_passage(article, w, 1.0, 60, TOKENIZER.truncate).text for w in windows]
    assert len(windows) == 2 and first in texts[0] and second in texts[1]
    spans = [(w.first, w.last) for w in windows]
    assert spans[0][1] < spans[1][0] or spans[1][1] < spans[0][0]  # no overlap
    assert len({window_passage(article, w, 1.0, 60, TOKENIZER.truncate).chunk_id for w in windows}) == 2


def test_a_sentence_longer_than_the_budget_is_cut_at_a_word_piece():
    long = "The bridge " + " ".join(f"repair{i}" for i in range(150)) + "."
    body = make_body({10: long}, sentences=20)
    article = build_article(chunks_of(body, max_tokens=254), TOKENIZER.offsets, read_terms)
    scores = np.asarray([1.0 if "bridge" in s.terms else 0.0 for s in article.sentences])
    (window,) = best_windows(article, scores, 50, 1, 0.5)
    passage = window_passage(article, window, 1.0, 50, TOKENIZER.truncate)
    assert passage.text == body[passage.start : passage.end] and passage.text.startswith("The bridge")
    assert TOKENIZER.count([passage.text])[0] <= 50


def test_word_pieces_per_sentence_equal_tokenizing_each_sentence_alone():
    body = make_body({7: "Ms. Ørsted's e-bike costs $3,500 (about 3.5k), per U.S. data."})
    article = build_article(chunks_of(body), TOKENIZER.offsets, read_terms)
    texts = [body[s.start : s.end] for s in article.sentences]
    assert [s.tokens for s in article.sentences] == TOKENIZER.count(texts)


def test_words_all_over_the_article_do_not_pull_the_window_to_the_lead():
    # the lead names the topic (council, budget) like every other paragraph; the event sentence holds
    # the rarer words the question asks about (dated vote, 12 million)
    event = "On October 7 the council budget vote approved 12 million for flood barriers."
    lead = "The council budget was the talk of the town, and the council budget committee met again."
    facts = {0: lead, 44: event}
    facts.update({i: "The council budget debate went on as the council budget kept growing." for i in range(4, 40, 4)})
    body = make_body(facts)
    article = build_article(chunks_of(body), TOKENIZER.offsets, read_terms)
    wanted = {"council": 1.0, "budget": 1.0, "october": 1.5, "vote": 1.5, "12": 2.0, "million": 1.0}
    (window,) = best_windows(article, sentence_scores(article, wanted), 60, 1, 0.5)
    text = window_passage(article, window, 1.0, 60, TOKENIZER.truncate).text
    assert event in text and lead not in text


def test_the_chunk_prior_breaks_ties_towards_the_chunk_most_like_the_question():
    same = "The bridge repair was finished."
    body = make_body({3: same, 50: same})
    second = body.index(same, body.index(same) + 1)
    chunks = chunks_of(body)
    article = build_article(chunks, TOKENIZER.offsets, read_terms)
    terms = sentence_scores(article, {"bridge": 1.0, "repair": 1.0})
    similarity = np.asarray([1.0 if c.start <= second < c.end else 0.2 for c in chunks])
    prior = chunk_prior(article, similarity)
    assert prior.min() == 0.0 and prior.max() == 1.0
    (window,) = best_windows(article, terms + 0.05 * prior, 40, 1, 0.5)
    passage = window_passage(article, window, 1.0, 40, TOKENIZER.truncate)
    assert passage.start <= second < passage.end  # the mention in the chunk the question resembles
