"""A long-running reader beside `qa ingest`: answer from a private snapshot, swap to a new one after each ingest.

Chroma's embedded client is not process-safe: a server that kept the shared data dir open while
`qa ingest` writes to it would mix an old in-memory vector index with new rows in SQLite. So the
server never reads the shared ``chroma/`` folder directly. It links the search arrays (immutable
files: a hard link per file, no copy) into ``<data_dir>/serving/<pid>-<n>/`` while holding the ingest
writer lock (so no ingest is half-way), and answers every question from them; ``chroma/`` is copied
too only when there are no arrays to serve yet. A watcher polls the arrays' version file that every
changing ingest replaces atomically as its last step; when it changes and the writer lock is free,
a new snapshot is linked, warmed up and swapped in. Questions already running finish
on the old snapshot, which is then closed and deleted. During an ingest nothing changes for readers.
With a Chroma server (``QA_CHROMA_URL``) the server is the consistent shared state: no snapshot.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qa.answer.assistant import Assistant
from qa.core.errors import QAError, StoreError, WriterBusyError
from qa.core.settings import Settings
from qa.core.types import Answer, Filters
from qa.store.arrays import read_version, signature
from qa.store.lock import writer_lock

log = logging.getLogger(__name__)
_OWNER = ".owner"  # flock'ed by the serving process for the snapshot's life: unlocked means left behind
_SNAPSHOT_NUMBERS = itertools.count(1)  # per process: two servers in one process never share a folder


def corpus_signature(settings: Settings) -> tuple[int, int] | None:
    """Identity of the last finished ingest: the arrays' version file it wrote last, atomically (None before any)."""
    return signature(settings.arrays_dir)


@dataclass
class Generation:
    """One consistent copy of the index and the assistant reading it."""

    assistant: Assistant
    signature: tuple[int, int] | None
    folder: Path | None  # the snapshot folder, None when reading the shared store directly
    stats: dict = field(default_factory=dict)
    articles: list[tuple[str, str, str]] = field(default_factory=list)  # (title, outlet, published)
    users: int = 0
    retired: bool = False
    owner: object = None  # the open, locked ``.owner`` file of ``folder``


class LiveAssistant:
    """Thread-safe `Assistant` facade that always answers from one consistent, current-enough index."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.snapshots = settings.chroma_url is None
        self.root = settings.data_dir / "serving"
        self._swap = threading.Lock()
        self._reload = threading.Lock()
        self._current: Generation | None = None
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._failed: tuple[int, int] | None = None  # an ingest whose index could not be opened: not retried

    # ---- lifecycle ----------------------------------------------------------------------------

    def start(self, watch: bool = True) -> LiveAssistant:
        """Open the first snapshot (waiting for a running ingest) and start watching for new ones."""
        self._remove_stale()
        if not self.reload(force=True):
            log.warning("`qa ingest` is writing to %s: waiting for it to finish.", self.settings.data_dir)
            while not self.reload(force=True):
                time.sleep(0.5)
        if watch and self.snapshots:
            self._watcher = threading.Thread(target=self._watch, name="qa-index-watcher", daemon=True)
            self._watcher.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        with self._swap:
            old, self._current = self._current, None
        if old is not None:
            self._retire(old)

    def _watch(self) -> None:
        while not self._stop.wait(self.settings.reload_interval):
            signature = corpus_signature(self.settings)
            if signature == self._failed:
                continue
            try:
                self.reload()
            except Exception:  # noqa: BLE001 - keep serving the current snapshot until the next ingest
                self._failed = signature
                log.exception("Could not open the new index; still answering from the previous one.")

    # ---- reading ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def generation(self) -> Iterator[Generation]:
        """The current generation, kept alive (not deleted) until the caller is done with it."""
        with self._swap:
            gen = self._current
            if gen is None:
                raise StoreError("The assistant is shutting down.")
            gen.users += 1
        try:
            yield gen
        finally:
            with self._swap:
                gen.users -= 1
                done = gen.retired and gen.users == 0
            if done:
                self._dispose(gen)

    def ask(
        self,
        question: str,
        *,
        history: list[dict] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
        llm: bool | None = None,
    ) -> Answer:
        with self.generation() as gen:
            return gen.assistant.ask(question, history=history, filters=filters, k=k, llm=llm)

    def ask_stream(self, question: str, **options) -> Iterator:
        """`Assistant.ask_stream` on the current snapshot, kept alive until the stream ends."""
        with self.generation() as gen:
            yield from gen.assistant.ask_stream(question, **options)

    def resolve_outlets(self, names: list[str]) -> tuple[str, ...]:
        """Outlet names as indexed ("techcrunch" -> "TechCrunch"), as `qa ask --outlet` reads them."""
        with self.generation() as gen:
            return gen.assistant.resolve_outlets(names)

    def stats(self) -> dict:
        with self.generation() as gen:
            return dict(gen.stats)

    def articles(self) -> list[tuple[str, str, str]]:
        with self.generation() as gen:
            return list(gen.articles)

    # ---- swapping -----------------------------------------------------------------------------

    def reload(self, force: bool = False) -> bool:
        """Swap in a fresh snapshot if an ingest finished since the last one; False while an ingest is running."""
        with self._reload:
            signature = corpus_signature(self.settings)
            current = self._current
            if not force and current is not None and current.signature == signature:
                return True
            try:
                gen = self._open(signature)
            except _IngestRunning:
                return False
            with self._swap:
                old, self._current = self._current, gen
            if old is not None:
                self._retire(old)
            log.info("Answering from corpus version %s.", gen.stats.get("corpus_version"))
            return True

    def _open(self, signature: tuple[int, int] | None) -> Generation:
        settings, folder = self.settings, None
        owner = None
        if self.snapshots:
            folder = _new_folder(self.root)
            try:
                owner = _claim(folder)
                with writer_lock(self.settings):
                    signature = corpus_signature(self.settings)
                    _copy_index(self.settings, folder)
            except WriterBusyError as exc:
                _drop(folder, owner)
                raise _IngestRunning from exc
            except StoreError:
                _drop(folder, owner)
                raise
            except OSError as exc:  # disk full, permissions: one sentence, not a traceback
                _drop(folder, owner)
                raise StoreError(f"Cannot copy the index to {folder} for serving: {exc.strerror or exc}.") from exc
            settings = self.settings.model_copy(update={"data_dir": folder})
        assistant = Assistant(settings)
        gen = Generation(assistant, signature, folder, owner=owner)
        try:
            gen.stats = assistant.stats()
            gen.articles = assistant.articles()
            if gen.stats.get("chunks"):
                assistant.warm_up()  # load the vectors and BM25 now, not on a user's question
        except Exception:
            _close(assistant)
            if folder is not None:
                _drop(folder, owner)
            raise
        return gen

    def _retire(self, gen: Generation) -> None:
        with self._swap:
            gen.retired = True
            done = gen.users == 0
        if done:
            self._dispose(gen)

    @staticmethod
    def _dispose(gen: Generation) -> None:
        _close(gen.assistant)
        if gen.folder is not None:
            _drop(gen.folder, gen.owner)

    def _remove_stale(self) -> None:
        """Delete snapshots left by servers that are gone (killed without cleaning up). A live server holds a
        lock on its snapshot's ``.owner`` file; an unlocked one is left over, even when a restarted container
        reuses the old process id. Folders without that file go by whether their process id is alive."""
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if (folder / _OWNER).exists():
                try:
                    handle = _claim(folder)
                except BlockingIOError:  # a running server's snapshot
                    continue
                except OSError:
                    continue
                _drop(folder, handle)
                continue
            pid = folder.name.split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)


class _IngestRunning(Exception):
    """The writer lock is held: keep the current snapshot and try again later."""


def _new_folder(root: Path) -> Path:
    """``<root>/<pid>-<n>``, created now (a name left over by an earlier process with our pid is skipped)."""
    root.mkdir(parents=True, exist_ok=True)
    while True:
        folder = root / f"{os.getpid()}-{next(_SNAPSHOT_NUMBERS)}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue


def _claim(folder: Path):
    """Open and lock ``folder/.owner`` (BlockingIOError when another open file holds it)."""
    handle = open(folder / _OWNER, "a+")  # noqa: SIM115 - kept open for the snapshot's life, closed by _drop
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise
    return handle


def _drop(folder: Path, owner) -> None:
    """Delete a snapshot folder, then release its lock."""
    shutil.rmtree(folder, ignore_errors=True)
    if owner is not None:
        owner.close()


def _copy_index(settings: Settings, folder: Path) -> None:
    if settings.chroma_dir.is_dir() and read_version(settings.arrays_dir) is None:  # nothing to serve from yet
        shutil.copytree(settings.chroma_dir, folder / "chroma")
    if settings.arrays_dir.is_dir():
        target = folder / "arrays" / settings.collection
        shutil.copytree(settings.arrays_dir, target, copy_function=_link, ignore=shutil.ignore_patterns("*.lock"))


def _link(source: str, target: str) -> None:
    """Segments never change once written: a hard link is a snapshot (a copy where links are refused)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _close(assistant: Assistant) -> None:
    """Release the snapshot's Chroma client (its SQLite handles and in-memory vectors)."""
    try:
        assistant.close()
    except QAError:  # the snapshot is being thrown away: a failed close only delays freeing memory
        log.warning("Could not close a retired snapshot's store cleanly.", exc_info=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
