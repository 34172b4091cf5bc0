"""The README stays true: every setting and every CLI command is documented, its commands run on a fresh clone,
and its links lead somewhere."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from qa.core.settings import Settings
from qa.serve.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
# created by `make run` / `make setup` (the Makefile's VENV), so a fresh clone has it once the quick start's first
# command ran; every other path a README command names must be in the repository
MADE_BY_MAKE = ".venv/"
# the quick start's commands that are not run by the test: `make run` opens the chat, `make test` is the whole suite
# (their targets are checked in the Makefile instead), `qa serve` / `qa serve-llm` start servers
NOT_RUN = {"serve", "serve-llm"}
QA_PROGRAMS = {"qa", ".venv/bin/qa"}


def test_every_setting_is_in_the_configuration_table():
    missing = [f"QA_{name.upper()}" for name in Settings.model_fields if f"`QA_{name.upper()}`" not in README]
    assert not missing, f"README's configuration table lacks {missing}"


def test_every_cli_command_is_in_the_reference():
    names = [command.name or command.callback.__name__ for command in app.registered_commands]
    assert names, "no CLI commands registered"
    missing = [name for name in names if f"`qa {name}" not in README]
    assert not missing, f"README's CLI reference lacks {missing}"


def section(text: str, heading: str) -> str:
    """The body of the ``## heading`` section of ``text`` (up to the next heading of level 1 or 2)."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^#{{1,2}} |\Z)", text, re.M | re.S)
    assert match, f"README has no '## {heading}' section"
    return match.group(1)


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"^```(?:bash|sh|shell)\n(.*?)^```", text, re.M | re.S)


def commands(block: str) -> list[list[str]]:
    """The commands of a shell block as argument lists: comments dropped, backslash continuations joined."""
    joined = block.replace("\\\n", " ")
    return [argv for line in joined.splitlines() if (argv := shlex.split(line, comments=True))]


def repo_paths() -> set[str]:
    """Every file of a fresh clone and every folder holding one."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return set(files) | {str(parent) for name in files for parent in Path(name).parents if str(parent) != "."}


def named_paths(argv: list[str]) -> list[str]:
    """The arguments (or the values of ``NAME=value`` ones) that name a path: a slash, no spaces, no URL."""
    values = [arg.split("=", 1)[-1] for arg in argv]
    return [value for value in values if "/" in value and " " not in value and "://" not in value]


def test_readme_commands_name_only_what_a_fresh_clone_has():
    blocks = shell_blocks(README)
    assert blocks, "README has no shell blocks"
    present = repo_paths()
    for block in blocks:
        assert "../" not in block, f"a README command reaches outside the repository:\n{block}"
        for argv in commands(block):
            for path in named_paths(argv):
                if path.startswith(MADE_BY_MAKE):
                    continue
                assert path.rstrip("/") in present, f"{' '.join(argv)!r} names {path}, which is not in the repository"


def test_shared_data_is_named_only_in_the_development_section():
    """``../shared`` (the developer's datasets and tools) is not in a clone: the README names it only where it says
    so, and every benchmark that needs it lives in docs/benchmarks.md."""
    outside = README.replace(section(README, "Development"), "")
    lines = [line for line in outside.splitlines() if "../shared" in line]
    assert not lines, f"README names ../shared outside its Development section: {lines}"
    assert "../shared" in section(README, "Development")


def quick_start_commands() -> list[list[str]]:
    blocks = shell_blocks(section(README, "Quick start"))
    assert len(blocks) == 1, "the Quick start section has one shell block"
    return commands(blocks[0])


def test_quick_start_make_targets_exist():
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))
    makes = [argv for argv in quick_start_commands() if argv[0] == "make"]
    assert [argv[1:] for argv in makes] == [["run"], ["test"]], "the quick start opens with `make run` / `make test`"
    assert {argv[1] for argv in makes} <= targets
    assert f"VENV := {MADE_BY_MAKE.rstrip('/')}" in (ROOT / "Makefile").read_text()


@pytest.mark.slow
def test_quick_start_runs_on_the_repository_corpus(tmp_path):
    """The quick start's `qa` commands, run as written from the repository root (ONNX for speed, a private data
    dir): every one succeeds, and its `qa ask` is answered with a citation from corpus/."""
    env = {**os.environ, "QA_DATA_DIR": str(tmp_path / "qa-data"), "QA_EMBED_BACKEND": "onnx", "HF_HUB_OFFLINE": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    ran = []
    for argv in quick_start_commands():
        if argv[0] == "make":
            continue
        assert argv[0] in QA_PROGRAMS, f"the quick start runs only make and qa, not {argv}"
        if argv[1] in NOT_RUN:
            continue
        qa = [sys.executable, "-c", "from qa.serve.cli import app; app()"]
        result = subprocess.run(
            [*qa, *argv[1:]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
        )
        assert result.returncode == 0, (argv, result.stdout, result.stderr)
        ran.append((argv[1], result.stdout))
    assert [name for name, _ in ran][:2] == ["ingest", "ask"], "the quick start ingests corpus/, then asks"
    asked = [out for name, out in ran if name == "ask"]
    assert all("[1]" in out for out in asked), f"a quick-start question was not answered with a citation: {asked}"


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    found: set[str] = set()
    for heading in re.findall(r"^#+ (.+)$", re.sub(r"^```.*?^```", "", text, flags=re.M | re.S), re.M):
        base = slug(heading)
        name, n = base, 0
        while name in found:
            n += 1
            name = f"{base}-{n}"
        found.add(name)
    return found


@pytest.mark.parametrize("document", [ROOT / "README.md", BENCHMARKS], ids=["README", "benchmarks"])
def test_relative_links_lead_somewhere(document):
    text = document.read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", re.sub(r"^```.*?^```", "", text, flags=re.M | re.S))
    for target in targets:
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        assert linked.exists(), f"{document.name} links to {target}, which does not exist"
        if anchor:
            assert anchor in anchors(linked.read_text()), f"{document.name} links to {target}: no such heading"


def test_readme_benchmarks_section_links_the_full_figures():
    assert "(docs/benchmarks.md)" in section(README, "Benchmarks")
