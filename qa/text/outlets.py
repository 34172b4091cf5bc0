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


def mixed_script(name: str) -> bool:
    """Whether a word of ``name`` mixes Latin letters with letters of another script that look Latin ("ТechCrunch").
    Names wholly in one script ("РИА Новости") and names mixing scripts word by word ("BBC Русская служба") pass."""
    for word in outlet_name(name).split(" "):
        scripts = {_script(ch) for ch in word} - {""}
        if LATIN in scripts and len(scripts) > 1 and any(_script(ch) != LATIN and _latin_twin(ch) for ch in word):
            return True
    return False


def skeleton(name: str) -> str:
    """``name`` with every letter that looks Latin replaced by that Latin letter, case-folded: look-alikes share it."""
    return "".join(_latin_twin(ch) or ch for ch in outlet_name(name)).casefold()


def lookalike(name: str, known: Iterable[str]) -> str:
    """Why ``name`` could pass for another outlet ("" when it cannot): a word mixing scripts, or a name that
    differs from a known one only by letters of another script that look the same."""
    key, shape = outlet_key(name), skeleton(name)
    twins = sorted({k for k in known if k and outlet_key(k) != key and skeleton(k) == shape})
    like = f" (looks like {twins[0]!r})" if twins else ""
    if mixed_script(name):
        return f"outlet {name!r} mixes Latin letters with look-alike letters of another script{like}"
    if twins:
        return f"outlet {name!r} is spelt with letters of another script{like}"
    return ""
