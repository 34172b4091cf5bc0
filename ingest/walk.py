"""Which files the inputs name, and opening them safely: every path that is not read becomes a `Skip` with
the true reason (missing, unreadable, a named pipe, a broken link, ...), never a silent gap or a hang."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from ingest.web import is_url
from qa.core.types import Skip

FILE, FOLDER = "file", "folder"
_SPECIAL = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def iter_input_files(paths: Iterable[Path | str], suffixes: set[str]) -> Iterator[Path | str | Skip]:
    """Expand folders (recursively, in name order, hidden entries left out, links to folders not followed)
    into files; a folder's files with other ``suffixes`` are skipped. A file named directly is always read.
    A web address (`ingest.web.is_url`: a ``str``, never a `Path`) passes through as it is."""
    for path in paths:
        if is_url(path):
            yield path
            continue
        path = Path(path)
        kind = kind_of(path)
        if kind == FOLDER:
            yield from _walk(path, suffixes)
        elif kind == FILE:
            yield path
        else:
            yield Skip(str(path), kind)


def kind_of(path: Path) -> str:
    """``FILE``, ``FOLDER``, or why ``path`` is neither (one line, for a `Skip`)."""
    try:
        info = path.stat()  # follows links: a link to a file is that file
    except FileNotFoundError:
        if path.is_symlink():
            return f"broken symbolic link (to {os.readlink(path)!r})"
        return "no such file or folder"
    except OSError as exc:  # permission denied on a parent, a link loop, a name too long, ...
        return f"cannot read: {exc.strerror or exc}"
    if stat.S_ISDIR(info.st_mode):
        return FOLDER
    if stat.S_ISREG(info.st_mode):
        return FILE
    special = next((name for test, name in _SPECIAL if test(info.st_mode)), "not a file")
    return f"not a regular file ({special})"


def _walk(root: Path, suffixes: set[str]) -> Iterator[Path | Skip]:
    """Depth first with an explicit stack: a deep tree cannot exhaust Python's recursion limit."""
    listing = _listing(root)
    if isinstance(listing, Skip):
        yield listing
        return
    stack = [iter(listing)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        kind = kind_of(child)
        if kind == FOLDER and child.is_symlink():
            yield Skip(str(child), "symbolic link to a folder (not followed)")
        elif kind == FOLDER:
            listing = _listing(child)
            if isinstance(listing, Skip):
                yield listing
            else:
                stack.append(iter(listing))
        elif kind == FILE and child.suffix.lower() not in suffixes:
            yield Skip(str(child), f"unsupported file type {child.suffix or '(none)'!r}")
        else:
            yield child if kind == FILE else Skip(str(child), kind)


def _listing(folder: Path) -> list[Path] | Skip:
    """The visible entries of ``folder`` in name order, or why it cannot be listed."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(entry.name for entry in entries if not entry.name.startswith("."))
    except OSError as exc:
        return Skip(str(folder), f"cannot read folder: {exc.strerror or exc}")
    return [folder / name for name in names]


def open_regular(path: Path, max_bytes: int) -> BinaryIO | Skip:
    """``path`` opened for reading if it is a regular file within ``max_bytes``; else why not. Opened
    without blocking, so a named pipe put in a file's place is refused, never waited on."""
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return Skip(name, f"cannot read: {exc.strerror or exc}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a file"
            kind = next((label for test, label in _SPECIAL if test(info.st_mode)), kind)
            os.close(fd)
            return Skip(name, f"not a regular file ({kind})")
        if info.st_size > max_bytes:
            os.close(fd)
            return Skip(name, f"file is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit (QA_MAX_FILE_BYTES)")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except OSError as exc:
        os.close(fd)
        return Skip(name, f"cannot read: {exc.strerror or exc}")


def count_records(paths: Iterable[Path | str], suffixes: set[str], line_suffixes: set[str], max_bytes: int) -> int:
    """About how many articles ``paths`` hold, cheaply, for a progress bar's total: the non-empty lines of each
    JSON Lines file (``line_suffixes``; read in binary, nothing parsed: a 50 MB file takes a fraction of a
    second), one for every other file or web address; files that will be skipped count nothing."""
    total = 0
    for item in iter_input_files(paths, suffixes):
        if isinstance(item, Skip):
            continue
        if isinstance(item, str) or item.suffix.lower() not in line_suffixes:
            total += 1
            continue
        handle = open_regular(item, max_bytes)
        if isinstance(handle, Skip):
            continue
        with handle, contextlib.suppress(OSError):
            total += sum(1 for line in handle if not line.isspace())
    return total
