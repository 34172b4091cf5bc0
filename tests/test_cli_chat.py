"""Conversations in the terminal (issue 22): `qa ask` keeps the conversation in the data dir, ``qa ask -c``
continues it, a plain `qa ask` starts a new one, `qa chat` answers line after line; output written to a file is
never wrapped; `qa ingest`'s progress bar knows its total before the articles are read."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from corpora import FIXTURES, QUICK_INGEST, index_fixtures
from typer.testing import CliRunner

from ingest.load import JSONL_SUFFIXES, SUPPORTED_SUFFIXES
from ingest.walk import count_records
from qa.serve.cli import app
from qa.serve.conversation import LOG_NAME

REPO = Path(__file__).resolve().parents[1]
ASKED = "Who won the Laurel Prize?"
FOLLOW_UP = "What did she say about the United States?"
READ_AS = "Read as: “What did Ada Quinlan say about the United States?”"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> Path:
    """The two pronoun articles, indexed with the quick backend: the data dir (the tests write its conversation)."""
    return index_fixtures(FIXTURES / "pronoun", tmp_path_factory.mktemp("chat")).data_dir


@pytest.fixture(autouse=True)
def quick_backend(monkeypatch):
    for name, value in QUICK_INGEST.items():
        monkeypatch.setenv(name, value)


def ask(data_dir: Path, *args: str):
    return CliRunner().invoke(app, ["ask", *args, "--json", "--data-dir", str(data_dir)])


def logged(data_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (data_dir / LOG_NAME).read_text(encoding="utf-8").splitlines()]


def test_ask_then_continue_carries_the_first_turn_and_a_plain_ask_starts_anew(indexed):
    first = ask(indexed, ASKED)
    assert first.exit_code == 0, first.output
    assert [t["role"] for t in logged(indexed)] == ["user", "assistant"]
    assert logged(indexed)[1]["content"].startswith("Ada Quinlan")
    follow = ask(indexed, FOLLOW_UP, "-c")
    assert follow.exit_code == 0, follow.output
    assert READ_AS in json.loads(follow.stdout)["notice"]  # "she" resolved from the logged turn
    assert [t["content"] for t in logged(indexed)][::2] == [ASKED, FOLLOW_UP]
    alone = ask(indexed, FOLLOW_UP)  # no -c: a new conversation, "she" has nobody to stand for
    assert alone.exit_code == 0, alone.output
    assert "Ada Quinlan" not in json.loads(alone.stdout)["notice"]
    assert [t["content"] for t in logged(indexed)][::2] == [FOLLOW_UP]
    again = ask(indexed, "What did she say?", "--continue")  # the log is the --history format
    assert again.exit_code == 0 and len(logged(indexed)) == 4


def test_continue_is_refused_with_a_history_file(indexed, tmp_path):
    history = tmp_path / "turns.json"
    history.write_text("[]")
    result = ask(indexed, FOLLOW_UP, "-c", "--history", str(history))
    assert result.exit_code == 2 and "--continue" in result.output


def test_a_log_that_cannot_be_written_warns_and_the_answer_stands(indexed, tmp_path):
    data = tmp_path / "copy"
    shutil.copytree(indexed, data)
    (data / LOG_NAME).unlink(missing_ok=True)
    (data / LOG_NAME).mkdir()  # what cannot be replaced by a file (as root, a read-only folder still is writable)
    result = ask(data, ASKED, "-c")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["answer"].startswith("Ada Quinlan")
    assert "Cannot read the last conversation" in result.stderr and "Cannot save the conversation" in result.stderr


def chat(data_dir: Path, lines: list[str]) -> subprocess.CompletedProcess:
    """`qa chat` in its own process, its input piped and its output captured (not a terminal, as in a file)."""
    return subprocess.run(
        [sys.executable, "-c", "from qa.serve.cli import app; app()", "chat", "--data-dir", str(data_dir)],
        cwd=REPO,
        input="".join(line + "\n" for line in lines),
        env={**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_chat_answers_follow_ups_shows_sources_and_starts_new_topics(indexed):
    run = chat(indexed, [ASKED, FOLLOW_UP, "/sources", "/new", FOLLOW_UP, "/quit", "never asked"])
    assert run.returncode == 0, run.stderr
    answers = [line for line in run.stdout.splitlines() if "[1]" in line and not line.startswith("[1]")]
    assert answers[0] == "Ada Quinlan [1]" and answers[1].startswith("Harbor City Gazette")
    assert run.stderr.count(READ_AS) == 1  # the follow-up, not the same words after /new
    assert "New topic" in run.stderr
    cards = [line for line in run.stdout.splitlines() if line.startswith("[1] ")]
    assert len(cards) == 4  # three answers and /sources
    assert "never asked" not in run.stdout + run.stderr
    assert [t["content"] for t in logged(indexed)][::2] == [FOLLOW_UP]  # the log after /new


def test_output_to_a_file_is_never_wrapped(indexed):
    result = CliRunner().invoke(app, ["ask", ASKED, "--data-dir", str(indexed)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    urls = [line.strip() for line in lines if "://" in line]
    assert urls and all(re.fullmatch(r"https?://\S+", url) for url in urls)  # each link whole on its line
    quoted = next(line for line in lines if line.startswith("Harbor City Gazette"))
    assert len(quoted) > 100 and quoted.endswith("[1]")  # the quote line is one line, not cut at 80 columns
    assert any(len(line) > 100 and line.startswith("    ") for line in lines)  # and so is the excerpt


def test_ingest_counts_the_articles_before_reading_them(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text('{"title": "a"}\n\n{"title": "b"}\n   \n{"title": "c"}')  # 3 records
    (folder / "b.md").write_text("# one\n\ntext")
    (folder / "c.txt").write_text("two")
    (folder / "notes.csv").write_text("x,y\n1,2\n")  # skipped: counts nothing
    (folder / ".hidden.jsonl").write_text("{}\n{}\n")
    total = count_records([folder, tmp_path / "missing"], SUPPORTED_SUFFIXES, JSONL_SUFFIXES, 10**7)
    assert total == 5
    assert count_records([folder / "a.jsonl"], SUPPORTED_SUFFIXES, JSONL_SUFFIXES, 10) == 0  # over the size limit
