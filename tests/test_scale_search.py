"""Search at archive size: the approximate dense path (int8 codes scanned, best rows rescored exactly) finds what
the exact scan finds, gives exactly the exact results below its size limits, skips dead rows; filters evaluate
once per (outlet, date) pair of a segment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.core.types import Filters, Passage
from qa.store.arrays import APPROXIMATE_MIN_ROWS, Arrays, SegmentRef, VersionFile, publish
from qa.store.segment import ArticleChunks, write_segment

DIM = 384
CHUNKS_PER_ARTICLE = 4
OUTLETS = ("The Verge", "Wired", "BBC")


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def planted(rows: int, questions: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """Random unit vectors, and questions each planted near one of them (cosine ~0.7): a clear best row among
    near misses, as a real question has."""
    rng = np.random.default_rng(seed)
    vectors = unit(rng.standard_normal((rows, DIM)))
    near = vectors[rng.choice(rows, questions, replace=False)]
    return vectors, unit(near + 0.1 * rng.standard_normal((questions, DIM)))


def segment_of(root: Path, vectors: np.ndarray, first_article: int = 0) -> str:
    """A segment of ``vectors``, four chunks an article, outlets and dates cycling (terms given: no tokenising)."""
    articles = []
    for number, start in enumerate(range(0, len(vectors), CHUNKS_PER_ARTICLE), start=first_article):
        article_id = f"a{number}"
        rows = vectors[start : start + CHUNKS_PER_ARTICLE]
        passages = tuple(
            Passage(f"{article_id}:{i}", article_id, "text", 0, 4, title="t", source=OUTLETS[number % 3],
                    published=f"2023-0{1 + number % 5}-01", chunk_index=i)  # fmt: skip
            for i in range(len(rows))
        )
        articles.append(ArticleChunks(article_id, "h", passages, rows))
    count = len(vectors)
    return write_segment(root / "segments", articles, DIM, [["text"]] * count, [[["text"]]] * count)


def opened(folder: Path, names: list[str], deleted: dict[str, tuple[int, ...]] | None = None) -> Arrays:
    refs = tuple(SegmentRef(name, (deleted or {}).get(name, ())) for name in names)
    file = VersionFile(1, {}, DIM, refs)
    publish(folder, file)
    return Arrays.open(folder, file)


def top(arrays: Arrays, vector: np.ndarray, n: int, approximate: bool) -> list[int]:
    rows, scores = arrays.nearest(vector, n, approximate)
    best = np.argsort(-scores, kind="stable")[:n]
    return [int(rows[i]) for i in best if np.isfinite(scores[i])]


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> tuple[Arrays, np.ndarray, np.ndarray]:
    """One segment just over the approximate-scan size (plus a small delta segment), 40 planted questions."""
    folder = tmp_path_factory.mktemp("large")
    vectors, questions = planted(APPROXIMATE_MIN_ROWS + 400, 40)
    small = segment_of(folder, vectors[APPROXIMATE_MIN_ROWS:], APPROXIMATE_MIN_ROWS)
    return opened(folder, [segment_of(folder, vectors[:APPROXIMATE_MIN_ROWS]), small]), vectors, questions


def test_approximate_recall_at_10_against_exact(large):
    arrays, vectors, questions = large
    recalls = []
    for question in questions:
        exact = set(np.argsort(-(vectors @ question))[:10].tolist())
        recalls.append(len(exact & set(top(arrays, question, 200, approximate=True)[:10])) / 10)
    assert np.mean(recalls) >= 0.98


def test_approximate_scores_are_exact_cosines(large):
    arrays, vectors, questions = large
    rows, scores = arrays.nearest(questions[0], 50, approximate=True)
    assert len(rows) < len(vectors)  # the large segment gave only its best rows
    assert np.allclose(scores, vectors[rows] @ questions[0], atol=1e-6)


def test_below_the_size_limits_the_results_are_the_exact_ones(tmp_path):
    vectors, questions = planted(3000, 10)
    arrays = opened(tmp_path, [segment_of(tmp_path, vectors)])
    for question in questions:
        assert top(arrays, question, 50, approximate=True) == top(arrays, question, 50, approximate=False)
        assert top(arrays, question, 50, approximate=False) == np.argsort(-(vectors @ question))[:50].tolist()


def test_approximate_scan_skips_dead_rows(tmp_path):
    vectors, questions = planted(APPROXIMATE_MIN_ROWS, 5)
    best = [int(np.argmax(vectors @ q)) for q in questions]
    name = segment_of(tmp_path, vectors)
    arrays = opened(tmp_path, [name], {name: tuple(sorted(set(best)))})
    for question, dead in zip(questions, best, strict=True):
        found = top(arrays, question, 20, approximate=True)
        assert dead not in found and len(found) == 20


def test_filters_pick_the_rows_of_the_matching_articles(tmp_path):
    vectors, _ = planted(400, 1)
    arrays = opened(tmp_path, [segment_of(tmp_path, vectors[:200]), segment_of(tmp_path, vectors[200:], 50)])
    wired_spring = Filters(outlets=("Wired",), since="2023-03-01", until="2023-04-30")
    expected = [
        row
        for row in range(400)
        if OUTLETS[row // CHUNKS_PER_ARTICLE % 3] == "Wired" and row // CHUNKS_PER_ARTICLE % 5 in (2, 3)
    ]
    assert arrays.rows_where(wired_spring.accepts_article).tolist() == expected
    bbc = [row for row in range(400) if OUTLETS[row // CHUNKS_PER_ARTICLE % 3] == "BBC"]
    assert arrays.rows_where(lambda source, _date: source == "BBC").tolist() == bbc
