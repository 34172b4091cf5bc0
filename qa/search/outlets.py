"""Outlet names in free text, by full name or the short name people use; and ``--outlet`` values as indexed names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.core.errors import UnknownOutletError
from qa.text.outlets import outlet_key, outlet_name

LISTED_OUTLETS = 12  # a refusal names the indexed outlets when there are this few; else it points to `qa stats`
_ARTICLE = "the "  # "Roar" is a prefix of "The Roar | Sports Writers Blog" once its article is set aside


class OutletMatcher:
    """Finds indexed outlet names in free text, by full name or by the short name people use.

    "The Roar | Sports Writers Blog" is also "The Roar"; "FOX News - Health" is also "FOX News"
    (which then names every FOX News section). A one-word name written like an ordinary word
    ("fortune", "the age") is not an outlet: names must keep their capitals unless they are
    unmistakable (TechCrunch, CBSSports.com).

    Names and text are compared in their stored form (`qa.text.outlets.outlet_name`): "TechCrunch" with a zero-width
    space or in full-width letters is TechCrunch; "ТechCrunch" with a Cyrillic Т is another name, never this one."""

    def __init__(self, outlets: list[str] | tuple[str, ...]) -> None:
        aliases: dict[str, set[str]] = {}
        for outlet in outlets:
            if not outlet or not outlet.strip():
                continue
            for alias in _aliases(outlet):
                aliases.setdefault(alias, set()).add(outlet)
        # longest first, so "FOX News - Health" wins over "FOX News"
        self._patterns = [
            (_alias_pattern(alias), tuple(sorted(names)), _distinctive(alias))
            for alias, names in sorted(aliases.items(), key=lambda item: -len(item[0]))
        ]

    def find(self, text: str) -> tuple[str, ...]:
        """Outlets named in ``text``, in the order they appear."""
        found: list[str] = []
        for names in self.mentions(text):
            found.extend(n for n in names if n not in found)
        return tuple(found)

    def mentions(self, text: str) -> tuple[tuple[str, ...], ...]:
        """The outlets of each name in ``text``, in the order named, a name once: "FOX News" stands for every
        FOX News section, so one mention may be several outlets."""
        text = outlet_name(text)
        hits: list[tuple[int, tuple[str, ...]]] = []
        doubtful: list[tuple[re.Match, tuple[str, ...]]] = []  # an ordinary-looking name starting a sentence
        taken = [False] * len(text)
        for pattern, names, distinctive in self._patterns:
            for match in pattern.finditer(text):
                if any(taken[match.start() : match.end()]):
                    continue
                taken[match.start() : match.end()] = [True] * (match.end() - match.start())
                if not distinctive and _ordinary_word(text, match):
                    doubtful.append((match, names))
                else:
                    hits.append((match.start(), names))
        starts = {start for start, _ in hits}
        for match, names in doubtful:  # a name after all when another outlet follows it: "Fortune and The Age"
            joined = _JOINED.match(text, match.end())
            if joined and joined.end() in starts:
                hits.append((match.start(), names))
        groups: list[tuple[str, ...]] = []
        for _, names in sorted(hits):
            if names not in groups:
                groups.append(names)
        return tuple(groups)


def _aliases(outlet: str) -> set[str]:
    name = outlet_name(outlet)
    aliases = {name}
    for separator in (" | ", " - ", ": "):
        head = name.split(separator)[0].strip()
        if len(head) >= 3:
            aliases.add(head)
    for alias in list(aliases):
        if alias.lower().startswith("the ") and len(alias) > 8:
            aliases.add(alias[4:])
    return aliases


# A capital at the start of a sentence says nothing: there an ordinary-looking name ("Fortune", "The Age") is an
# outlet only when a verb of reporting or a possessive follows it ("Fortune reported", "The Verge's review").
_SENTENCE_START = re.compile(r"(?:^|[.?!:;]\s+|^\W+|[.?!:;]\s+\W+)$")
_JOINED = re.compile(r"\s*(?:,|&|\band\b|\bor\b)\s*", re.IGNORECASE)
_REPORTS = re.compile(
    r"(?:['’]s\b|\s+(?:has\s+|had\s+|also\s+)?(?:reports?|reported|says?|said|writes?|wrote|published|covers?|"
    r"covered|claims?|claimed|notes?|noted|suggests?|suggested|states?|stated|argues?|argued|describes?|described|"
    r"highlights?|highlighted|mentions?|mentioned|announced|revealed)\b)",
    re.IGNORECASE,
)


def _ordinary_word(text: str, match: re.Match) -> bool:
    """An ordinary-looking name that starts a sentence with no verb of reporting after it: "Fortune favours the
    bold", "The Age of AI"."""
    return bool(_SENTENCE_START.search(text[: match.start()])) and not _REPORTS.match(text, match.end())


def _distinctive(alias: str) -> bool:
    """A name no ordinary words make: three words or more, or one word with a capital, digit or dot inside."""
    words = alias.split(" ")
    return len(words) > 2 or bool(len(words) == 1 and re.search(r"[A-Z0-9.]", alias[1:]))


def _alias_pattern(alias: str) -> re.Pattern:
    words = alias.split(" ")
    distinctive = _distinctive(alias)
    parts = []
    for word in words:
        if distinctive or not word[:1].isupper():
            parts.append(f"(?i:{re.escape(word)})")
        else:  # keep the capital that makes it a name: "The Age" but not "the age"
            parts.append(re.escape(word[0]) + (f"(?i:{re.escape(word[1:])})" if len(word) > 1 else ""))
    body = r"\s+".join(parts)
    return re.compile(rf"(?<![\w]){body}(?![\w])")


@dataclass(frozen=True)
class Resolved:
    """``--outlet`` values as indexed outlet names, and a note for each value that stood for several outlets."""

    outlets: tuple[str, ...]
    notes: tuple[str, ...] = ()


def resolve_outlets(names: list[str] | tuple[str, ...], known: list[str] | tuple[str, ...]) -> Resolved:
    """Each of ``names`` as the ``known`` outlets it stands for, in turn: the outlet of that name (compared by
    `qa.text.outlets.outlet_key`: "techcrunch" is TechCrunch), the outlets it names the way a question would
    (`OutletMatcher`: "FOX News" is every FOX News section), else every outlet it begins, at a word's end ("BBC"
    is "BBC News - Technology" and "BBC News - Entertainment & Arts"; "Roar" is "The Roar | ..."). A value that
    stands for several outlets is noted, naming them; one that stands for none is refused. A zero-width or
    full-width variant of a name is that name; a look-alike in another script is not."""
    resolved: list[str] = []
    notes: list[str] = []
    matcher = OutletMatcher(known)
    for name in names:
        exact = [o for o in known if outlet_key(o) == outlet_key(name)]
        found = exact or list(matcher.find(name)) or starting_with(name, known)
        if not found:
            raise UnknownOutletError(unknown_outlet(name, known))
        if len(found) > 1:
            notes.append(f"Outlet {name!r} matched {len(found)} outlets: {', '.join(found)}.")
        resolved.extend(o for o in found if o not in resolved)
    return Resolved(tuple(resolved), tuple(notes))


def starting_with(name: str, known: list[str] | tuple[str, ...]) -> list[str]:
    """The ``known`` outlets whose name (or name after a leading "The") begins with ``name`` followed by the end
    of a word: "BBC" begins "BBC News - Technology", "Fox" begins "FOX News - Health", "Tech" begins no outlet."""
    key = outlet_key(name)
    if not key:
        return []
    found = []
    for outlet in known:
        full = outlet_key(outlet)
        for candidate in (full, full.removeprefix(_ARTICLE)):
            if candidate.startswith(key) and not candidate[len(key) : len(key) + 1].isalnum():
                found.append(outlet)
                break
    return sorted(found)


def unknown_outlet(name: str, known: list[str] | tuple[str, ...]) -> str:
    """Why ``name`` is refused: every indexed outlet when they are few, else where to see them all."""
    if len(known) <= LISTED_OUTLETS:
        listed = ", ".join(known) or "none"
        return f"No indexed outlet is called {name!r}. Indexed outlets: {listed}."
    return f"No indexed outlet is called {name!r}. `qa stats` lists all {len(known)} indexed outlets."
