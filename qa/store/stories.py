"""One story told once: near-duplicate articles (syndicated wire copy, a re-publication with another headline,
lede or trailing paragraph) grouped under one story id.

Each article's body (never its title: headlines are what outlets rewrite) is cut into word shingles and
summarised by a MinHash signature (`datasketch`), computed once when its segment is written and kept there
(`qa.store.segment`). Grouping runs over the stored signatures of every live article at each publish
(`qa.store.sync`): LSH finds candidate pairs, the signatures' estimated Jaccard similarity confirms them, and
connected pairs form a story named by its earliest copy (publication date, ties by article id).
`bench/stories.py` measures the choice of shingle size, threshold and permutations on a labelled set."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from qa.core.types import Passage

NUM_PERM = 128  # error of an estimated Jaccard ~ 1/sqrt(128) = 0.09; 64 lost recall at the threshold (bench)
SHINGLE_WORDS = 3  # word 3-grams: a 10% word edit keeps ~73% of them (5-grams ~59%: recall 0.88 against 0.98)
THRESHOLD = 0.5  # estimated Jaccard of the shingles at or above which two bodies are copies (bench/stories.py)
CANDIDATES = 0.3  # LSH's threshold: lower than THRESHOLD, since LSH misses pairs just above its own (at 0.5 it
# missed 3 of 21 copies with 10% of words edited, estimated 0.58 and over); candidates are then checked on signatures
# shorter bodies (~60 words: a brief, a caption, a stub) get no signature: a two-word difference is a tenth of such
# a text, and briefs that differ in their one figure ("11,100" / "11,110 dollars a tonne") are not one story copied
MIN_SHINGLES = 60
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
    from datasketch import MinHash  # imported by the writers only (with scipy: half a second a question)

    minhash = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME, permutations=_permutations(num_perm))
    minhash.update_batch(list(found))
    return np.asarray(minhash.hashvalues, dtype=np.uint32)


@functools.cache
def _permutations(num_perm: int) -> np.ndarray:
    """The hash permutations of (``num_perm``, `SEED`, `SCHEME`), drawn once per process rather than per article."""
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME).permutations


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
    if len(signatures) < 2:
        return {}
    matrix = np.stack(list(signatures.values()))
    usable = matrix.any(axis=1)  # too short to compare: no signature
    ids = [a for a, keep in zip(signatures, usable.tolist(), strict=True) if keep]
    matrix = matrix[usable]
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in _candidates(matrix, min(threshold, CANDIDATES)):
        if root(i) != root(j) and float(np.mean(matrix[i] == matrix[j])) >= threshold:
            parent[root(j)] = root(i)
    members: dict[int, list[str]] = {}
    for i, article_id in enumerate(ids):
        members.setdefault(root(i), []).append(article_id)
    stories = {}
    for found in members.values():
        if len(found) > 1:
            first = min(found, key=lambda a: (dates.get(a) or "9999", a))
            stories.update((a, first) for a in found)
    return stories


@functools.cache
def _bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """LSH bands and rows per band for ``threshold``, as datasketch weighs false positives and negatives."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def _candidates(matrix: np.ndarray, threshold: float) -> Iterator[tuple[int, int]]:
    """Row pairs that share a whole band of their signatures (LSH banding, the scheme of `MinHashLSH`), found by
    sorting each band's keys at once: datasketch's index costs ~2.5 ms an article in Python objects (50 s for
    20,000 articles at every publish), this well under a second. A band is keyed by a 64-bit mix of its values (a
    rare collision only adds a candidate, which the signatures then reject)."""
    if len(matrix) < 2:  # no pair to find (every article too short to compare, or only one)
        return
    bands, rows = _bands(threshold, matrix.shape[1])
    mix = np.asarray([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5], dtype=np.uint64)
    wide = matrix.astype(np.uint64)
    for band in range(bands):
        block = wide[:, band * rows : (band + 1) * rows]
        keys = (block * mix[np.arange(rows) % len(mix)] + np.uint64(band)).sum(axis=1, dtype=np.uint64)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        new = np.r_[True, ordered[1:] != ordered[:-1]]
        first = order[np.flatnonzero(new)][np.cumsum(new) - 1]  # each row's bucket's first row
        yield from zip(first[~new].tolist(), order[~new].tolist(), strict=True)


def story_copies(stories: Mapping[str, str], copies: Iterable[Copy]) -> dict[str, tuple[Copy, ...]]:
    """article id -> every copy of its story, earliest first (articles of one-copy stories are left out)."""
    by_story: dict[str, list[Copy]] = {}
    for copy in copies:
        if copy.article_id in stories:
            by_story.setdefault(stories[copy.article_id], []).append(copy)
    ordered = {s: tuple(sorted(c, key=lambda c: (c.published or "9999", c.article_id))) for s, c in by_story.items()}
    return {copy.article_id: found for found in ordered.values() for copy in found}
