"""Issue 14 at ingest: every input that is not indexed is a named skip with its true reason (deep JSON,
unreadable files and folders, named pipes, broken links), the rest is indexed, and long bodies are read
and chunked in bounded pieces."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.article import Article
from ingest.chunk import COUNT_BATCH_CHARS, WINDOW_CHARS, chunk_article
from ingest.load import load_file, load_paths
from qa.core.types import Skip
from qa.store.embeddings.model import get_tokenizer

LIMIT = 10_000_000
GOOD = "Harbour council approves ferry plan\n\nThe harbour council approved a new ferry timetable on Monday.\n"
DEEP = "[" * 100_000 + "]" * 100_000
ROOT = Path(__file__).resolve().parents[1]


def outcome(paths: list[Path]) -> tuple[list[str], dict[str, str]]:
    """Names of the files articles came from, and skipped path -> reason."""
    items = list(load_paths(paths, LIMIT))
    articles = [Path(i.origin).name for i in items if isinstance(i, Article)]
    return articles, {i.path: i.reason for i in items if isinstance(i, Skip)}


def test_deeply_nested_json_is_a_named_skip_and_the_rest_is_read(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD)
    (tmp_path / "deep.json").write_text(DEEP)
    record = json.dumps({"id": "r1", "title": "Ferry", "body": "The ferry runs again."})
    (tmp_path / "lines.jsonl").write_text(f"{record}\n{DEEP}\n{record.replace('r1', 'r2')}\n")
    articles, skips = outcome([tmp_path])
    assert articles == ["good.txt", "lines.jsonl", "lines.jsonl"]
    assert skips == {
        str(tmp_path / "deep.json"): "JSON nested too deeply to read",
        f"{tmp_path / 'lines.jsonl'}:2": "JSON nested too deeply to read",
    }


def test_named_pipes_broken_links_and_links_to_folders_are_named(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD)
    os.mkfifo(tmp_path / "pipe.txt")
    os.symlink("missing.txt", tmp_path / "dangling.txt")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "linked")
    articles, skips = outcome([tmp_path, tmp_path / "pipe.txt", tmp_path / "dangling.txt"])
    assert articles == ["good.txt"]
    pipe, dangling = str(tmp_path / "pipe.txt"), str(tmp_path / "dangling.txt")
    assert skips == {
        pipe: "not a regular file (a named pipe)",
        dangling: "broken symbolic link (to 'missing.txt')",
        str(tmp_path / "linked"): "symbolic link to a folder (not followed)",
    }
    assert [s.reason for s in load_file(tmp_path / "pipe.txt", LIMIT)] == ["not a regular file (a named pipe)"]


def unreadable_outcome(root: Path) -> tuple[list[str], dict[str, str]]:
    """`outcome` for ``root`` and its unreadable file named directly; as root, in a child process without
    the capabilities that let root read anything (so permissions really apply)."""
    paths = [root, root / "secret.txt"]
    if os.geteuid() != 0:
        return outcome(paths)
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: permissions cannot be made to apply")
    drop = "-dac_override,-dac_read_search"
    code = (
        "import json, sys; from pathlib import Path; from tests.test_hostile_load import outcome; "
        "print(json.dumps(outcome([Path(p) for p in sys.argv[1:]])))"
    )
    result = subprocess.run(
        ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", sys.executable, "-c", code, *map(str, paths)],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True,
    )  # fmt: skip
    articles, skips = json.loads(result.stdout)
    return articles, skips


def test_unreadable_files_and_folders_are_named_and_the_rest_is_read(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD)
    (tmp_path / "secret.txt").write_text(GOOD)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "inside.txt").write_text(GOOD)
    os.chmod(tmp_path / "secret.txt", 0)
    os.chmod(tmp_path / "locked", 0)
    try:
        articles, skips = unreadable_outcome(tmp_path)
    finally:
        os.chmod(tmp_path / "locked", 0o755)
    assert articles == ["good.txt"]
    assert skips == {
        str(tmp_path / "secret.txt"): "cannot read: Permission denied",
        str(tmp_path / "locked"): "cannot read folder: Permission denied",
    }


def test_a_jsonl_line_that_is_not_utf8_is_read_alone(tmp_path):
    rows = [{"id": f"r{n}", "title": "Café", "body": f"Le café numéro {n} ouvre."} for n in (1, 2)]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(json.dumps(rows[0], ensure_ascii=False).encode() + b"\n" + b"\xff\xfe garbage \x81\x8d\n"
                     + json.dumps(rows[1], ensure_ascii=False).encode("cp1252") + b"\n")  # fmt: skip
    items = list(load_file(path, LIMIT))
    assert [i.id for i in items if isinstance(i, Article)] == ["r1", "r2"]
    assert items[2].body == "Le café numéro 2 ouvre."
    assert [s.path for s in items if isinstance(s, Skip)] == [f"{path}:2"]


class MeasuringTokenizer:
    """The real tokenizer, noting the longest text it was ever handed in one call."""

    def __init__(self) -> None:
        self.tokenizer = get_tokenizer()
        self.longest_call = 0

    def count(self, texts):
        self.longest_call = max(self.longest_call, sum(len(t) for t in texts))
        return self.tokenizer.count(texts)

    def offsets(self, text):
        self.longest_call = max(self.longest_call, len(text))
        return self.tokenizer.offsets(text)


@pytest.mark.parametrize("sentence_end", ["", ". "])
def test_long_bodies_reach_the_tokenizer_in_bounded_pieces(sentence_end):
    """One 400,000-character sentence (or 5,000 short ones): before, the whole body went to the tokenizer
    at once, whose per-token records took ~170 bytes per character of input."""
    words = "harbour council bridge ferry repairs timetable budget vote mayor engineers"
    body = " ".join(f"{words}{sentence_end}Then" for _ in range(6_000))
    tokenizer = MeasuringTokenizer()
    chunks = chunk_article(
        Article(id="long", title="Long", body=body),
        max_tokens=200, overlap_sentences=1, count_tokens=tokenizer.count, token_offsets=tokenizer.offsets,
    )  # fmt: skip
    assert len(body) > 2 * max(WINDOW_CHARS, COUNT_BATCH_CHARS)
    assert tokenizer.longest_call <= max(WINDOW_CHARS, COUNT_BATCH_CHARS)
    assert all(c.text == body[c.start : c.end] and 0 < c.tokens <= 200 for c in chunks)
    assert chunks[0].start == 0 and chunks[-1].end == len(body)
    covered = 0
    for chunk in chunks:
        assert chunk.start <= covered + 1  # no gap between neighbours (a space at most)
        covered = max(covered, chunk.end)
