"""Server mode against a real `chroma run`: same behaviour as embedded, shared corpora, clear failures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import server_fixtures
from corpora import ARTICLES
from server_fixtures import TokenProxy, free_port

from ingest.index import ingest
from qa.answer.assistant import Assistant
from qa.core.errors import StoreError
from qa.core.settings import Settings
from qa.store.bm25 import Bm25Index
from qa.store.chroma import Store

pytestmark = pytest.mark.server
chroma_server = server_fixtures.chroma_server  # fixtures, shared with other server-mode test modules
own_chroma_server = server_fixtures.own_chroma_server

RECALL_QUESTION = "How many e-bikes is Nimbus recalling and why?"
LIGHTHOUSE = """---
title: Zephyrine lighthouse gets a new keeper
source: Coastal Daily
date: 2024-04-02
---

Oswin Marlowe became the keeper of the Zephyrine lighthouse on Monday, the harbour board said.

Marlowe, a retired ferry captain, will live in the lighthouse cottage and tend the lamp every night.
"""
LIGHTHOUSE_QUESTION = "Who is the new keeper of the Zephyrine lighthouse?"


def make_settings(data_dir: Path, url: str | None = None, collection: str | None = None, **more) -> Settings:
    """Settings for one test: its own data dir, and its own collection on the shared server."""
    collection = collection or f"t-{uuid.uuid4().hex[:10]}"
    return Settings(data_dir=data_dir, collection=collection, chroma_url=url, **more)


@pytest.fixture()
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(ARTICLES, folder)
    return folder


@pytest.fixture(params=["embedded", "server"])
def mode_settings(request, tmp_path) -> Settings:
    url = request.getfixturevalue("chroma_server").url if request.param == "server" else None
    return make_settings(tmp_path / "qa-data", url)


def cited(answer) -> set[str]:
    return {c.passage.article_id for c in answer.citations}


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "400", "QA_DATA_DIR": os.environ["QA_DATA_DIR"]}
    return subprocess.run(
        [sys.executable, "-m", "qa.serve.cli", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


# ---- same behaviour in both modes -------------------------------------------------------------


def test_ingest_answer_and_rerun(mode_settings, corpus):
    summary = ingest([corpus], mode_settings)
    assert summary.added == 5 and summary.chunks_written > 0
    store = Store(mode_settings)
    ids = store.chunk_ids()
    assert store.chunk_count() == len(ids) == summary.chunks_written

    answer = Assistant(mode_settings).ask(RECALL_QUESTION)
    assert not answer.abstained and "tech-001" in cited(answer)

    again = ingest([corpus], mode_settings)
    assert (again.unchanged, again.chunks_written, again.changed) == (5, 0, False)
    assert store.chunk_ids() == ids and store.chunk_count() == len(ids)


def test_server_index_is_the_embedded_index(chroma_server, corpus, tmp_path):
    embedded = make_settings(tmp_path / "embedded")
    served = make_settings(tmp_path / "served", chroma_server.url)
    ingest([corpus], embedded)
    ingest([corpus], served)
    assert Store(served).chunk_ids() == Store(embedded).chunk_ids()
    assert Store(served).manifest() == Store(embedded).manifest()
    one, two = Assistant(embedded).ask(RECALL_QUESTION), Assistant(served).ask(RECALL_QUESTION)
    assert one.text == two.text
    assert [c.passage.chunk_id for c in one.citations] == [c.passage.chunk_id for c in two.citations]


def current_bm25(assistant: Assistant) -> Bm25Index:
    """The BM25 index the assistant's next question would read (reloaded if the corpus moved on)."""
    return assistant.searcher.hybrid.corpora.corpus().bm25


def knows(bm25: Bm25Index, word: str) -> bool:
    """Whether any indexed chunk matches ``word``."""
    scores = bm25.scores_for(word)
    return bool(len(scores) and scores.max() > 0)


# ---- two clients, one corpus ------------------------------------------------------------------


def test_second_client_sees_reindex_and_rebuild_within_one_query(chroma_server, corpus, tmp_path):
    writer = make_settings(tmp_path / "writer", chroma_server.url)
    reader = make_settings(tmp_path / "reader", chroma_server.url, collection=writer.collection)
    ingest([corpus], writer)
    app = Assistant(reader)
    assert "tech-001" in cited(app.ask(RECALL_QUESTION))
    assert not knows(current_bm25(app), "Zephyrine")

    (corpus / "lighthouse.md").write_text(LIGHTHOUSE)
    assert ingest([corpus], writer).added == 1
    answer = app.ask(LIGHTHOUSE_QUESTION)  # the very next query, same process, no restart
    new_id = {e.article_id for e in Store(writer).manifest().values() if e.source == "Coastal Daily"}
    assert cited(answer) & new_id  # unknown to the reader's in-memory corpus before this very query
    version = Store(writer).version()
    assert current_bm25(app).version == version
    assert knows(current_bm25(app), "Zephyrine")

    only_lighthouse = tmp_path / "only"
    only_lighthouse.mkdir()
    shutil.copy(corpus / "lighthouse.md", only_lighthouse)
    ingest([only_lighthouse], writer, rebuild=True)  # drops and re-creates the collections under the reader
    assert Store(writer).version() > version
    after = app.ask(RECALL_QUESTION)
    assert "tech-001" not in cited(after)
    found = app.searcher.hybrid.search("Zephyrine lighthouse keeper", 5)
    # passages are windows of articles (ids of their own): each must come from an article of the rebuilt store
    assert found and {p.article_id for p in found} <= {e.article_id for e in Store(writer).manifest().values()}


def test_bm25_cache_is_kept_per_server_and_collection(chroma_server, corpus, tmp_path):
    data_dir = tmp_path / "one-data-dir"
    embedded = make_settings(data_dir, collection="news")
    served = make_settings(data_dir, chroma_server.url, collection="news-bm25-key")
    assert len({embedded.arrays_dir, served.arrays_dir, make_settings(data_dir, "http://other:8000").arrays_dir}) == 3

    (corpus / "lighthouse.md").write_text(LIGHTHOUSE)
    same_name = make_settings(data_dir, chroma_server.url, collection="news")
    ingest([corpus / "lighthouse.md"], same_name)
    ingest([corpus / "glacier.jsonl"], embedded)  # both corpora are now at version 1, in one data dir
    bm25 = current_bm25(Assistant(same_name))
    assert set(bm25.chunk_ids) == Store(same_name).chunk_ids()
    assert knows(bm25, "Zephyrine") and not knows(bm25, "Nimbus")


# ---- failures ---------------------------------------------------------------------------------


@pytest.mark.timeout(180)  # a hang, not a slow machine, fails this test
def test_server_killed_mid_ingest_then_rerun_completes_without_duplicates(own_chroma_server, corpus, tmp_path):
    settings = make_settings(tmp_path / "qa-data", own_chroma_server.url, write_batch_articles=1, chroma_timeout=10)
    with pytest.raises(StoreError, match="Cannot reach the Chroma server"):
        ingest([corpus], settings, progress=lambda done: own_chroma_server.kill())
    partial = own_chroma_server.path

    own_chroma_server.start()  # same path, same port
    assert own_chroma_server.path == partial
    summary = ingest([corpus], settings)
    assert summary.added + summary.unchanged == 5
    store = Store(settings)
    assert all(entry.state == "done" for entry in store.manifest().values())
    ids = store.chunk_ids()
    assert store.chunk_count() == len(ids)

    clean = make_settings(tmp_path / "clean", own_chroma_server.url)
    ingest([corpus], clean)
    assert Store(clean).chunk_ids() == ids
    assert "tech-001" in cited(Assistant(settings).ask(RECALL_QUESTION))


@pytest.mark.timeout(120)  # without QA_CHROMA_TIMEOUT these calls would wait forever
def test_hung_server_fails_after_the_timeout_instead_of_waiting_forever(own_chroma_server, tmp_path):
    settings = make_settings(tmp_path / "qa-data", own_chroma_server.url, chroma_timeout=2)
    store = Store(settings)
    own_chroma_server.pause()
    try:
        for call in (store.chunk_count, lambda: Store(settings)):
            with pytest.raises(StoreError, match="Cannot reach the Chroma server.*timed out"):
                call()  # the timeout fired: the message says so
    finally:
        own_chroma_server.resume()
    assert store.chunk_count() == 0


@pytest.mark.parametrize("command", [["stats"], ["ingest", str(ARTICLES)]])
def test_cli_with_server_down_prints_one_line_and_fails(command):
    url = f"http://127.0.0.1:{free_port()}"
    result = run_cli(*command, "--chroma-url", url)  # run_cli's own timeout catches a hang
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: Cannot reach the Chroma server at {url}")


NO_INDEX_COMMANDS = {"serve-llm"}  # serves a language model; it never opens an index


def test_every_command_that_reads_an_index_takes_chroma_url():
    from typer.main import get_command

    from qa.serve.cli import app

    commands = get_command(app).commands
    assert set(commands) >= NO_INDEX_COMMANDS
    missing = [
        name
        for name, cmd in commands.items()
        if name not in NO_INDEX_COMMANDS and "--chroma-url" not in {o for p in cmd.params for o in p.opts}
    ]
    assert not missing, f"commands without --chroma-url: {missing}"


def test_token_is_sent_and_a_refused_token_is_one_clear_error(chroma_server, tmp_path):
    with TokenProxy(chroma_server.url, token="s3cret") as proxy:
        good = make_settings(tmp_path / "qa-data", proxy.url, chroma_token="s3cret")
        assert Store(good).chunk_count() == 0
        for token in ("wrong", None):
            with pytest.raises(StoreError, match="refused access.*QA_CHROMA_TOKEN"):
                Store(make_settings(tmp_path / "qa-data", proxy.url, chroma_token=token))
        result = run_cli("stats", "--chroma-url", proxy.url)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "QA_CHROMA_TOKEN" in result.stderr
