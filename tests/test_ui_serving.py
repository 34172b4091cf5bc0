"""The server beside `qa ingest`: it answers from its snapshot while an ingest runs, then swaps to the new corpus."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from ingest.index import ingest
from qa.core.settings import Settings
from qa.serve.snapshots import LiveAssistant, corpus_signature
from qa.store.lock import writer_lock

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).parent / "fixtures"
LIGHTHOUSE = "How much did the Gull Point lighthouse restoration cost, according to keeper Marta Olsen?"


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture()
def corpus_and_settings(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "articles", corpus)
    settings = Settings(data_dir=tmp_path / "qa-data", corpus_dir=corpus, reload_interval=0.2)
    ingest([corpus], settings)
    return corpus, settings


def cited_titles(answer) -> set[str]:
    return {c.passage.title for c in answer.citations}


def test_answers_from_old_snapshot_during_ingest_then_swaps(corpus_and_settings):
    corpus, settings = corpus_and_settings
    live = LiveAssistant(settings).start()
    try:
        before = live.stats()
        assert before["articles"] == 5
        assert not any("Gull Point" in t for t in cited_titles(live.ask(LIGHTHOUSE)))

        shutil.copy(FIXTURES / "hostile" / "lighthouse-hostile.md", corpus)
        (corpus / "harbor-bridge.txt").write_text((corpus / "harbor-bridge.txt").read_text() + "\n\nEdited.\n")
        errors: list[BaseException] = []
        worker = threading.Thread(target=lambda: _run(errors, ingest, [corpus], settings))
        worker.start()
        answered_during = 0
        while worker.is_alive():
            answer = live.ask("How much money did the council approve for the Old Mill Bridge?")
            assert answer.citations and not answer.abstained
            for c in answer.citations:  # every excerpt is intact text of the snapshot it came from
                assert c.passage.text[c.start - c.passage.start : c.end - c.passage.start] == c.sentence
            if worker.is_alive():
                assert live.stats()["corpus_version"] == before["corpus_version"]
                answered_during += 1
        worker.join()
        assert not errors, errors
        assert answered_during > 0
        assert wait_for(lambda: live.stats()["corpus_version"] > before["corpus_version"])
        assert live.stats()["articles"] == 6
        assert any("Gull Point" in t for t in cited_titles(live.ask(LIGHTHOUSE)))
        assert wait_for(lambda: len(list(live.root.iterdir())) == 1)  # the old snapshot is gone
    finally:
        live.close()
    assert not any(live.root.iterdir())


def test_no_snapshot_is_taken_while_the_writer_lock_is_held(corpus_and_settings):
    corpus, settings = corpus_and_settings
    live = LiveAssistant(settings).start(watch=False)
    try:
        signature = corpus_signature(settings)
        with live.generation() as gen:
            serving = gen.folder
        with writer_lock(settings):
            assert live.reload(force=True) is False  # an ingest is running: keep the current snapshot
            with live.generation() as gen:
                assert gen.folder == serving and serving.is_dir()
            answer = live.ask("How much money did the council approve for the Old Mill Bridge?")
            assert answer.citations and not answer.abstained  # still answering, from the kept snapshot
        assert live.reload() is True
        assert corpus_signature(settings) == signature
    finally:
        live.close()


def _run(errors: list, fn, *args) -> None:
    try:
        fn(*args)
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)


def test_first_start_builds_the_index_from_the_corpus_folder(tmp_path):
    from qa.serve.ui.start import build_if_empty

    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "articles", corpus)
    settings = Settings(data_dir=tmp_path / "qa-data", corpus_dir=corpus)
    live = LiveAssistant(settings).start(watch=False)
    try:
        assert live.stats()["articles"] == 0
        build_if_empty(live, settings)  # what `make run` / `python app.py` does on a fresh clone
        assert live.stats()["articles"] == 5
        assert live.ask("How many e-bikes is Nimbus recalling?").citations
    finally:
        live.close()
