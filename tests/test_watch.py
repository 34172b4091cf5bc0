"""`qa watch` (issue 21, item 3): a real `qa watch` process picks up files dropped into its folder and re-polls web
pages served on 127.0.0.1, stops cleanly on SIGTERM, and a kill -9 in the middle of a cycle leaves an index the
next run makes whole; a chat open before a cycle answers from what it added."""

from __future__ import annotations

import fcntl
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from corpora import ARTICLES, QUICK_INGEST
from typer.testing import CliRunner

from ingest.index import ingest
from qa.core.settings import Settings, parse_duration
from qa.serve.cli import app
from qa.serve.live import LiveAssistant
from qa.serve.watch import Targets, Watcher

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (\d+) added, (\d+) updated, (\d+) unchanged")
OWLS = "Owls return to Kestrel Moor\n\nA pair of barn owls nested on Kestrel Moor for the first time in thirty years, "
OWLS += "the moor's wardens said on Tuesday. The owls raised four chicks in an old quarry barn.\n"
OWLS_QUESTION = "Where did the barn owls nest?"
PAGE = """<html><head><title>{title}</title><meta property="og:site_name" content="Fen Courier"></head><body>
<article><h1>{title}</h1><p>{body}</p><p>The ferry across the Wenlow estuary carries some two hundred passengers a
day between the harbour villages, and its timetable is set by the county council each spring.</p></article>
</body></html>"""


class WatchProcess:
    """``qa watch ARGS`` as a child process; its stdout lines arrive on a queue read by `summary`."""

    def __init__(self, *args: str, data_dir: Path, **env: str) -> None:
        environment = {**os.environ, **QUICK_INGEST, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", **env}
        command = [sys.executable, "-m", "qa.serve.cli", "watch", *args, "--data-dir", str(data_dir)]
        pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        self.process = subprocess.Popen(command, text=True, env=environment, **pipes)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def summary(self, timeout: float = 60.0) -> tuple[int, int, int]:
        """(added, updated, unchanged) of the next cycle's summary line."""
        line = self.last = self.lines.get(timeout=timeout)
        match = SUMMARY.match(line)
        assert match, line
        return int(match[1]), int(match[2]), int(match[3])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> tuple[int, str]:
        self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        return code, self.process.stderr.read()


def qa(*args: str) -> dict:
    """A ``qa`` command with ``--json`` in a child process (the watch is gone by then): its JSON."""
    environment = {**os.environ, **QUICK_INGEST, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "qa.serve.cli", *args, "--json"], capture_output=True, text=True, env=environment
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture()
def folder(tmp_path) -> Path:
    news = tmp_path / "news"
    news.mkdir()
    shutil.copy(ARTICLES / "harbor-bridge.txt", news)
    return news


def test_durations_and_targets_are_checked(tmp_path):
    assert (parse_duration("90s"), parse_duration("15m"), parse_duration("1h"), parse_duration("2")) == (
        90.0,
        900.0,
        3600.0,
        2.0,
    )
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("soon")
    assert Settings(watch_every="1.5h").watch_every == 5400.0
    missing = CliRunner().invoke(app, ["watch", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    bad = CliRunner().invoke(app, ["watch", str(tmp_path), "--every", "often"])
    assert bad.exit_code == 2 and "not a duration" in bad.output
    targets = Targets.parse([str(tmp_path), "https://example.org/a", str(tmp_path)])
    assert targets.local == (tmp_path.resolve(),) and targets.urls == ("https://example.org/a",)


def test_a_file_dropped_into_the_folder_is_indexed_and_sigterm_stops_cleanly(folder, tmp_path):
    data = tmp_path / "qa-data"
    watch = WatchProcess(str(folder), "--every", "1s", data_dir=data)
    try:
        assert watch.summary() == (1, 0, 0)  # the first cycle at start
        (folder / "owls.txt").write_text(OWLS)
        (folder / "notes.tmp").write_text("an editor's temporary file: no cycle")
        assert watch.summary() == (1, 0, 1)
        code, stderr = watch.stop()
    finally:
        watch.process.kill()
    assert code == 0, stderr
    assert "Stopping" in stderr and "Traceback" not in stderr
    answer = qa("ask", OWLS_QUESTION, "--data-dir", str(data))
    assert answer["citations"] and "Kestrel Moor" in answer["citations"][0]["excerpt"]


class Site(BaseHTTPRequestHandler):
    """One page whose text the test changes; ``ETag``-less, so every poll fetches it."""

    body = "The Wenlow ferry will run every hour from May."

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        page = PAGE.format(title="Wenlow ferry timetable", body=type(self).body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)


def test_a_polled_page_that_changes_is_ingested_again(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/ferry"
    watch = WatchProcess(url, "--every", "1s", data_dir=tmp_path / "qa-data", QA_FETCH_INTERVAL="0")
    try:
        assert watch.summary() == (1, 0, 0)
        assert watch.summary() == (0, 0, 1)  # polled again, unchanged
        Site.body = "The Wenlow ferry will run every half hour from June, the council decided."
        deadline = time.monotonic() + 30
        while (changed := watch.summary()) == (0, 0, 1) and time.monotonic() < deadline:
            pass
        assert changed == (0, 1, 0)
        code, stderr = watch.stop()
    finally:
        watch.process.kill()
        server.shutdown()
    assert code == 0, stderr


def _writer_busy(data: Path) -> bool:
    lock = data / "ingest.lock"
    if not lock.exists():
        return False
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def test_kill_9_during_a_cycle_then_a_restart_leaves_every_article_once(folder, tmp_path):
    data = tmp_path / "qa-data"
    watch = WatchProcess(str(folder), "--every", "1s", data_dir=data)
    try:
        assert watch.summary() == (1, 0, 0)
        stories = [
            f"Tide report {n}\n\n" + " ".join(f"Tide gauge {n} on pier {m} read {n + m} metres." for m in range(80))
            for n in range(16)
        ]
        for n, story in enumerate(stories):
            (folder / f"tide-{n}.txt").write_text(story)
        deadline = time.monotonic() + 30
        while not _writer_busy(data) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _writer_busy(data), "the cycle never started"
        time.sleep(0.8)  # into the cycle: reading, embedding or writing
        watch.process.kill()
        watch.process.wait(timeout=10)
    finally:
        watch.process.kill()
    (folder / "owls.txt").write_text(OWLS)
    again = WatchProcess(str(folder), "--every", "1s", data_dir=data)
    try:
        added, updated, unchanged = again.summary(timeout=120)
        assert added + unchanged == 18 and updated == 0
        code, stderr = again.stop()
    finally:
        again.process.kill()
    assert code == 0, stderr
    stats = qa("stats", "--data-dir", str(data))
    assert stats["articles"] == 18
    rerun = qa("ingest", str(folder), "--data-dir", str(data))
    assert (rerun["added"], rerun["updated"], rerun["unchanged"], rerun["recovered"]) == (0, 0, 18, 0)


def test_a_chat_open_before_a_cycle_answers_from_the_file_it_added(folder, tmp_path):
    settings = Settings(data_dir=tmp_path / "qa-data", embed_backend="onnx")
    ingest([folder], settings)
    live = LiveAssistant(settings).start(watch=False)
    try:
        assert "Kestrel Moor" not in json.dumps(_ask(live, OWLS_QUESTION).to_json())
        (folder / "owls.txt").write_text(OWLS)
        cycles = []

        def report(cycle) -> None:
            cycles.append(cycle)
            watcher.stop.set()  # one cycle is enough

        watcher = Watcher(Targets.parse([str(folder)]), settings, 60.0, report)
        watcher.run()
        assert cycles[0].summary.added == 1 and not watcher.last_error
        assert live.reload() is True  # what the chat's index watcher does every QA_RELOAD_INTERVAL
        answer = _ask(live, OWLS_QUESTION)
        assert answer.citations and "Kestrel Moor" in answer.citations[0].passage.text
    finally:
        live.close()


def test_a_cycle_that_finds_the_writer_lock_held_is_reported_and_retried(folder, tmp_path):
    from qa.store.lock import writer_lock

    settings = Settings(data_dir=tmp_path / "qa-data", embed_backend="onnx")
    cycles = []

    def report(cycle) -> None:
        cycles.append(cycle)
        if len(cycles) == 1:
            held.__exit__(None, None, None)  # the other ingest finishes
        else:
            watcher.stop.set()

    watcher = Watcher(Targets.parse([str(folder)]), settings, 0.5, report)
    held = writer_lock(settings)
    held.__enter__()
    watcher.run()
    assert "Another `qa ingest`" in cycles[0].error and cycles[0].retry_in == 0.5
    assert cycles[1].summary is not None and cycles[1].summary.added == 1 and not watcher.last_error


def _ask(live: LiveAssistant, question: str):
    with live.generation() as assistant:
        return assistant.ask(question)
