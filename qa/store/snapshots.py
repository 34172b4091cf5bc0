"""Serving snapshots on disk: ``<data_dir>/serving/<pid>-<n>/``, a private copy of the index a long-running
reader answers from while `qa ingest` writes to the shared one (`qa.serve.live` swaps them).

The search arrays are immutable files, so a snapshot links them (a hard link per file, no copy) while
holding the ingest writer lock, so no ingest is half-way; ``chroma/`` is copied too only when there are no
arrays to serve yet. The serving process holds a lock on the snapshot's ``.owner`` file for its life: an
unlocked snapshot was left behind by a server that is gone, and is deleted by the next one."""

from __future__ import annotations

import fcntl
import itertools
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from qa.core.errors import StoreError, WriterBusyError
from qa.core.settings import Settings
from qa.store.arrays import read_version, signature
from qa.store.lock import writer_lock

OWNER = ".owner"  # flock'ed by the serving process for the snapshot's life: unlocked means left behind
_NUMBERS = itertools.count(1)  # per process: two servers in one process never share a folder


def serving_root(settings: Settings) -> Path:
    """The folder holding every snapshot of the data dir of ``settings``."""
    return settings.data_dir / "serving"


class IngestRunning(Exception):
    """The writer lock is held: keep the current snapshot and try again later."""


def corpus_signature(settings: Settings) -> tuple[int, int] | None:
    """Identity of the last finished ingest: the arrays' version file it wrote last, atomically (None before any)."""
    return signature(settings.arrays_dir)


@dataclass
class Snapshot:
    """One snapshot folder, locked by this process until `drop`; ``settings`` read the index inside it."""

    folder: Path
    owner: IO
    signature: tuple[int, int] | None
    settings: Settings

    def drop(self) -> None:
        """Delete the folder, then release its lock."""
        drop(self.folder, self.owner)


def take_snapshot(settings: Settings) -> Snapshot:
    """A new snapshot of the index of ``settings``, under the writer lock (`IngestRunning` while an ingest
    writes; `StoreError` when the copy cannot be made)."""
    folder = _new_folder(serving_root(settings))
    owner = None
    try:
        owner = _claim(folder)
        with writer_lock(settings):
            found = corpus_signature(settings)
            _copy_index(settings, folder)
    except WriterBusyError as exc:
        drop(folder, owner)
        raise IngestRunning from exc
    except StoreError:
        drop(folder, owner)
        raise
    except OSError as exc:  # disk full, permissions: one sentence, not a traceback
        drop(folder, owner)
        raise StoreError(f"Cannot copy the index to {folder} for serving: {exc.strerror or exc}.") from exc
    return Snapshot(folder, owner, found, settings.model_copy(update={"data_dir": folder}))


def remove_stale(settings: Settings) -> None:
    """Delete snapshots left by servers that are gone (killed without cleaning up). A live server holds a
    lock on its snapshot's ``.owner`` file; an unlocked one is left over, even when a restarted container
    reuses the old process id. Folders without that file go by whether their process id is alive."""
    root = serving_root(settings)
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if (folder / OWNER).exists():
            try:
                handle = _claim(folder)
            except OSError:  # BlockingIOError: a running server's snapshot
                continue
            drop(folder, handle)
            continue
        pid = folder.name.split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def drop(folder: Path, owner: IO | None) -> None:
    """Delete a snapshot folder, then release its lock."""
    shutil.rmtree(folder, ignore_errors=True)
    if owner is not None:
        owner.close()


def _new_folder(root: Path) -> Path:
    """``<root>/<pid>-<n>``, created now (a name left over by an earlier process with our pid is skipped)."""
    root.mkdir(parents=True, exist_ok=True)
    while True:
        folder = root / f"{os.getpid()}-{next(_NUMBERS)}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue


def _claim(folder: Path) -> IO:
    """Open and lock ``folder/.owner`` (BlockingIOError when another open file holds it)."""
    handle = open(folder / OWNER, "a+")  # noqa: SIM115 - kept open for the snapshot's life, closed by drop
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise
    return handle


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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
