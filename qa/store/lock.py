"""One writer per data directory: a second `qa ingest` (or a snapshot copy) fails at once instead of
corrupting the first. Readers take the same lock briefly to copy a consistent index."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from qa.core.errors import StoreError, WriterBusyError
from qa.core.settings import Settings


@contextmanager
def writer_lock(settings: Settings) -> Iterator[None]:
    """Hold ``<data dir>/ingest.lock``; `WriterBusyError` when another process holds it."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(settings.data_dir / "ingest.lock", "a+")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise StoreError(f"Cannot use {settings.data_dir} as the data directory: {exc.strerror or exc}.") from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise WriterBusyError(
                f"Another `qa ingest` is writing to {settings.data_dir}; wait for it to finish."
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
