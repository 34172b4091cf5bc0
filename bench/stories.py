"""Near-duplicate grouping (`qa.store.stories`) measured on a labelled set derived from MultiHop-RAG, reproducibly.

    .venv/bin/python bench/stories.py                      # the chosen settings
    .venv/bin/python bench/stories.py --sweep              # threshold x permutations x shingle size, and SimHash

Nothing is copied into the repository: the set is derived at run time from ``../shared``'s corpus.jsonl (seeded).
- near-duplicate pairs: an article and a copy of it with an edited headline, a rewritten first sentence, a
  trailing paragraph added (from another article) or removed, wire/outlet boilerplate added, or ~10% of words
  edited; several edits combined for a share of them;
- distinct pairs on the same event: two articles of one MultiHop gold question (different outlets), and two
  articles of one category published on the same day;
- the corpus's own high-similarity pairs are listed (real near-duplicates, if any) for reading.
Grouping runs over the whole corpus plus every copy, as at ingest; a pair counts as grouped when both articles
end in one story. Precision and recall are over the labelled pairs.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import re
import sys

import numpy as np
from common import MULTIHOP

from qa.store import stories

SEED = 21
PAIRS = 150  # of each kind
BOILERPLATE = (
    "NEW YORK (AP) — ",
    "Sign up for our morning newsletter to get the day's top stories.\n\n",
    "\n\nCopyright 2023 The Associated Press. All rights reserved. This material may not be published, broadcast, "
    "rewritten or redistributed.",
    "\n\nRead more: the latest news from our newsroom, delivered every morning.",
)
FILLER = [
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "new",
    "said",
    "on",
    "for",
    "with",
    "as",
    "was",
    "by",
    "at",
    "from",
    "its",
    "this",
    "that",
    "have",
    "more",
    "year",
    "people",
    "week",
]


def load_corpus() -> list[dict]:
    with open(MULTIHOP / "corpus.jsonl") as handle:
        return [json.loads(line) for line in handle]


def _paragraphs(body: str) -> list[str]:
    return [p for p in body.split("\n") if p.strip()]


def edit(body: str, kind: str, rng: random.Random, other: str) -> str:
    """``body`` as another outlet or a later edition might publish it."""
    paras = _paragraphs(body)
    if kind == "headline":  # a new headline only (titles are not shingled): the body as published, re-spaced
        return "\n\n".join(paras)
    if kind == "lede":
        first = re.split(r"(?<=[.!?])\s+", paras[0], maxsplit=1)
        lede = "In a development that drew wide attention this week, officials and observers weighed in on the news."
        paras[0] = lede + (" " + first[1] if len(first) > 1 else "")
        return "\n".join(paras)
    if kind == "add_tail":
        return "\n".join([*paras, _paragraphs(other)[-1]])
    if kind == "drop_tail":
        return "\n".join(paras[: max(1, len(paras) - max(1, len(paras) // 8))])
    if kind == "boilerplate":
        return BOILERPLATE[0] + BOILERPLATE[1] + "\n".join(paras) + rng.choice(BOILERPLATE[2:])
    if kind == "words":
        words = body.split(" ")
        for i in rng.sample(range(len(words)), len(words) // 10):
            words[i] = rng.choice(FILLER) if rng.random() < 0.5 else ""
        return " ".join(w for w in words if w)
    if kind == "combined":
        return edit(edit(edit(body, "lede", rng, other), "drop_tail", rng, other), "boilerplate", rng, other)
    raise ValueError(kind)


KINDS = ("headline", "lede", "add_tail", "drop_tail", "boilerplate", "words", "combined")


def labelled(corpus: list[dict], rng: random.Random) -> tuple[dict[str, dict], list[tuple[str, str, bool, str]]]:
    """Articles (corpus + copies) by id, and (a, b, same story?, kind) pairs."""
    articles = {a["doc_id"]: a for a in corpus}
    pairs: list[tuple[str, str, bool, str]] = []
    for i, original in enumerate(rng.sample(corpus, PAIRS)):
        kind = KINDS[i % len(KINDS)]
        other = rng.choice(corpus)["body"]
        copy_id = f"copy{i:03d}-{kind}"
        articles[copy_id] = {**original, "doc_id": copy_id, "body": edit(original["body"], kind, rng, other)}
        pairs.append((original["doc_id"], copy_id, True, kind))
    distinct: set[tuple[str, str, str]] = set()
    with open(MULTIHOP / "dev-queries.jsonl") as handle:
        for line in handle:
            gold = json.loads(line)["gold_doc_ids"]
            for a, b in itertools.combinations(sorted(set(gold)), 2):
                if articles[a]["source"] != articles[b]["source"]:
                    distinct.add((a, b, "same question"))
    by_day: dict[tuple[str, str], list[str]] = {}
    for a in corpus:
        by_day.setdefault((a["category"], a["published_at"][:10]), []).append(a["doc_id"])
    for ids in by_day.values():
        distinct.update((a, b, "same day and topic") for a, b in itertools.combinations(sorted(ids), 2))
    for kind in ("same question", "same day and topic"):
        chosen = sorted(p for p in distinct if p[2] == kind)
        pairs.extend((a, b, False, k) for a, b, k in rng.sample(chosen, min(PAIRS, len(chosen))))
    return articles, pairs


def simhash(text: str, size: int) -> int:
    """64-bit SimHash of the word shingles (Charikar), for comparison."""
    found = [int.from_bytes(hashlib.blake2b(s, digest_size=8).digest(), "big") for s in stories.shingles(text, size)]
    if not found:
        return 0
    bits = (np.asarray(found, dtype=np.uint64)[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)
    votes = (2 * bits.astype(np.int64) - 1).sum(axis=0)
    return int(sum(1 << i for i in range(64) if votes[i] > 0))


def score(pairs, same) -> tuple[float, float]:
    tp = sum(1 for a, b, label, _ in pairs if label and same(a, b))
    fp = sum(1 for a, b, label, _ in pairs if not label and same(a, b))
    positives = sum(1 for p in pairs if p[2])
    return tp / ((tp + fp) or 1), tp / (positives or 1)


def minhash_run(articles, pairs, num_perm: int, size: int, threshold: float) -> tuple[float, float, dict]:
    signatures = {i: stories.signature(a["body"], num_perm, size) for i, a in articles.items()}
    dates = {i: a["published_at"] for i, a in articles.items()}
    found = stories.group(signatures, dates, threshold)
    precision, recall = score(pairs, lambda a, b: a in found and found.get(a) == found.get(b))
    return precision, recall, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="try other thresholds, permutations, shingles, SimHash")
    args = parser.parse_args()
    corpus = load_corpus()
    articles, pairs = labelled(corpus, random.Random(SEED))
    positives = [p for p in pairs if p[2]]
    print(f"{len(positives)} near-duplicate pairs, {len(pairs) - len(positives)} distinct pairs on the same event")
    precision, recall, found = minhash_run(articles, pairs, stories.NUM_PERM, stories.SHINGLE_WORDS, stories.THRESHOLD)
    print(
        f"chosen: MinHash num_perm={stories.NUM_PERM} shingles={stories.SHINGLE_WORDS} words "
        f"threshold={stories.THRESHOLD}: precision {precision:.3f} recall {recall:.3f}"
    )
    signatures = {i: stories.signature(a["body"]) for i, a in articles.items()}
    near = [stories.similarity(signatures[a], signatures[b]) for a, b, label, _ in pairs if label]
    far = [stories.similarity(signatures[a], signatures[b]) for a, b, label, _ in pairs if not label]
    print(f"  estimated Jaccard: near-duplicates min {min(near):.2f}, distinct pairs max {max(far):.2f}")
    for kind in KINDS:
        of_kind = [p for p in positives if p[3] == kind]
        grouped = sum(1 for a, b, _, _ in of_kind if a in found and found[a] == found.get(b))
        print(f"  {kind:12} {grouped}/{len(of_kind)} grouped")
    real = {}
    for article_id, story in found.items():
        if not article_id.startswith("copy"):
            real.setdefault(story, []).append(article_id)
    real = {s: ids for s, ids in real.items() if len(ids) > 1}
    print(f"real near-duplicates in the corpus: {len(real)} stories")
    for ids in real.values():
        print("  " + " | ".join(f"{i} {articles[i]['source']}: {articles[i]['title'][:50]}" for i in ids))
    if args.sweep:
        sweep(articles, pairs)
    return 0


def sweep(articles, pairs) -> None:
    for num_perm, size, threshold in itertools.product((64, 128, 256), (3, 5), (0.4, 0.5, 0.6, 0.7)):
        precision, recall, _ = minhash_run(articles, pairs, num_perm, size, threshold)
        print(f"MinHash num_perm={num_perm:3} shingles={size} threshold={threshold}: P {precision:.3f} R {recall:.3f}")
    for size in (3, 5):
        hashes = {i: simhash(a["body"], size) for i, a in articles.items()}
        for bits in (3, 6, 10):
            precision, recall = score(pairs, lambda a, b: bin(hashes[a] ^ hashes[b]).count("1") <= bits)  # noqa: B023
            print(f"SimHash 64-bit shingles={size} hamming<={bits}: P {precision:.3f} R {recall:.3f}")


if __name__ == "__main__":
    sys.exit(main())
