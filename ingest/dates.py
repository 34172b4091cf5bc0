"""Publication dates: whatever a source writes, stored as ISO-8601 (or "" when it cannot be read)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from dateutil import parser as date_parser

# Two defaults that differ in every field: what a date string leaves out comes out different.
_DEFAULTS = (datetime(2000, 1, 1, 0, 0, 0), datetime(2001, 2, 2, 1, 1, 1))
_EPOCH = re.compile(r"^\d{10}(\d{3})?(\.\d+)?$")  # Unix time in seconds or milliseconds


def to_iso(value: str) -> str:
    """``"2023-11-27 08:45:59.000000000Z"`` -> ``"2023-11-27T08:45:59+00:00"``; ``"Nov 2023"`` -> ``"2023-11"``;
    a Unix timestamp -> its UTC time; unreadable, or without a year -> ``""``. Missing parts are never invented."""
    value = (value or "").strip()
    if not value:
        return ""
    if _EPOCH.match(value):
        return _from_epoch(value)
    try:
        first, second = (date_parser.parse(_trim_nanoseconds(value), default=d, fuzzy=False) for d in _DEFAULTS)
    except (ValueError, OverflowError, TypeError):
        return ""
    if first.year != second.year or not (1800 <= first.year <= 2200):
        return ""
    if first.month != second.month:
        return f"{first.year:04d}"
    if first.day != second.day:
        return f"{first.year:04d}-{first.month:02d}"
    if first.hour != second.hour:
        return first.date().isoformat()
    return first.isoformat(timespec="seconds")


def day_number(iso: str) -> int:
    """``"2023-11-27..."`` -> ``20231127``, the form date filters compare; 0 when unknown."""
    if len(iso) < 10:
        return 0
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return 0
    return day.year * 10000 + day.month * 100 + day.day


def _from_epoch(value: str) -> str:
    seconds = float(value) / (1000 if len(value.split(".")[0]) == 13 else 1)
    try:
        moment = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return ""
    return moment.isoformat(timespec="seconds") if 1800 <= moment.year <= 2200 else ""


def _trim_nanoseconds(value: str) -> str:
    """dateutil reads at most microseconds: ``.000000000Z`` becomes ``.000000Z``."""
    if "." in value:
        head, _, tail = value.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        if digits > 6:
            value = f"{head}.{tail[:6]}{tail[digits:]}"
    return value
