"""Outlet names in free text: by full name or the short name people use."""

from __future__ import annotations

import re

from qa.text.outlets import outlet_name


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
            (_alias_pattern(alias), tuple(sorted(names)))
            for alias, names in sorted(aliases.items(), key=lambda item: -len(item[0]))
        ]

    def find(self, text: str) -> tuple[str, ...]:
        """Outlets named in ``text``, in the order they appear."""
        text = outlet_name(text)
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
