"""What a question and a conversation must look like, checked once for every way in (CLI, batch files,
the chat and its ``/ask`` API): the same rules, the same messages."""

from __future__ import annotations

import unicodedata

from qa.core.errors import BadQuestionError

ROLES = ("user", "assistant")


def clean_question(question: object, max_chars: int) -> str:
    """Refuse empty or oversized questions; drop control characters; keep any script."""
    if question is None or not isinstance(question, str):
        raise BadQuestionError("The question is empty.")
    if len(question) > max_chars * 4:
        raise BadQuestionError(
            f"The question is {len(question):,} characters long; the limit is {max_chars:,} (QA_MAX_QUESTION_CHARS)."
        )
    cleaned = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in question)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise BadQuestionError("The question is empty.")
    if len(cleaned) > max_chars:
        raise BadQuestionError(
            f"The question is {len(cleaned):,} characters long; the limit is {max_chars:,} (QA_MAX_QUESTION_CHARS)."
        )
    return cleaned


def check_history(history: object) -> list[dict]:
    """``[{"role": "user" | "assistant", "content": str}, ...]``, oldest first; anything else is refused
    with `ValueError` (callers name the file or field it came from)."""
    if not isinstance(history, list):
        raise ValueError('"history" must be a list of {"role", "content"} objects')
    for turn in history:
        if not (isinstance(turn, dict) and turn.get("role") in ROLES and isinstance(turn.get("content"), str)):
            raise ValueError('each history turn must be {"role": "user" or "assistant", "content": "..."}')
    return history
