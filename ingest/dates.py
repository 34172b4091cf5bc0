"""Publication dates: whatever a source writes, stored as ISO-8601 (or "" when it cannot be read)."""

from __future__ import annotations

from datetime import date, datetime

from dateutil import parser as date_parser


def to_iso(value: str) -> str:
    """``"2023-11-27 08:45:59.000000000Z"`` -> ``"2023-11-27T08:45:59+00:00"``; unreadable -> ``""``."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        parsed = date_parser.parse(_trim_nanoseconds(value), fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return ""
    if not (1800 <= parsed.year <= 2200):
        return ""
    if parsed.time() == datetime.min.time() and parsed.tzinfo is None and len(value) <= 10:
        return parsed.date().isoformat()
    return parsed.isoformat(timespec="seconds")


def day_number(iso: str) -> int:
    """``"2023-11-27..."`` -> ``20231127``, the form date filters compare; 0 when unknown."""
    if len(iso) < 10:
        return 0
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return 0
    return day.year * 10000 + day.month * 100 + day.day


def _trim_nanoseconds(value: str) -> str:
    """dateutil reads at most microseconds: ``.000000000Z`` becomes ``.000000Z``."""
    if "." in value:
        head, _, tail = value.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        if digits > 6:
            value = f"{head}.{tail[:6]}{tail[digits:]}"
    return value
