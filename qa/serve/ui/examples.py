"""Example questions drawn from the indexed corpus itself, so a first visitor knows what can be asked."""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s.:;,!?|–—-]+$")


def example_questions(articles: list[tuple[str, str, str]], limit: int = 4) -> list[str]:
    """Questions built from article titles ``(title, outlet, published)``: newest first, one per outlet first."""
    usable = []
    for title, outlet, published in articles:
        cleaned = _TRAILING.sub("", _SPACE.sub(" ", title or "")).strip()
        words = cleaned.split()
        if 4 <= len(words) <= 18:
            usable.append((published or "", outlet or "", cleaned))
    usable.sort(key=lambda item: (item[0], item[2]), reverse=True)
    chosen, outlets = [], set()
    for pass_ in (0, 1):  # first one per outlet, then fill up with the rest
        for _published, outlet, title in usable:
            if len(chosen) == limit:
                break
            if title in chosen or (pass_ == 0 and outlet in outlets):
                continue
            chosen.append(title)
            outlets.add(outlet)
    return [f"What was reported about “{title}”?" for title in chosen]
