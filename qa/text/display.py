"""How stored values read on screen: outlet names without feed taglines, dates as "Nov 17, 2023".
The one home of both: answer lines, source cards, the timeline, the outlet filter, example questions, the export and
`qa stats` all show outlets and dates through these. The stored values are kept as they are (the JSON gives them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_TAGLINE_SEPARATORS = (" | ", ": ")  # "Cnbc | World Business News Leader": the feed's tagline follows
_VOWELS = re.compile(r"[aeiouy]", re.IGNORECASE)
_ACRONYM_MAX = 5  # letters: "Cnbc", "Bbc", "Npr" were acronyms before a feed title-cased them


def outlet_display(name: str) -> str:
    """``"Cnbc | World Business News Leader"`` -> ``"CNBC"``; ``"FOX News - Health"`` stays (a section, not a
    tagline)."""
    shown = " ".join((name or "").split())
    for separator in _TAGLINE_SEPARATORS:
        head = shown.split(separator)[0].strip()
        if len(head) >= 3:
            shown = head
    words = [
        w.upper() if w[:1].isupper() and len(w) <= _ACRONYM_MAX and w.isalpha() and not _VOWELS.search(w) else w
        for w in shown.split(" ")
    ]
    return " ".join(words)


def short_date(iso: str) -> str:
    """``"2023-11-17T08:45:59Z"`` -> ``"Nov 17, 2023"``; ``""`` when there is no readable day."""
    try:
        day = date.fromisoformat((iso or "")[:10])
    except ValueError:
        return ""
    return f"{day:%b} {day.day}, {day.year}"


def added_note(uploaded: str) -> str:
    """``"2024-05-01T12:00:00Z"`` -> ``"added from the chat, May 1, 2024 12:00 UTC"``: where an uploaded article
    came from, shown wherever its source is."""
    day, clock = short_date(uploaded), (uploaded or "")[11:16]
    when = f"{day} {clock} UTC" if day and clock else day
    return f"added from the chat, {when}" if when else "added from the chat"


def source_label(source: str, published: str) -> str:
    """The head of a quote line: ``"The Verge, Nov 17, 2023"`` (outlet and date when known)."""
    outlet = outlet_display(source) or "An article"
    when = short_date(published)
    return f"{outlet}, {when}" if when else outlet


CLAIM_HEADERS = ("Claim", "Outlet, date", "Verdict", "Quote")  # the per-claim table, in every renderer
VERDICT_LABELS = {"supported": "supported", "contradicted": "contradicted", "not_found": "not found"}
NO_QUOTE = "no sentence found"


@dataclass(frozen=True)
class ClaimRow:
    """One row of the per-claim table as plain text (each renderer escapes it its own way); ``n`` is the ``[n]``
    of the quote, None when no sentence was found."""

    claim: str
    where: str
    verdict: str  # "supported", "contradicted" or "not found"
    reason: str  # why, when the checker says ("" when not)
    quote: str
    n: int | None

    @property
    def judged(self) -> str:
        """The verdict with its reason: "contradicted: negation: did not"."""
        return f"{self.verdict}: {self.reason}" if self.reason else self.verdict


def claim_rows(claims: list[dict], sentences: dict[int, str]) -> list[ClaimRow]:
    """The rows of an answer's per-claim table from its claims (``ClaimCheck.to_json()``) and its cited sentences
    by ``[n]``: "TechCrunch, Nov 17, 2023", "contradicted: says 'did not'", the quote that decides it."""
    rows = []
    for claim in claims:
        where = ", ".join(
            p for p in (outlet_display(claim.get("outlet") or ""), short_date(claim.get("date") or "")) if p
        )
        verdict = VERDICT_LABELS.get(claim.get("verdict") or "", str(claim.get("verdict") or ""))
        n = claim.get("citation")
        quote = sentences.get(n, "") if isinstance(n, int) else ""
        rows.append(
            ClaimRow(
                str(claim.get("text") or ""),
                where or "any outlet",
                verdict,
                str(claim.get("reason") or ""),
                quote or NO_QUOTE,
                n if quote else None,
            )
        )
    return rows
