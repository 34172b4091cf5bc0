"""Read a question the way a news reader means it: outlets it names, dates it mentions, and the
conversation it continues. Everything here is pure text processing, testable without a model."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

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

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.-]*[A-Za-z0-9]|[A-Za-z0-9]")


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
    days, since, until = parse_dates(question, default_year or date.today().year)
    if context and not (days or since or until):
        days, since, until = parse_dates(context, default_year or date.today().year)
    return Query(
        question=question,
        context=context,
        outlets=matcher.find(question),
        context_outlets=matcher.find(context) if context else (),
        days=days,
        since=since,
        until=until,
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


def content_words(text: str) -> list[str]:
    """Lower-cased words of ``text`` that carry meaning (no stop words), in order."""
    return [w.lower() for w in _WORD.findall(text) if w.lower() not in STOP_WORDS]


class OutletMatcher:
    """Finds indexed outlet names in free text, by full name or by the short name people use.

    "The Roar | Sports Writers Blog" is also "The Roar"; "FOX News - Health" is also "FOX News"
    (which then names every FOX News section). A one-word name written like an ordinary word
    ("fortune", "the age") is not an outlet: names must keep their capitals unless they are
    unmistakable (TechCrunch, CBSSports.com)."""

    def __init__(self, outlets: list[str] | tuple[str, ...]) -> None:
        aliases: dict[str, set[str]] = {}
        for outlet in outlets:
            if not outlet or not outlet.strip():
                continue
            for alias in _aliases(outlet):
                aliases.setdefault(alias, set()).add(outlet)
        # longest first, so "FOX News - Health" wins over "FOX News"
        self._patterns = [
            (_alias_pattern(alias), tuple(sorted(names)))
            for alias, names in sorted(aliases.items(), key=lambda item: -len(item[0]))
        ]

    def find(self, text: str) -> tuple[str, ...]:
        """Outlets named in ``text``, in the order they appear."""
        hits: list[tuple[int, tuple[str, ...]]] = []
        taken = [False] * len(text)
        for pattern, names in self._patterns:
            for match in pattern.finditer(text):
                if any(taken[match.start() : match.end()]):
                    continue
                taken[match.start() : match.end()] = [True] * (match.end() - match.start())
                hits.append((match.start(), names))
        found: list[str] = []
        for _, names in sorted(hits):
            found.extend(n for n in names if n not in found)
        return tuple(found)


def _aliases(outlet: str) -> set[str]:
    name = " ".join(outlet.split())
    aliases = {name}
    for separator in (" | ", " - ", ": "):
        head = name.split(separator)[0].strip()
        if len(head) >= 3:
            aliases.add(head)
    for alias in list(aliases):
        if alias.lower().startswith("the ") and len(alias) > 8:
            aliases.add(alias[4:])
    return aliases


def _alias_pattern(alias: str) -> re.Pattern:
    words = alias.split(" ")
    distinctive = len(words) > 2 or (len(words) == 1 and re.search(r"[A-Z0-9.]", alias[1:]))
    parts = []
    for word in words:
        if distinctive or not word[:1].isupper():
            parts.append(f"(?i:{re.escape(word)})")
        else:  # keep the capital that makes it a name: "The Age" but not "the age"
            parts.append(re.escape(word[0]) + (f"(?i:{re.escape(word[1:])})" if len(word) > 1 else ""))
    body = r"\s+".join(parts)
    return re.compile(rf"(?<![\w]){body}(?![\w])")


# ---- dates -----------------------------------------------------------------------------------------------


def parse_dates(text: str, default_year: int) -> tuple[tuple[str, ...], str | None, str | None]:
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
    return tuple(days), since, until


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


_STOP_TEXT = """
much many why whether please know let give show find explain describe
a an the and or but of to in on at for by with from as is are was were be been being this that these
those it its he she they them his her their him what which who whom whose when where why how did
does do has have had according reported report reports article articles news both also than then
there about into over after before between during while not no yes any all some more most other such
only own same so too very can will would could should just say said says cover covered coverage i me
my we our you your us tell published source sources outlet outlet's story stories piece pieces
mention mentioned
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
