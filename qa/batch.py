"""The batch and history file formats of `qa ask`: read questions (ours or MultiHop-RAG's), write answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.errors import BadQuestionError, QAError

PASSAGE_KEYS = ("text", "title", "source", "url", "published_at", "start", "end", "score")


class InputFileError(QAError):
    """A questions or history file cannot be read."""

    exit_code = 2


@dataclass(frozen=True)
class BatchQuestion:
    """One input line: ``{"id", "question"}`` or ``{"query_id", "query"}``, optionally with ``history``."""

    id: str
    question: str
    history: tuple[dict, ...] = ()


def read_batch(path: Path) -> Iterator[BatchQuestion | str]:
    """Questions of a JSONL file in order; a bad line yields a one-line description instead."""
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputFileError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield batch_question(json.loads(line), number)
            except ValueError as exc:
                yield f"line {number}: {exc}"


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


def check_history(history: object) -> list[dict]:
    """``[{"role": "user" | "assistant", "content": str}, ...]``, oldest first; anything else is refused."""
    if not isinstance(history, list):
        raise ValueError('"history" must be a list of {"role", "content"} objects')
    for turn in history:
        if not (
            isinstance(turn, dict)
            and turn.get("role") in ("user", "assistant")
            and isinstance(turn.get("content"), str)
        ):
            raise ValueError('each history turn must be {"role": "user" or "assistant", "content": "..."}')
    return history


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


def answer_record(question_id: str, answer) -> dict:
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
    }


def bad_line(question_id: str, error: BadQuestionError) -> dict:
    return {"id": question_id, "error": str(error)}
