"""The batch and history file formats of `qa ask`: read questions (ours or MultiHop-RAG's), write answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from qa.core.errors import InputFileError
from qa.core.types import Answer
from qa.core.validate import check_history

T = TypeVar("T")
PASSAGE_KEYS = ("text", "title", "source", "url", "published_at", "start", "end", "score")


@dataclass(frozen=True)
class BatchQuestion:
    """One input line: ``{"id", "question"}`` or ``{"query_id", "query"}``, optionally with ``history``."""

    id: str
    question: str
    history: tuple[dict, ...] = ()


@dataclass(frozen=True)
class BadLine:
    """A line of a JSONL file that could not be used, and why (reported, then skipped)."""

    number: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.number}: {self.reason}"


def read_jsonl(path: Path, parse: Callable[[object, int], T]) -> Iterator[T | BadLine]:
    """Each non-empty line of ``path`` as JSON, through ``parse(record, line_number)``; a line that is not
    JSON or that ``parse`` refuses (`ValueError`, `TypeError`) yields a `BadLine` and reading goes on."""
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputFileError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield parse(json.loads(line), number)
            except (ValueError, TypeError) as exc:
                yield BadLine(number, str(exc))


def read_batch(path: Path) -> Iterator[BatchQuestion | BadLine]:
    """Questions of a JSONL file in order; a bad line yields a `BadLine` instead."""
    return read_jsonl(path, batch_question)


def batch_question(record: object, number: int) -> BatchQuestion:
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    question = record.get("question", record.get("query"))
    if not isinstance(question, str):
        raise ValueError('no "question" (or "query") string')
    return BatchQuestion(
        id=str(record.get("id", record.get("query_id", number))),
        question=question,
        history=tuple(check_history(record.get("history") or [])),
    )


def read_history(path: Path) -> list[dict]:
    """The ``--history FILE.json`` list."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFileError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    except ValueError as exc:
        raise InputFileError(f"{path} is not valid JSON: {exc}.") from exc
    try:
        return check_history(data)
    except ValueError as exc:
        raise InputFileError(f"{path}: {exc}.") from exc


def answer_record(question_id: str, answer: Answer) -> dict:
    """One output line: ``{"id", "answer", "abstained", "citations", "passages"}`` (plus the evidence score)."""
    data = answer.to_json()
    passages = [{key: p[key] for key in PASSAGE_KEYS} | {"article_id": p["article_id"]} for p in data["passages"]]
    return {
        "id": question_id,
        "answer": data["answer"],
        "abstained": data["abstained"],
        "evidence_score": data["evidence_score"],
        "citations": data["citations"],
        "passages": passages,
        "mode": data["mode"],  # generated answers (issue 12)
        "model": data["model"],
        "sentences": data["sentences"],
    }
