"""Reading JSON Lines files one bounded line at a time: the batch questions of `qa ask --batch` and the
datasets of `qa eval` share this reader (a bad line is a `Skip`, never the end of the run)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from qa.core.errors import InputFileError, QAError
from qa.core.types import Skip

T = TypeVar("T")


def read_jsonl(path: Path, parse: Callable[[object, int], T], limit: int) -> Iterator[T | Skip]:
    """Each non-empty line of ``path`` as JSON, through ``parse(record, line_number)``; a line that is not
    JSON, is longer than ``limit`` characters, nests too deeply, or that ``parse`` refuses (`ValueError`,
    `TypeError`, `QAError`) yields a `Skip` and reading goes on."""
    if path.exists() and not path.is_file():
        raise InputFileError(f"Cannot read {path}: not a regular file.")
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputFileError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    with handle:
        number = 0
        while line := handle.readline(limit + 1):
            number += 1
            if len(line) > limit and not line.endswith("\n"):
                while (rest := handle.readline(limit)) and not rest.endswith("\n"):
                    pass  # the rest of an over-long line is read in bounded pieces and dropped
                yield Skip(f"line {number}", f"longer than {limit:,} characters")
                continue
            if not line.strip():
                continue
            try:
                yield parse(json.loads(line), number)
            except RecursionError:
                yield Skip(f"line {number}", "JSON nested too deeply")
            except (ValueError, TypeError, QAError) as exc:
                yield Skip(f"line {number}", str(exc))
