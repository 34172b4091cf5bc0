"""Read a question the way a news reader means it: outlets it names, dates it mentions, and the
conversation it continues. Everything here is pure text processing, testable without a model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from qa.search.outlets import OutletMatcher
from qa.text.dates import parse_dates


@dataclass(frozen=True)
class Query:
    """A parsed question: the words to search, the outlets and dates it names, the turn it follows."""

    question: str
    context: str = ""  # the earlier user turn a follow-up refers to ("" when none)
    outlets: tuple[str, ...] = ()  # indexed outlets named in the question itself
    context_outlets: tuple[str, ...] = ()  # indexed outlets named in the earlier turn
    days: tuple[str, ...] = ()  # ISO days mentioned ("on October 7, 2023")
    since: str | None = None  # soft range from "after ..." / "between ... and ..."
    until: str | None = None

    @property
    def text(self) -> str:
        """The single search string: the question first, then the turn it continues."""
        return f"{self.question} {self.context}".strip()


def parse_query(
    question: str,
    *,
    outlets: list[str] | tuple[str, ...] = (),
    history: list[dict] | None = None,
    default_year: int | None = None,
) -> Query:
    """``question`` (+ earlier turns ``{"role", "content"}``, oldest first) -> `Query`."""
    matcher = OutletMatcher(outlets)
    context = fold_history(question, history)
    year = default_year or date.today().year
    dates = parse_dates(question, year)
    if context and not dates:
        dates = parse_dates(context, year)
    return Query(
        question=question,
        context=context,
        outlets=matcher.find(question),
        context_outlets=matcher.find(context) if context else (),
        days=dates.days,
        since=dates.since,
        until=dates.until,
    )


def fold_history(question: str, history: list[dict] | None) -> str:
    """The earlier user turn a follow-up leans on: the most recent one, when there is any.

    Only user turns count: the assistant's earlier answer quotes many articles and would pull
    retrieval towards all of them. The new question keeps its own weight in retrieval; this
    text is added beside it, never instead of it."""
    if not history:
        return ""
    for turn in reversed(history):
        if isinstance(turn, dict) and turn.get("role") == "user":
            content = str(turn.get("content") or "").strip()
            if content and content != question:
                return content
    return ""
