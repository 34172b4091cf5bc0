"""Issue 24, items 7 and 8: a huge single-record article is cut to QA_MAX_ARTICLE_CHARS (named in the summary) and
embedded in bounded steps; an update counts the chunks it drops; a batch question refused when asked names its line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from corpora import QUICK_INGEST
from typer.testing import CliRunner

from ingest.article import Article
from ingest.index import WRITE_BATCH_CHARS, ingest, write_batches
from ingest.plan import CUT_SEARCH_CHARS, load
from ingest.write import Indexer
from qa.core.settings import Settings
from qa.serve.cli import app
from qa.store.arrays import Arrays, read_version
from qa.store.chroma import Store

LIMIT = 20_000  # a small QA_MAX_ARTICLE_CHARS: the cut article embeds some 25 chunks, not thousands
PARAGRAPH = (
    "The harbour board met again on Tuesday to discuss the dredging contract. "
    "Members asked for a new survey of the channel before any vote. "
    "The chair said a decision would follow in the spring.\n\n"
)


@pytest.fixture()
def quick(tmp_path, monkeypatch) -> Settings:
    """Settings of a fresh data dir embedding with ONNX (fast), also for `qa ingest` run through the CLI."""
    for name, value in QUICK_INGEST.items():
        monkeypatch.setenv(name, value)
    return Settings(data_dir=tmp_path / "qa-data")


def chunk_ids(settings: Settings) -> set[str]:
    store = Store(settings)
    try:
        return store.chunk_ids()
    finally:
        store.close()


def test_a_huge_record_is_cut_to_the_limit_and_named(quick, tmp_path, monkeypatch):
    monkeypatch.setenv("QA_MAX_ARTICLE_CHARS", str(LIMIT))
    body = PARAGRAPH * (3_000_000 // len(PARAGRAPH))  # a 3 MB "article"
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "dump.jsonl").write_text(json.dumps({"id": "dump", "title": "Harbour minutes", "body": body}) + "\n")
    args = ["ingest", str(folder), "--json", "--data-dir", str(quick.data_dir)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    [note] = summary["truncated"]
    assert note["path"].endswith("dump.jsonl:1") and note["chars"] == len(body.strip())
    assert LIMIT - CUT_SEARCH_CHARS <= note["indexed"] <= LIMIT
    said = " ".join(result.output.split())
    assert f"truncated {note['path']}: {note['chars']:,} characters; indexed the first {note['indexed']:,}" in said
    store = Store(Settings(data_dir=quick.data_dir))
    try:
        passages = store.get_passages(sorted(store.chunk_ids())).values()
    finally:
        store.close()
    assert passages and max(p.end for p in passages) <= note["indexed"]
    assert summary["chunks_written"] == len(passages) < 60  # 3 MB whole would be ~4,000 chunks
    assert all(body[p.start : p.end] == p.text for p in passages), "offsets still point into the article's body"


def test_write_batches_are_bounded_in_characters_as_well_as_articles():
    sizes = [600_000, 600_000, *[10_000] * 40, 3 * WRITE_BATCH_CHARS, 5_000]
    articles = [Article(id=f"a{i}", title="t", body="x" * size) for i, size in enumerate(sizes)]
    batches = write_batches(articles, max_articles=32)
    assert [a.id for batch in batches for a in batch] == [a.id for a in articles], "order and articles kept"
    for batch in batches:
        chars = sum(len(a.body) for a in batch)
        assert len(batch) <= 32 and (chars <= WRITE_BATCH_CHARS or len(batch) == 1), [len(a.body) for a in batch]
    assert len(batches[0]) == 1, "two long articles are not embedded together"


def test_chunks_embedded_a_slice_at_a_time_keep_their_own_vectors(quick, tmp_path, monkeypatch):
    monkeypatch.setattr("ingest.write.WRITE_SLICE_CHUNKS", 4)
    settings = Settings(data_dir=quick.data_dir, chunk_tokens=48)
    folder = tmp_path / "in"
    folder.mkdir()
    long = "".join(f"Paragraph {n} of the report names the {n}th pier of the harbour. " for n in range(60))
    (folder / "short.md").write_text("---\ntitle: Pier count\n---\n\nThe harbour has sixty piers.\n")
    (folder / "long.md").write_text(f"---\ntitle: Pier report\n---\n\n{long}\n")
    summary = ingest([folder], settings)
    assert summary.chunks_written > 12  # several slices of 4, across both articles
    arrays = Arrays.open(settings.arrays_dir, read_version(settings.arrays_dir))
    rows = range(arrays.total_rows)
    stored = Store(settings)
    try:
        found = stored.get_chunks(sorted(stored.chunk_ids()))
        vectors = {chunk_id: np.asarray(vector) for chunk_id, (_, vector) in found.items()}
        indexer = Indexer(settings, stored)
        expected = {}
        for article in load([folder], settings.max_file_bytes).articles.values():
            prepared = indexer.prepare(article)
            texts = [f"{prepared.prefix}\n{c.text}" if prepared.prefix else c.text for c in prepared.chunks]
            for chunk, vector in zip(prepared.chunks, indexer.embeddings.embed_documents(texts), strict=True):
                expected[chunk.id] = np.asarray(vector)
    finally:
        stored.close()
    assert set(vectors) == set(expected) and len(rows) == summary.chunks_written
    for row in rows:
        chunk_id = arrays.passage(row).chunk_id
        assert np.dot(arrays.vectors([row])[0], expected[chunk_id]) > 0.999, f"row {row} holds another chunk's vector"
        assert np.dot(vectors[chunk_id], expected[chunk_id]) > 0.999


def test_an_update_counts_the_chunks_it_drops(quick, tmp_path):
    settings = Settings(data_dir=quick.data_dir, chunk_tokens=48)
    folder = tmp_path / "in"
    folder.mkdir()
    article = folder / "story.md"
    sentences = [f"The council approved repair number {n} for the old mill bridge on Tuesday." for n in range(30)]
    article.write_text("---\ntitle: Bridge repairs\n---\n\n" + " ".join(sentences) + "\n")
    ingest([folder], settings)
    before = chunk_ids(settings)
    article.write_text("---\ntitle: Bridge repairs\n---\n\n" + " ".join(sentences[:2]) + "\n")
    summary = ingest([folder], settings)
    after = chunk_ids(settings)
    assert summary.updated == 1 and len(before) > len(after)
    assert summary.chunks_deleted == len(before - after) > 0
    assert summary.to_json()["chunks_deleted"] == summary.chunks_deleted


def test_a_batch_question_refused_when_asked_names_its_line(indexed_corpus, tmp_path):
    questions = tmp_path / "q.jsonl"
    lines = [{"id": "a", "question": "How many e-bikes is Nimbus recalling?"}, {"id": "w", "question": "the"}]
    questions.write_text("\n\n".join(json.dumps(line) for line in lines) + "\n")  # the second question on line 3
    answers = tmp_path / "a.jsonl"
    args = ["ask", "--batch", str(questions), "--out", str(answers), "--data-dir", str(indexed_corpus.data_dir)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in answers.read_text().splitlines()] == ["a"]
    assert f"{questions}: line 3: id w: " in " ".join(result.output.split()), result.output

