"""One story told once: near-duplicate articles (syndicated wire copy, a re-publication with another headline,
lede or trailing paragraph) grouped under one story id.

Each article's body (never its title: headlines are what outlets rewrite) is cut into word shingles and
summarised by a MinHash signature (`datasketch`), computed once when its segment is written and kept there
(`qa.store.segment`). Grouping runs over the stored signatures of every live article at each publish
(`qa.store.sync`): LSH finds candidate pairs, the signatures' estimated Jaccard similarity confirms them, and
connected pairs form a story named by its earliest copy (publication date, ties by article id).
`bench/stories.py` measures the choice of shingle size, threshold and permutations on a labelled set."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
from datasketch import MinHash, MinHashLSH

from qa.core.types import Passage

NUM_PERM = 128  # error of an estimated Jaccard ~ 1/sqrt(128) = 0.09; 64 lost recall at the threshold (bench)
SHINGLE_WORDS = 5  # word 5-grams: a 10% word edit keeps ~60% of shingles; shared phrases of distinct reports few
THRESHOLD = 0.5  # estimated Jaccard of the shingles at or above which two bodies are copies (bench/stories.py)
MIN_SHINGLES = 20  # shorter bodies (a caption, a stub) get no signature: too little text to call a copy
SEED = 1  # the permutations; changing it or SCHEME changes every signature (stored ones are rebuilt with FORMAT)
SCHEME = "affine32"  # datasketch 2's permutation scheme, named: stored values are only comparable under it
_WORD = re.compile(r"\w+")


class Copy(NamedTuple):
    """One article of a story: what ranking and the "also published by" line need."""

    article_id: str
    source: str
    published: str


def body_text(passages: Sequence[Passage]) -> str:
    """The article body covered by its chunks, in order (overlapping chunks joined at their offsets)."""
    parts, end = [], 0
    for passage in passages:
        if passage.end <= end:
            continue
        skip = max(0, end - passage.start)
        parts.append(passage.text[skip:])
        end = passage.end
    return " ".join(parts)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """The body's word ``size``-grams, lower-cased (punctuation and spacing differences vanish)."""
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(max(0, len(words) - size + 1))}


def signature(text: str, num_perm: int = NUM_PERM, size: int = SHINGLE_WORDS) -> np.ndarray:
    """The body's MinHash (``num_perm`` uint32); all zeros when it is too short to compare."""
    found = shingles(text, size)
    if len(found) < MIN_SHINGLES:
        return np.zeros(num_perm, dtype=np.uint32)
    minhash = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME)
    minhash.update_batch(list(found))
    return np.asarray(minhash.hashvalues, dtype=np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures (0 when either has none)."""
    if not a.any() or not b.any():
        return 0.0
    return float(np.mean(a == b))


def group(
    signatures: Mapping[str, np.ndarray], dates: Mapping[str, str], threshold: float = THRESHOLD
) -> dict[str, str]:
    """article id -> story id for every article with at least one copy (single articles are left out: their
    story is themselves). ``dates``: each article's publication date (ISO; "" sorts last)."""
    if not signatures:
        return {}
    num_perm = len(next(iter(signatures.values())))
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    usable = {a: s for a, s in signatures.items() if s.any()}
    for article_id, values in usable.items():
        lsh.insert(article_id, MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME, hashvalues=values))
    parent = {a: a for a in usable}

    def root(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for article_id, values in usable.items():
        for other in lsh.query(MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME, hashvalues=values)):
            if other != article_id and similarity(values, usable[other]) >= threshold:
                parent[root(other)] = root(article_id)
    members: dict[str, list[str]] = {}
    for article_id in usable:
        members.setdefault(root(article_id), []).append(article_id)
    stories = {}
    for found in members.values():
        if len(found) > 1:
            first = min(found, key=lambda a: (dates.get(a) or "9999", a))
            stories.update((a, first) for a in found)
    return stories


def story_copies(stories: Mapping[str, str], copies: Iterable[Copy]) -> dict[str, tuple[Copy, ...]]:
    """article id -> every copy of its story, earliest first (articles of one-copy stories are left out)."""
    by_story: dict[str, list[Copy]] = {}
    for copy in copies:
        if copy.article_id in stories:
            by_story.setdefault(stories[copy.article_id], []).append(copy)
    ordered = {s: tuple(sorted(c, key=lambda c: (c.published or "9999", c.article_id))) for s, c in by_story.items()}
    return {copy.article_id: found for found in ordered.values() for copy in found}
