"""Serving snapshots on disk: ``<data_dir>/serving/<pid>-<n>/``, a private copy of the index a long-running
reader answers from while `qa ingest` writes to the shared one (`qa.serve.live` swaps them).

The search arrays are immutable files, so a snapshot links them (a hard link per file, no copy) while
holding the ingest writer lock, so no ingest is half-way; ``chroma/`` is copied too only when there are no
arrays to serve yet. The serving process holds a lock on the snapshot's ``.owner`` file for its life: an
unlocked snapshot was left behind by a server that is gone, and is deleted by the next one.

A data dir this process cannot write (a read-only mount) keeps its snapshots in a private temporary folder
instead, ``$TMPDIR/newsqa-serving-XXXX/<pid>-<n>/`` (mode 0700): copies where hard links cannot cross into it,
deleted the same way."""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from qa.core.errors import StoreError, WriterBusyError
from qa.core.settings import Settings
from qa.store.arrays import read_version, signature
from qa.store.lock import can_write, writer_lock

OWNER = ".owner"  # flock'ed by the serving process for the snapshot's life: unlocked means left behind
TEMP_PREFIX = "newsqa-serving-"  # the temporary snapshot folders of read-only data dirs, one per process
_NUMBERS = itertools.count(1)  # per process: two servers in one process never share a folder
_temp_root: Path | None = None  # this process's temporary snapshot folder, made on first need


def serving_root(settings: Settings) -> Path:
    """The folder holding the snapshots this process takes of the data dir of ``settings``: its ``serving/``,
    or this process's private temporary folder when the data dir cannot be written."""
    shared = settings.data_dir / "serving"
    if can_write(shared if shared.is_dir() else settings.data_dir):
        return shared
    return _private_root()


def _private_root() -> Path:
    """``$TMPDIR/newsqa-serving-XXXX`` made by `tempfile.mkdtemp` (0700, a name no one else holds); made
    again when a clean-up removed it (an empty folder of a name others could see is never reused)."""
    global _temp_root
    if _temp_root is None or not _owned_folder(_temp_root):
        _temp_root = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
    return _temp_root


def _owned_folder(path: Path) -> bool:
    """A real folder (not a link) owned by this user: only those are ever used or cleaned up in the temp dir."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid()


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
    folder = _new_folder(settings)
    owner = None
    try:
        owner = _claim(folder)
        with writer_lock(settings, reading=True):
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
    """Delete snapshots left by servers that are gone (killed without cleaning up), in the data dir's
    ``serving/`` and in this user's temporary snapshot folders. A live server holds a lock on its snapshot's
    ``.owner`` file; an unlocked one is left over, even when a restarted container reuses the old process id.
    Folders without that file go by whether their process id is alive."""
    _remove_unowned(settings.data_dir / "serving")
    for root in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        if root != _temp_root and _owned_folder(root):
            _remove_unowned(root)
            with contextlib.suppress(OSError):  # not empty: another server's
                root.rmdir()


def _remove_unowned(root: Path) -> None:
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if (folder / OWNER).exists():
            try:
                handle = _claim(folder)
            except OSError:  # BlockingIOError: a running server's snapshot (or a folder we cannot write)
                continue
            drop(folder, handle)
            continue
        pid = folder.name.split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def drop(folder: Path, owner: IO | None) -> None:
    """Delete a snapshot folder, then release its lock (and this process's temporary folder once empty)."""
    shutil.rmtree(folder, ignore_errors=True)
    if owner is not None:
        owner.close()
    if folder.parent == _temp_root:
        with contextlib.suppress(OSError):  # not empty: a newer snapshot is in it
            folder.parent.rmdir()


def _new_folder(settings: Settings) -> Path:
    """``<serving root>/<pid>-<n>``, created now (a name left over by an earlier process with our pid is
    skipped; a temporary root another server's clean-up removed meanwhile is replaced, never re-created)."""
    while True:
        root = serving_root(settings)
        if root != _temp_root:
            root.mkdir(parents=True, exist_ok=True)
        folder = root / f"{os.getpid()}-{next(_NUMBERS)}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
        except FileNotFoundError:
            if root != _temp_root:
                raise


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
    _writable_folders(folder)


def _writable_folders(folder: Path) -> None:
    """copytree gives each copied folder its source's mode: from a read-only tree, folders this process could
    not write, nor delete the snapshot from. The folders are the snapshot's own (files may be hard links)."""
    for path, _, _ in os.walk(folder):
        mode = os.stat(path).st_mode
        if not mode & stat.S_IWUSR:
            os.chmod(path, mode | stat.S_IWUSR)


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
