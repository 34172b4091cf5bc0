"""``qa ingest`` and ``qa stats`` as a user runs them: exit codes, messages, the JSON scripts read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.serve.cli import app

LOADERS = Path(__file__).parent / "fixtures" / "loaders"
GOOD = LOADERS / "good"
NASTY = LOADERS / "nasty"
REPO = Path(__file__).resolve().parents[1]
SUMMARY_KEYS = {"added", "updated", "unchanged", "removed", "skipped", "chunks_written", "seconds"}
STATS_KEYS = {"articles", "chunks", "outlets", "date_range", "model", "store"}


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture()
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


def run(runner: CliRunner, *args: str):
    return runner.invoke(app, [str(arg) for arg in args], catch_exceptions=False)


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def qa_process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``qa`` in its own process, to see exactly what a user sees on stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-c", "from qa.serve.cli import app; app()", *map(str, args)],
        cwd=REPO,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ingest_json_summary_then_a_second_run_embeds_nothing(runner, corpus, data_dir):
    first = run(runner, "ingest", corpus, "--json", "--data-dir", data_dir)
    assert first.exit_code == 0, first.output
    summary = last_json(first.stdout)
    assert set(summary) >= SUMMARY_KEYS
    assert summary["added"] == 11 and summary["skipped"] == [] and summary["chunks_written"] >= 11
    assert isinstance(summary["seconds"], float) and summary["seconds"] > 0

    second = last_json(run(runner, "ingest", corpus, "--json", "--data-dir", data_dir).stdout)
    assert (second["added"], second["unchanged"], second["chunks_written"]) == (0, 11, 0)


def test_plain_summary_line_for_people(runner, corpus, data_dir):
    result = run(runner, "ingest", corpus, "--data-dir", data_dir)
    assert result.exit_code == 0
    assert "11 added, 0 updated, 0 unchanged, 0 removed, 0 skipped" in result.stdout
    assert "chunks written" in result.stdout and "chunks/s" in result.stdout


def test_skips_are_listed_with_reasons_and_do_not_fail_the_run(runner, corpus, data_dir):
    for name in ("image.txt", "empty.txt", "broken-line.jsonl"):
        shutil.copy(NASTY / name, corpus / name)
    result = run(runner, "ingest", corpus, "--json", "--data-dir", data_dir)
    assert result.exit_code == 0
    skipped = {Path(s["path"]).name: s["reason"] for s in last_json(result.stdout)["skipped"]}
    assert skipped == {
        "image.txt": "binary or undecodable content",
        "empty.txt": "empty file",
        "broken-line.jsonl:2": skipped["broken-line.jsonl:2"],
        "broken-line.jsonl:4": "record has no body text (body/text/content)",
        "broken-line.jsonl:5": "record is not a JSON object",
    }
    assert skipped["broken-line.jsonl:2"].startswith("malformed JSON")
    for name, reason in skipped.items():
        assert f"{name}: {reason}" in result.stderr
    assert "[yellow]" not in result.stderr, "markup printed literally"


def test_strict_makes_skips_fatal_but_not_a_clean_run(runner, corpus, data_dir):
    assert run(runner, "ingest", corpus, "--strict", "--data-dir", data_dir).exit_code == 0
    shutil.copy(NASTY / "empty.txt", corpus / "empty.txt")
    result = run(runner, "ingest", corpus, "--strict", "--json", "--data-dir", data_dir)
    assert result.exit_code != 0
    assert last_json(result.stdout)["skipped"] == [{"path": str(corpus / "empty.txt"), "reason": "empty file"}]


def test_rebuild_embeds_everything_again(runner, corpus, data_dir):
    run(runner, "ingest", corpus, "--data-dir", data_dir)
    rebuilt = last_json(run(runner, "ingest", corpus, "--rebuild", "--json", "--data-dir", data_dir).stdout)
    assert (rebuilt["added"], rebuilt["unchanged"]) == (11, 0)


def test_nothing_readable_fails_with_one_clear_line(runner, tmp_path, data_dir):
    folder = tmp_path / "bad"
    folder.mkdir()
    shutil.copy(NASTY / "image.txt", folder / "image.txt")
    result = run(runner, "ingest", folder, "--data-dir", data_dir)
    assert result.exit_code != 0
    assert "No article could be read" in result.stderr and "binary or undecodable content" in result.stderr
    assert "Traceback" not in result.output


def test_stats_json_describes_the_index(runner, corpus, data_dir):
    run(runner, "ingest", corpus, "--data-dir", data_dir)
    result = run(runner, "stats", "--json", "--data-dir", data_dir)
    assert result.exit_code == 0
    stats = json.loads(result.stdout)
    assert set(stats) >= STATS_KEYS
    assert stats["articles"] == 11 and stats["chunks"] >= 11
    assert stats["outlets"]["County Post"] == 3 and stats["outlets"]["Island Times"] == 2
    assert sum(stats["outlets"].values()) == 11
    assert stats["date_range"] == ["2023-11-27", "2024-04-22"]
    assert stats["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert stats["store"] == str((data_dir / "chroma").resolve())


def test_stats_for_people_and_for_an_empty_index(runner, corpus, data_dir):
    empty = json.loads(run(runner, "stats", "--json", "--data-dir", data_dir).stdout)
    assert (empty["articles"], empty["chunks"], empty["outlets"], empty["date_range"]) == (0, 0, {}, None)
    run(runner, "ingest", corpus, "--data-dir", data_dir)
    text = run(runner, "stats", "--data-dir", data_dir).stdout
    assert "11 articles" in text and "County Post" in text


def test_data_dir_option_wins_over_the_environment(runner, corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "from-env"))
    run(runner, "ingest", corpus / "plain.txt", "--data-dir", tmp_path / "from-option")
    assert (tmp_path / "from-option" / "chroma").is_dir()
    assert not (tmp_path / "from-env").exists()


@pytest.mark.parametrize("command", [["stats"], ["stats", "--json"], ["ingest", str(GOOD / "plain.txt")]])
def test_a_store_that_cannot_be_opened_is_one_line_without_traceback(tmp_path, command):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("this file sits where the data dir should be\n")
    result = qa_process(*command, "--data-dir", str(blocker))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:") and str(blocker) in lines[0], result.stderr


def test_other_chunk_settings_are_refused_until_a_rebuild(runner, corpus, data_dir, monkeypatch):
    from qa.core.settings import get_settings

    run(runner, "ingest", corpus, "--data-dir", data_dir)
    monkeypatch.setenv("QA_CHUNK_TOKENS", "100")
    get_settings.cache_clear()
    refused = run(runner, "ingest", corpus, "--data-dir", data_dir)
    assert refused.exit_code != 0
    assert "chunk_tokens" in refused.stderr and "--rebuild" in refused.stderr and "Traceback" not in refused.output
    rebuilt = run(runner, "ingest", corpus, "--rebuild", "--json", "--data-dir", data_dir)
    assert rebuilt.exit_code == 0 and last_json(rebuilt.stdout)["added"] == 11
