"""One writer per data directory: a second `qa ingest` (or a snapshot copy) fails at once instead of
corrupting the first. Readers take the same lock briefly to copy a consistent index, also from a data dir
they cannot write (a read-only mount of a folder an ingest writes elsewhere): flock needs no write access."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from qa.core.errors import StoreError, WriterBusyError
from qa.core.settings import Settings


def can_write(folder: Path) -> bool:
    """Whether this process may create files in ``folder`` (False on a read-only mount, even for root)."""
    return os.access(folder, os.W_OK)


@contextmanager
def writer_lock(settings: Settings, *, reading: bool = False) -> Iterator[None]:
    """Hold ``<data dir>/ingest.lock``; `WriterBusyError` when another process holds it. ``reading``: a reader
    copying the index, which holds the lock of a data dir it cannot write read-only (with no lock file
    there, no ingest it could see has run: nothing to hold)."""
    path = settings.data_dir / "ingest.lock"
    try:
        if reading and not can_write(settings.data_dir):
            handle = open(path, "rb") if path.exists() else nullcontext()  # noqa: SIM115 - closed by the with below
        else:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            handle = open(path, "a+")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise StoreError(f"Cannot use {settings.data_dir} as the data directory: {exc.strerror or exc}.") from exc
    with handle as locked:
        if locked is None:
            yield
            return
        try:
            fcntl.flock(locked, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise WriterBusyError(
                f"Another `qa ingest` is writing to {settings.data_dir}; wait for it to finish."
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(locked, fcntl.LOCK_UN)
