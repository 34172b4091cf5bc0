"""Issue 18, the invariant under any history of a folder: random sequences of add / update / remove / re-add of
multi-chunk articles, `qa ingest` after each step, then questions about old and new content. Every passage and
every quoted sentence is the current body of its article at the offsets it states, and removed text is never
quoted: embedded, against a real `chroma run` server, and through the chat's snapshots (`LiveAssistant`)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest
import server_fixtures
from corpora import QUICK_INGEST, assert_quotes_current, current_bodies, qa_ingest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qa.answer.assistant import Assistant
from qa.core.settings import Settings
from qa.serve.live import LiveAssistant

chroma_server = server_fixtures.chroma_server  # one `chroma run` for the module, a collection per example

# a handful of histories: each step re-ingests (a fraction of a second) and asks every question
HISTORIES = settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
# small chunks: short articles of several chunks each, so windows merge runs of many rows
ENVIRONMENT = {**QUICK_INGEST, "QA_CHUNK_TOKENS": "64"}

TOWNS = ["Wrenfield", "Oakhollow", "Pellmoor"]
PEOPLE = ["Ada Quill", "Bram Otter", "Cora Finch", "Dov Marsh", "Elsa Brook", "Fen Lark"]
ROADS = ["eastern", "quarry", "mill", "river"]
SENTENCES = 12


def sentences(slot: int, version: int) -> list[str]:
    """Version 0: a bridge plan; 1: every sentence changed (trucks and schools); 2: version 0 with every third
    sentence changed (the ferry), so an update that keeps most of the text."""
    town, out = TOWNS[slot], []
    for i in range(SENTENCES):
        person, road = PEOPLE[(i + slot) % len(PEOPLE)], ROADS[i % len(ROADS)]
        if version == 1:
            out.append(
                f"Resident number {i + 1} complained that gravel trucks rumble past the {town} schools"
                f" before {i % 5 + 5} o'clock every single morning."
            )
        elif version == 2 and i % 3 == 0:
            out.append(f"The {town} ferry will carry {100 + i} extra passengers a day while the {road} road is shut.")
        else:
            out.append(
                f"Council member {person} said the {town} bridge plan would cost {11 + i} million dollars"
                f" and close the {road} road for {i + 2} months."
            )
    return out


def article(slot: int, version: int) -> str:
    body = sentences(slot, version)
    paragraphs = [" ".join(body[i : i + 4]) for i in range(0, len(body), 4)]
    return f"{TOWNS[slot]} news, edition {version}\n\n" + "\n\n".join(paragraphs) + "\n"


EVERY_SENTENCE = sorted({s for slot in range(len(TOWNS)) for version in range(3) for s in sentences(slot, version)})
QUESTIONS = [
    question
    for town in TOWNS
    for question in (
        f"What did {town} council members say about the bridge plan?",
        f"What did residents complain about in {town}?",
        f"How many extra passengers will the {town} ferry carry?",
    )
]

# one step: slot -> version written to its file, or None to delete it (a later version re-adds it)
SLOTS = st.sampled_from(range(len(TOWNS)))
STEP = st.dictionaries(SLOTS, st.sampled_from([None, 0, 1, 2]), min_size=1, max_size=len(TOWNS))
STEPS = st.lists(STEP, min_size=1, max_size=4)
FIRST = st.fixed_dictionaries({slot: st.sampled_from([None, 0, 1]) for slot in range(len(TOWNS))})
LIBRARY = (  # always in the folder: an ingest never finds it empty, and the first segment keeps a live article
    "Pellmoor library reopens\n\nThe Pellmoor library reopened on Saturday after a year of repairs to its roof."
    " The head librarian, Mina Sorrel, said the reading room now has forty new seats.\n"
)
ISSUE_18 = [{0: 0, 1: 0, 2: 0}, {0: 1}, {0: None, 1: 2}, {0: 2, 1: 1}]  # update, remove, re-add: always run


def apply(folder: Path, held: dict[int, int], step: dict[int, int | None]) -> tuple[int, int, int]:
    """Write ``step`` to ``folder``; ``held`` (slot -> version on disk) follows. The expected (added, updated,
    removed) of the next ingest."""
    added = updated = removed = 0
    for slot, version in step.items():
        path = folder / f"{TOWNS[slot].lower()}.txt"
        if version is None:
            removed += held.pop(slot, None) is not None
            path.unlink(missing_ok=True)
            continue
        before = held.get(slot)
        added += before is None
        updated += before is not None and before != version
        held[slot] = version
        path.write_text(article(slot, version))
    return added, updated, removed


def check_history(
    history: list[dict[int, int | None]],
    root: Path,
    writer: Settings,
    open_reader: Callable[[ExitStack], Callable[[str], object]],
) -> None:
    """Apply each step and `qa ingest` with ``writer``; then every question through the reader (opened once,
    after the first ingest, and kept: it must follow every later ingest) quotes only current text."""
    folder, held = root / "corpus", {}
    folder.mkdir()
    (folder / "library.txt").write_text(LIBRARY)
    with ExitStack() as stack:
        ask = None
        for number, step in enumerate(history):
            added, updated, removed = apply(folder, held, step)
            summary = qa_ingest(folder, writer)
            added += number == 0  # the library
            assert (summary["added"], summary["updated"], summary["removed"]) == (added, updated, removed), summary
            ask = ask or open_reader(stack)
            bodies = current_bodies(folder)
            quoted = 0
            for question in QUESTIONS:
                answer = ask(question)
                assert_quotes_current(answer, bodies, removed=EVERY_SENTENCE)
                quoted += len(answer.citations)
            assert quoted or not held  # not vacuous: the towns present are quoted


@pytest.fixture(scope="module", autouse=True)
def quick_index():
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ENVIRONMENT.items():
            patch.setenv(name, value)
        yield


def new_root() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="current-props-")


def assistant_reader(settings: Settings):
    def open_reader(stack: ExitStack):
        assistant = Assistant(settings)
        stack.callback(assistant.close)
        return assistant.ask

    return open_reader


@HISTORIES
@example(first=ISSUE_18[0], steps=ISSUE_18[1:])
@given(first=FIRST, steps=STEPS)
def test_embedded(first, steps):
    with new_root() as tmp:
        root = Path(tmp)
        settings = Settings(data_dir=root / "qa-data")
        check_history([first, *steps], root, settings, assistant_reader(settings))


@pytest.mark.server
@HISTORIES
@example(first=ISSUE_18[0], steps=ISSUE_18[1:])
@given(first=FIRST, steps=STEPS)
def test_server(chroma_server, first, steps):
    """A writer and a reader with data dirs of their own: the reader follows the server by deltas."""
    with new_root() as tmp:
        root, collection = Path(tmp), f"t-{uuid.uuid4().hex[:10]}"
        writer = Settings(data_dir=root / "writer", collection=collection, chroma_url=chroma_server.url)
        reader = Settings(data_dir=root / "reader", collection=collection, chroma_url=chroma_server.url)
        check_history([first, *steps], root, writer, assistant_reader(reader))


@HISTORIES
@example(first=ISSUE_18[0], steps=ISSUE_18[1:])
@given(first=FIRST, steps=STEPS)
def test_chat_snapshots(first, steps):
    """The chat's `LiveAssistant`: it links the index into a snapshot of its own and swaps after each ingest."""
    with new_root() as tmp:
        root = Path(tmp)
        settings = Settings(data_dir=root / "qa-data", reload_interval=60)  # reloads below, not by the watcher
        live: LiveAssistant | None = None

        def open_reader(stack: ExitStack):
            nonlocal live
            live = LiveAssistant(settings).start(watch=False)
            stack.callback(live.close)
            return ask

        def ask(question: str):
            assert live.reload()  # what the watcher does after an ingest: a new snapshot when the index moved
            with live.generation() as assistant:
                return assistant.ask(question)

        check_history([first, *steps], root, settings, open_reader)
