"""The server beside `qa ingest`: it answers from its snapshot while an ingest runs, then swaps to the new corpus."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from ingest.index import ingest
from qa.core.settings import Settings
from qa.serve.live import LiveAssistant
from qa.store.lock import writer_lock
from qa.store.snapshots import corpus_signature, serving_root

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


def ask(live: LiveAssistant, question: str):
    with live.generation() as assistant:
        return assistant.ask(question)


def cited_titles(answer) -> set[str]:
    return {c.passage.title for c in answer.citations}


def test_answers_from_old_snapshot_during_ingest_then_swaps(corpus_and_settings):
    corpus, settings = corpus_and_settings
    live = LiveAssistant(settings).start()
    try:
        before = live.stats()
        assert before.articles == 5
        assert not any("Gull Point" in t for t in cited_titles(ask(live, LIGHTHOUSE)))

        shutil.copy(FIXTURES / "hostile" / "lighthouse-hostile.md", corpus)
        (corpus / "harbor-bridge.txt").write_text((corpus / "harbor-bridge.txt").read_text() + "\n\nEdited.\n")
        errors: list[BaseException] = []
        answered = threading.Event()  # the ingest, its chunks written, waits for one answer from the old snapshot
        written = lambda done: answered.wait(timeout=60)  # noqa: E731 - (a fast backend could finish first)
        worker = threading.Thread(target=lambda: _run(errors, ingest, [corpus], settings, progress=written))
        worker.start()
        answered_during = 0
        while worker.is_alive():
            answer = ask(live, "How much money did the council approve for the Old Mill Bridge?")
            assert answer.citations and not answer.abstained
            for c in answer.citations:  # every excerpt is intact text of the snapshot it came from
                assert c.passage.text[c.start - c.passage.start : c.end - c.passage.start] == c.sentence
            if worker.is_alive():
                assert live.stats().corpus_version == before.corpus_version
                answered_during += 1
                answered.set()
        worker.join()
        assert not errors, errors
        assert answered_during > 0
        assert wait_for(lambda: live.stats().corpus_version > before.corpus_version)
        assert live.stats().articles == 6
        assert any("Gull Point" in t for t in cited_titles(ask(live, LIGHTHOUSE)))
        assert wait_for(lambda: len(list(serving_root(settings).iterdir())) == 1)  # the old snapshot is gone
    finally:
        live.close()
    assert not any(serving_root(settings).iterdir())


def test_no_snapshot_is_taken_while_the_writer_lock_is_held(corpus_and_settings):
    corpus, settings = corpus_and_settings
    live = LiveAssistant(settings).start(watch=False)
    try:
        signature = corpus_signature(settings)
        with live.generation() as assistant:
            serving = assistant.settings.data_dir
        with writer_lock(settings):
            assert live.reload(force=True) is False  # an ingest is running: keep the current snapshot
            with live.generation() as assistant:
                assert assistant.settings.data_dir == serving and serving.is_dir()
            answer = ask(live, "How much money did the council approve for the Old Mill Bridge?")
            assert answer.citations and not answer.abstained  # still answering, from the kept snapshot
        assert live.reload() is True
        assert corpus_signature(settings) == signature
    finally:
        live.close()


def _run(errors: list, fn, *args, **kwargs) -> None:
    try:
        fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)


def test_first_start_builds_the_index_from_the_corpus_folder(tmp_path):
    from qa.serve.ui.start import build_if_empty

    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "articles", corpus)
    settings = Settings(data_dir=tmp_path / "qa-data", corpus_dir=corpus)
    live = LiveAssistant(settings).start(watch=False)
    try:
        assert live.stats().articles == 0
        build_if_empty(live, settings)  # what `make run` / `python app.py` does on a fresh clone
        assert live.stats().articles == 5
        assert ask(live, "How many e-bikes is Nimbus recalling?").citations
    finally:
        live.close()


def test_a_stopped_server_removes_its_snapshot_and_a_new_one_sweeps_leftovers(corpus_and_settings):
    """`qa serve` stopped with SIGTERM (docker stop, systemd) or Ctrl-C leaves no ``serving/<pid>-<n>`` behind;
    copies left by a killed server, even one whose process id is now someone else's, are swept at start."""
    import os
    import signal
    import sys

    _, settings = corpus_and_settings
    serving = settings.data_dir / "serving"
    serving.mkdir(parents=True, exist_ok=True)
    dead = serving / "999999999-1"  # a process id that cannot be alive
    dead.mkdir()
    reused = serving / f"{os.getpid()}-9999"  # an alive pid, but its .owner is unlocked: nobody serves it
    reused.mkdir()
    (reused / ".owner").write_text("")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "QA_RELOAD_INTERVAL": "0.5"}
    command = [sys.executable, "-m", "qa.serve.cli", "serve", "--data-dir", str(settings.data_dir)]
    _serve_then_stop(command, env, serving, signal.SIGTERM)  # Ctrl-C (SIGINT) takes the same path
    assert not dead.exists() and not reused.exists()
    assert not any(serving.iterdir()), list(serving.iterdir())


def _serve_then_stop(command: list[str], env: dict, serving: Path, stop: int) -> None:
    import subprocess

    from server_fixtures import free_port

    port = free_port()
    server = subprocess.Popen(
        [*command, "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        assert wait_for(lambda: (serving / f"{server.pid}-1" / ".owner").exists(), timeout=120)
        assert wait_for(lambda: _listening(port) or server.poll() is not None, timeout=120)
        assert server.poll() is None, server.stderr.read()
        server.send_signal(stop)
        assert server.wait(timeout=60) in (0, 130), server.stderr.read()  # 130: the CLI's "Interrupted."
    finally:
        if server.poll() is None:
            server.kill()


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
