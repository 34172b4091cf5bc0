"""Dates, both ways: publication dates as a source writes them -> ISO-8601, and the dates a question
names ("after October 7, 2023", "between ... and ...", "in October 2023") -> days and ranges."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

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


def days_apart(a: str, b: str) -> int:
    """Whole days between two ISO days; 99 when either is unreadable."""
    try:
        return abs((date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])).days)
    except ValueError:
        return 99


# ---- dates named in questions ------------------------------------------------------------------------

_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}
_MONTH = r"(?P<{p}month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
# "October 7, 2023", "7 October 2023", "October 7th", "October 2023", "early October", "2023-10-07"
_DATE = (
    r"(?:(?P<{p}iso>\d{{4}}-\d{{2}}-\d{{2}})"
    r"|(?:(?P<{p}part>early|mid|late)[- ]?(?:in\s+)?)?"
    r"(?:(?P<{p}dfirst>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?)?"
    + _MONTH
    + r"(?:\s+(?P<{p}day>\d{{1,2}})(?:st|nd|rd|th)?\b)?"
    r"(?:,?\s+(?P<{p}year>(?:19|20)\d{{2}}))?)"
)
_RANGE = re.compile(
    r"\b(?:between|from)\s+" + _DATE.format(p="a") + r"\s+(?:and|to|until|through)\s+" + _DATE.format(p="b"),
    re.IGNORECASE,
)
_AFTER = re.compile(r"\b(?:after|since|later than|from)\s+" + _DATE.format(p="a"), re.IGNORECASE)
_BEFORE = re.compile(r"\b(?:before|until|till|prior to|earlier than|by)\s+" + _DATE.format(p="a"), re.IGNORECASE)
_ANY = re.compile(r"\b" + _DATE.format(p="a"), re.IGNORECASE)


@dataclass(frozen=True)
class NamedDates:
    """What a question says about time: exact days, and a soft ``since``/``until`` range (ISO days)."""

    days: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None

    def __bool__(self) -> bool:
        return bool(self.days or self.since or self.until)


def parse_dates(text: str, default_year: int) -> NamedDates:
    """Exact days mentioned, plus a ``since``/``until`` range from "after X", "before X", "between X and Y".

    A month without a day ("in October 2023") counts as a range; a day as a day. Soft by design:
    the caller boosts, it does not filter."""
    since = until = None
    covered = [False] * len(text)

    def mark(match: re.Match) -> None:
        covered[match.start() : match.end()] = [True] * (match.end() - match.start())

    for match in _RANGE.finditer(text):
        a, b = _span(match, "a", default_year), _span(match, "b", default_year)
        if a and b:
            since, until = a[0].isoformat(), b[1].isoformat()
            mark(match)
    for match in _AFTER.finditer(text):
        if any(covered[match.start() : match.end()]):
            continue
        a = _span(match, "a", default_year)
        if a:
            # "after October 7" starts the next day; "after October" the next month; "since" includes it
            inclusive = match.group(0).lower().startswith(("since", "from"))
            first = a[0] if inclusive else a[1] + timedelta(days=1)
            since = max(since or "", first.isoformat())
            mark(match)
    for match in _BEFORE.finditer(text):
        if any(covered[match.start() : match.end()]):
            continue
        a = _span(match, "a", default_year)
        if a:
            inclusive = match.group(0).lower().startswith(("until", "till", "by"))
            last = a[1] if inclusive else a[0] - timedelta(days=1)
            until = min(until or "9999", last.isoformat())
            mark(match)
    days: list[str] = []
    for match in _ANY.finditer(text):
        if any(covered[match.start() : match.end()]):
            continue
        a = _span(match, "a", default_year)
        if not a:
            continue
        if a[0] == a[1]:
            if a[0].isoformat() not in days:
                days.append(a[0].isoformat())
        elif since is None and until is None and _has_year(match, "a"):
            since, until = a[0].isoformat(), a[1].isoformat()  # "in October 2023"
    return NamedDates(tuple(days), since, until)


def parse_day(text: str, *, last: bool, default_year: int | None = None) -> str:
    """An explicit ``--since``/``--until`` value as an ISO day: "2023-10-07", "October 7, 2023",
    "October 2023" (its first or ``last`` day). Raises ValueError with the accepted forms."""
    value = " ".join((text or "").split())
    match = _ANY.fullmatch(value)
    span = _span(match, "a", default_year or date.today().year) if match else None
    if span is None:
        raise ValueError(f"Cannot read the date {text!r}; use 2023-10-07, 'October 7, 2023' or 'October 2023'.")
    return (span[1] if last else span[0]).isoformat()


def _has_year(match: re.Match, p: str) -> bool:
    return bool(match.group(f"{p}year") or match.group(f"{p}iso"))


def _span(match: re.Match, p: str, default_year: int) -> tuple[date, date] | None:
    """The first and last day a matched date expression covers."""
    iso = match.group(f"{p}iso")
    if iso:
        try:
            day = date.fromisoformat(iso)
        except ValueError:
            return None
        return day, day
    month_name = (match.group(f"{p}month") or "").lower().rstrip(".")
    month = _MONTHS.get(month_name)
    if month is None:
        return None
    day_text = match.group(f"{p}day") or match.group(f"{p}dfirst")
    if month_name == "may" and not day_text and not match.group(f"{p}year"):
        return None  # "may" is mostly a verb
    if len(month_name) == 3 and month_name != "may" and not (day_text or match.group(f"{p}year")):
        return None  # "mar", "dec" alone are too often something else
    year = int(match.group(f"{p}year") or default_year)
    try:
        if day_text:
            day = date(year, month, int(day_text))
            return day, day
        first = date(year, month, 1)
    except ValueError:
        return None
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    part = (match.group(f"{p}part") or "").lower()
    if part == "early":
        last = first + timedelta(days=9)
    elif part == "mid":
        first, last = first + timedelta(days=10), first + timedelta(days=19)
    elif part == "late":
        first = first + timedelta(days=20)
    return first, last
