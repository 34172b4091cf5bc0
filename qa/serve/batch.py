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
from qa.search.validate import check_history, clean_question, max_request_chars

PASSAGE_KEYS = ("text", "title", "source", "url", "published_at", "start", "end", "score")


@dataclass(frozen=True)
class BatchQuestion:
    """One input line: ``{"id", "question"}`` or ``{"query_id", "query"}``, optionally with ``history``."""

    id: str
    question: str
    history: tuple[dict, ...] = ()


def read_batch(path: Path, settings: Settings | None = None) -> Iterator[BatchQuestion | Skip]:
    """Questions of a JSONL file in order, checked like any question; a bad line yields a `Skip` instead."""
    settings = settings or get_settings()
    limit = max_request_chars(settings)
    return read_jsonl(path, lambda record, number: batch_question(record, number, settings), limit)


def batch_question(record: object, number: int, settings: Settings | None = None) -> BatchQuestion:
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    question = record.get("question", record.get("query"))
    if not isinstance(question, str):
        raise ValueError('no "question" (or "query") string')
    settings = settings or get_settings()
    question_id = str(record.get("id", record.get("query_id", number)))
    try:
        return BatchQuestion(
            id=question_id,
            question=clean_question(question, settings.max_question_chars),
            history=tuple(check_history(record.get("history"), settings=settings)),
        )
    except QAError as exc:
        raise BadQuestionError(f"id {question_id[:80]}: {exc}") from None


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
