"""Outlet names as stored, as matched and as checked for look-alikes: one home for all three, used by the loader
(the name stored), the searcher (``--outlet`` and the chat filter) and the chat (a mark beside a doubtful name).

Stored: Unicode NFKC (full-width and compatibility forms become the plain letters), format characters removed
(zero-width spaces and joiners, bidi marks: invisible, so two names that differ only by them look identical),
whitespace collapsed. Matched: the stored form, case-folded. A name that mixes Latin letters with letters of another
script that look Latin in one word ("ТechCrunch" with a Cyrillic Т), or whose confusable skeleton (UTS #39, from the
``confusable_homoglyphs`` tables) equals another outlet's, is a look-alike: flagged, never merged."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from confusable_homoglyphs import categories, confusables

LATIN = "LATIN"


def outlet_name(raw: str) -> str:
    """The name as stored: NFKC, no format or control characters, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", raw or "")
    kept = "".join(ch for ch in folded if ch.isspace() or unicodedata.category(ch) not in ("Cf", "Cc"))
    return " ".join(kept.split())


def outlet_key(name: str) -> str:
    """What two names must share to be the same outlet: the stored form, case-folded."""
    return outlet_name(name).casefold()


@lru_cache(maxsize=4096)
def _latin_twin(ch: str) -> str:
    """The Latin letter ``ch`` can pass for ("Т" (Cyrillic) -> "T"), or "" when it is Latin or looks like none."""
    found = confusables.is_confusable(ch, preferred_aliases=["latin"])
    if not found:
        return ""
    for glyph in found[0]["homoglyphs"]:
        if glyph["c"].isascii() and glyph["c"].isalpha():
            return glyph["c"]
    return ""


def _script(ch: str) -> str:
    return categories.alias(ch) if ch.isalpha() else ""


@lru_cache(maxsize=4096)
def _looks_like(ch: str, script: str) -> bool:
    """Whether ``ch`` (of another script) can pass for a letter of ``script``."""
    return bool(confusables.is_confusable(ch, preferred_aliases=[script.lower()]))


def mixed_script(name: str) -> bool:
    """Whether a word of ``name`` mixes Latin letters with letters of another script that look alike, either way
    ("ТechCrunch" with a Cyrillic Т, "PИA" with a Latin P). Names wholly in one script ("РИА Новости") and names
    mixing scripts word by word ("BBC Русская служба") pass."""
    for word in outlet_name(name).split(" "):
        scripts = {_script(ch) for ch in word} - {""}
        if LATIN not in scripts:
            continue
        for other in scripts - {LATIN}:
            if any(_script(ch) == other and _looks_like(ch, LATIN) for ch in word):
                return True
            if any(_script(ch) == LATIN and _looks_like(ch, other) for ch in word):
                return True
    return False


@lru_cache(maxsize=65536)
def skeleton(name: str) -> str:
    """``name`` with every letter that looks Latin replaced by that Latin letter, case-folded: look-alikes share it."""
    return "".join(_latin_twin(ch) or ch for ch in outlet_name(name)).casefold()


def lookalikes(names: Iterable[str], known: Iterable[str] = ()) -> dict[str, str]:
    """Why each of ``names`` could pass for another outlet (of ``names`` and ``known``): a word mixing scripts, or
    a name that differs from another only by letters of another script that look the same. Names that cannot are
    left out. Each name's skeleton is computed once, so a corpus of thousands of outlets is checked at once."""
    names = [n for n in dict.fromkeys(names) if n]
    shapes: dict[str, set[str]] = {}
    for other in {*names, *known}:
        if other:
            shapes.setdefault(skeleton(other), set()).add(other)
    reasons = {}
    for name in names:
        key = outlet_key(name)
        twins = sorted(k for k in shapes.get(skeleton(name), ()) if outlet_key(k) != key)
        plain = [k for k in twins if skeleton(k) == outlet_key(k) and not mixed_script(k)]  # read as written
        like = f" (looks like {(plain or twins)[0]!r})" if twins else ""
        if mixed_script(name):
            reasons[name] = f"outlet {name!r} mixes Latin letters with look-alike letters of another script{like}"
        elif plain and skeleton(name) != key:  # spelt in another script to look like a Latin name
            reasons[name] = f"outlet {name!r} is spelt with letters of another script{like}"
    return reasons


def lookalike(name: str, known: Iterable[str]) -> str:
    """Why ``name`` could pass for one of ``known`` ("" when it cannot); see `lookalikes`."""
    return lookalikes([name], known).get(name, "")
