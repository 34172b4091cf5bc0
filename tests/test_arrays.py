"""Search arrays: BM25 segments score like one bm25s index built from scratch, an ingest adds a delta
segment (not a rebuild), a kill while the arrays are written leaves the old version serving and the
next run repairs it, and a question is answered without importing torch or chromadb."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import bm25s
import bm25s.stopwords
import numpy as np
import pytest
import Stemmer
from corpora import ARTICLES

from ingest.index import ingest
from qa.answer.assistant import Assistant
from qa.core.settings import Settings
from qa.store.arrays import SEGMENTS, Arrays, read_version
from qa.store.bm25 import STOP_WORDS, Bm25Index, Part, Postings, tokenize
from qa.store.chroma import Store
from qa.store.config import index_config
from qa.store.sync import sync_arrays

REPO = Path(__file__).resolve().parents[1]
QUERIES = [
    "bridge repair council vote",
    "Nimbus e-bike battery recall",
    "the and of",  # stop words only: no BM25 terms at all
    "harbor harbor bridge",  # a repeated word counts twice, as in bm25s
    "zebra",  # a word no document uses
]


def documents() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(ARTICLES.iterdir()) if p.is_file()]
    return [part for text in texts for part in re.split(r"\n|\. ", text) if len(part.split()) > 2]


def bm25s_scores(texts: list[str], query: str) -> np.ndarray:
    """The reference: bm25s over ``texts`` only, the way the index used to be built."""
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
    tokens = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False)[0]
    return retriever.get_scores(tokens) if tokens else np.zeros(len(texts))


def test_tokenisation_is_bm25s_tokenisation():
    texts = documents()
    stemmer = Stemmer.Stemmer("english")
    assert set(bm25s.stopwords.STOPWORDS_EN) == STOP_WORDS
    reference = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False)
    assert tokenize(texts) == reference


def test_segments_with_deletions_score_like_a_full_rebuild():
    texts = documents()
    assert len(texts) > 20
    cuts = [0, len(texts) // 3, len(texts) // 2, len(texts)]  # three segments: a base and two deltas
    dead = {1, cuts[1] + 2, len(texts) - 1}  # rows deleted (articles changed or removed since)
    parts = []
    for first, last in zip(cuts, cuts[1:], strict=False):
        alive = np.array([row not in dead for row in range(first, last)])
        parts.append(Part(Postings.build(tokenize(texts[first:last])), first, alive))
    index = Bm25Index(parts, len(texts), version=3, chunk_ids=[str(i) for i in range(len(texts)) if i not in dead])
    live = [i for i in range(len(texts)) if i not in dead]
    for query in QUERIES:
        ours = index.scores_for(query)
        assert ours.shape == (len(texts),) and not ours[sorted(dead)].any()
        np.testing.assert_allclose(ours[live], bm25s_scores([texts[i] for i in live], query), rtol=1e-5, atol=1e-6)
    whole = Postings.build(tokenize([texts[i] for i in live]))
    for term in ("bridg", "nimbus", "zebra"):
        assert index.doc_freq(term) == len(whole.rows_of(term)[0])


def test_an_ingest_adds_a_delta_segment_equal_to_a_rebuild(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(ARTICLES, corpus)
    settings = Settings(data_dir=tmp_path / "data")
    ingest([corpus], settings)
    first = read_version(settings.arrays_dir)
    changed = sorted(p for p in corpus.iterdir() if p.is_file())[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nThe zephyrine harbour lamp was relit on Friday.\n")
    summary = ingest([corpus], settings)
    assert summary.updated == 1
    delta = read_version(settings.arrays_dir)
    assert delta.version > first.version and delta.segments[0].name == first.segments[0].name, "the base is kept"
    assert len(delta.segments) == 2 and delta.segments[0].deleted, "old rows marked dead, new ones in a delta"
    arrays = Arrays.open(settings.arrays_dir, delta)
    updated = arrays.segments[1].articles[0].article_id
    assert arrays.segments[1].rows == len(Store(settings).manifest()[updated].chunk_ids)

    rebuilt = sync_arrays(Store(settings), tmp_path / "rebuilt", index_config(settings))
    assert len(rebuilt.segments) == 1
    ours, theirs = arrays.bm25(), rebuilt.bm25()
    assert set(ours.chunk_ids) == set(theirs.chunk_ids) == Store(settings).chunk_ids()
    by_id = lambda a, s: dict(zip((a.passage(r).chunk_id for r in live_rows(a)), s[live_rows(a)], strict=True))  # noqa: E731
    for query in (*QUERIES, "zephyrine lamp"):
        mine, full = by_id(arrays, ours.scores_for(query)), by_id(rebuilt, theirs.scores_for(query))
        assert mine.keys() == full.keys()
        np.testing.assert_allclose([mine[k] for k in full], list(full.values()), rtol=1e-5, atol=1e-6)
    vector = rebuilt.vectors(live_rows(rebuilt)[:1])[0]
    assert arrays.passage(int(np.argmax(arrays.similarities(vector)))).chunk_id == rebuilt.passage(
        int(live_rows(rebuilt)[0])
    ).chunk_id


def live_rows(arrays: Arrays) -> np.ndarray:
    """Every live row, in order (the rows of the live articles)."""
    return np.sort(np.fromiter((r for rows in arrays.article_rows().values() for r in rows), dtype=np.int64))


# Ingest in a fresh interpreter and die by SIGKILL at one point of writing the arrays.
KILL_WHILE_WRITING_ARRAYS = """
import os, signal, sys
from pathlib import Path
from ingest.index import ingest
from qa.core.settings import Settings
point = sys.argv[1]
real_replace, real_fsync = os.replace, os.fsync
def die():
    os.kill(os.getpid(), signal.SIGKILL)
def replace(source, target, *args, **kwargs):
    if point == "switch" and str(target).endswith("current.json"):
        die()
    return real_replace(source, target, *args, **kwargs)
def fsync(fd):
    if point == "segment":
        die()
    return real_fsync(fd)
os.replace, os.fsync = replace, fsync
ingest([Path(sys.argv[2])], Settings())
"""


@pytest.mark.parametrize("point", ["segment", "switch"])
def test_a_kill_while_writing_the_arrays_leaves_the_old_version_serving_and_the_next_run_repairs(tmp_path, point):
    corpus = tmp_path / "corpus"
    shutil.copytree(ARTICLES, corpus)
    settings = Settings(data_dir=tmp_path / "data")
    ingest([corpus], settings)
    before = read_version(settings.arrays_dir)
    (corpus / "lighthouse.md").write_text("# Zephyrine lighthouse relit\n\nThe Zephyrine lamp was relit on Friday.\n")
    env = {**os.environ, "QA_DATA_DIR": str(settings.data_dir)}
    killed = subprocess.run(
        [sys.executable, "-c", KILL_WHILE_WRITING_ARRAYS, point, str(corpus)], cwd=REPO, env=env, timeout=600
    )
    assert killed.returncode == -9
    assert read_version(settings.arrays_dir) == before, "the old version still serves"
    old = Assistant(settings)
    assert old.searcher.current().arrays.version == before.version
    assert not old.searcher.corpus().bm25.doc_freq("zephyrin")

    rerun = ingest([corpus], settings)
    assert rerun.chunks_written == 0, "the chunks were written before the kill"
    store, after = Store(settings), read_version(settings.arrays_dir)
    assert after.version == store.version() > before.version
    assert set(Arrays.open(settings.arrays_dir, after).bm25().chunk_ids) == store.chunk_ids()
    names = {p.name for p in (settings.arrays_dir / SEGMENTS).iterdir()}
    assert names == {s.name for s in after.segments} | {s.name for s in before.segments}, "leftovers removed"
    assert Assistant(settings).searcher.corpus().bm25.doc_freq("zephyrin") == 1


def test_missing_arrays_are_rebuilt_from_the_store(indexed_corpus, tmp_path):
    copy = Settings(**{**indexed_corpus.model_dump(), "data_dir": tmp_path / "copy"})
    shutil.copytree(indexed_corpus.data_dir, copy.data_dir)
    shutil.rmtree(copy.arrays_dir)
    answer = Assistant(copy).ask("Why is Nimbus recalling e-bikes?")
    assert answer.citations and read_version(copy.arrays_dir).version == Store(copy).version()


ASK_AND_LIST_MODULES = """
import json, sys
from qa.answer.assistant import Assistant
from qa.core.settings import Settings
answer = Assistant(Settings()).ask("Why is Nimbus recalling e-bikes?")
loaded = {name: name in sys.modules for name in ("torch", "chromadb")}
print(json.dumps({"cited": len(answer.citations), **loaded}))
"""


def test_a_question_imports_neither_torch_nor_chromadb(indexed_corpus):
    env = {**os.environ, "QA_DATA_DIR": str(indexed_corpus.data_dir)}
    result = subprocess.run(
        [sys.executable, "-c", ASK_AND_LIST_MODULES], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"cited": 1, "torch": False, "chromadb": False}


QUESTIONS = [
    "Why is Nimbus recalling e-bikes?",
    "What did Coastal Daily report about the Old Mill Bridge repairs?",
    "Who won the cup final?",
    "Did the council approve the budget before or after the flood?",
]
QUERY_TOLERANCE = 0.999  # lowest cosine between the question vectors of the query and the ingest backend


def test_questions_are_embedded_like_the_ingest_backend_and_rank_the_same(indexed_corpus):
    from qa.store.embeddings.factory import make_embeddings, query_backend

    built_with = Store(indexed_corpus).stored_config()["backend"]  # QA_EMBED_BACKEND=auto: this CPU's choice
    assert query_backend(indexed_corpus) == "onnx"
    asked = make_embeddings(query_backend(indexed_corpus)).encode(QUESTIONS)
    for backend in {built_with, "torch", "torch-bf16"}:  # whichever built the index, the questions match it
        ingested = make_embeddings(backend).encode(QUESTIONS)
        assert float(np.min(np.sum(asked * ingested, axis=1))) >= QUERY_TOLERANCE, backend
    on_torch = Settings(**{**indexed_corpus.model_dump(), "query_backend": "torch"})
    light, heavy = Assistant(indexed_corpus), Assistant(on_torch)
    for question in QUESTIONS:
        ranked = [[p.chunk_id for p in a.searcher.hybrid.search(question, 5)] for a in (light, heavy)]
        assert ranked[0] == ranked[1], question
