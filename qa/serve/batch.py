"""The batch and history file formats of `qa ask`: read questions (ours or MultiHop-RAG's), write answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.core.errors import BadQuestionError, InputFileError, QAError
from qa.core.jsonl import read_jsonl
from qa.core.settings import Settings, get_settings
from qa.core.types import Answer, Skip
from qa.search.validate import NO_OPTIONS, Options, Request, check_history, check_request, max_request_chars


@dataclass(frozen=True)
class BatchQuestion:
    """One input line (``{"id", "question"}`` or ``{"query_id", "query"}``, optionally with ``history``) as a
    checked `Request` with the run's options; ``line`` is its line number in the file."""

    id: str
    request: Request
    line: int

    def refused(self, exc: Exception) -> Skip:
        """The skip line of a question refused when it is asked (e.g. nothing left to search for), named like
        the lines refused when read: ``line N: id X: <message>``."""
        return Skip(f"line {self.line}", f"id {self.id[:80]}: {exc}")


def read_batch(
    path: Path, settings: Settings | None = None, options: Options = NO_OPTIONS
) -> Iterator[BatchQuestion | Skip]:
    """Questions of a JSONL file in order, each checked like any question and given ``options`` (checked once,
    by the caller); a bad line yields a `Skip` instead."""
    settings = settings or get_settings()
    limit = max_request_chars(settings)
    return read_jsonl(path, lambda record, number: batch_question(record, number, settings, options), limit)


def batch_question(
    record: object, number: int, settings: Settings | None = None, options: Options = NO_OPTIONS
) -> BatchQuestion:
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    question = record.get("question", record.get("query"))
    if not isinstance(question, str):
        raise ValueError('no "question" (or "query") string')
    question_id = str(record.get("id", record.get("query_id", number)))
    try:
        request = check_request(question, history=record.get("history"), options=options, settings=settings)
    except QAError as exc:
        raise BadQuestionError(f"id {question_id[:80]}: {exc}") from None
    return BatchQuestion(question_id, request, number)


def read_history(path: Path, settings: Settings | None = None) -> list[dict]:
    """The ``--history FILE.json`` list; a file too big to hold an acceptable history is not read at all."""
    settings = settings or get_settings()
    limit = max_request_chars(settings)
    try:
        if not path.is_file():
            raise InputFileError(f"Cannot read {path}: {'not a regular file' if path.exists() else 'no such file'}.")
        size = path.stat().st_size
        if size > limit:
            raise InputFileError(
                f"{path} is {size:,} bytes: too big for a history of at most {settings.max_history_chars:,} "
                "characters (QA_MAX_HISTORY_CHARS)."
            )
        data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        raise InputFileError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    except RecursionError:
        raise InputFileError(f"{path}: JSON nested too deeply.") from None
    except ValueError as exc:
        raise InputFileError(f"{path} is not valid JSON: {exc}.") from exc
    try:
        return check_history(data, settings=settings)
    except QAError as exc:
        raise InputFileError(f"{path}: {exc}") from exc


def batch_line(question_id: str, answer: Answer) -> dict:
    """One output line: ``{"id", ...}`` and the keys of `Answer.to_json` (``qa ask --json`` and ``/ask``)."""
    return {"id": question_id, **answer.to_json()}
