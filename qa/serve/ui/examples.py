"""Example questions drawn from the indexed corpus itself, so a first visitor knows what can be asked.

Each is a whole question a person would type: "What did <outlet> report about “<title>”?", with the title
complete (short titles only, never cut mid-word) and the outlet as shown everywhere (`qa.text.display`)."""

from __future__ import annotations

import re

from qa.text.display import outlet_display

_SPACE = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s.:;,!?|–—-]+$")
MIN_WORDS, MAX_WORDS = 4, 12  # shorter titles say too little to ask about; longer ones make an unwieldy button


def example_questions(articles: list[tuple[str, str, str]], limit: int = 4) -> list[str]:
    """Questions built from article titles ``(title, outlet, published)``: newest first, one per outlet first."""
    usable = []
    for title, outlet, published in articles:
        cleaned = _TRAILING.sub("", _SPACE.sub(" ", title or "")).strip()
        if MIN_WORDS <= len(cleaned.split()) <= MAX_WORDS and "“" not in cleaned and "”" not in cleaned:
            usable.append((published or "", outlet_display(outlet or ""), cleaned))
    usable.sort(key=lambda item: (item[0], item[2]), reverse=True)
    chosen: list[tuple[str, str]] = []
    outlets: set[str] = set()
    for pass_ in (0, 1):  # first one per outlet, then fill up with the rest
        for _published, outlet, title in usable:
            if len(chosen) == limit:
                break
            if title in {t for _, t in chosen} or (pass_ == 0 and outlet in outlets):
                continue
            chosen.append((outlet, title))
            outlets.add(outlet)
    return [question(outlet, title) for outlet, title in chosen]


def question(outlet: str, title: str) -> str:
    if outlet:
        return f"What did {outlet} report about “{title}”?"
    return f"What was reported about “{title}”?"
