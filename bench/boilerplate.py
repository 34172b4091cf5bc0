"""What ingest-time cleaning takes out of a corpus: HTML entities decoded, template and recurring paragraphs removed.

    .venv/bin/python bench/boilerplate.py                          # MultiHop-RAG (../shared)
    .venv/bin/python bench/boilerplate.py corpus/ --sample 40      # any inputs `qa ingest` reads

Reads the inputs as `qa ingest` does (`ingest.load.load_paths`: entities decoded), then judges their paragraphs
with `ingest.clean.strip_furniture`, and prints: characters and paragraphs removed (by reason), outlets touched,
entities decoded in titles, and a sample of removed paragraphs (the most frequent first, then a spread of the
rest) to read for real sentences that should have stayed.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

from common import MULTIHOP

sys.path.remove(str(Path(__file__).resolve().parent))  # bench/ingest.py is a script here, not the `ingest` package
from ingest.article import Article  # noqa: E402
from ingest.clean import paragraphs, strip_furniture  # noqa: E402
from ingest.load import load_paths  # noqa: E402

_RAW_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]+);")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[MULTIHOP / "corpus.jsonl"])
    parser.add_argument("--sample", type=int, default=20, help="removed paragraphs to print")
    args = parser.parse_args()

    articles = {a.id: a for a in load_paths(args.paths, 50_000_000) if isinstance(a, Article)}
    cleaned = strip_furniture(articles)
    before = sum(len(a.body) for a in articles.values())
    after = sum(len(a.body) for a in cleaned.articles.values())
    total_paragraphs = sum(len(paragraphs(a.body)) for a in articles.values())
    by_reason = collections.Counter(r.reason for r in cleaned.removed)
    chars_by_reason = collections.Counter()
    for r in cleaned.removed:
        chars_by_reason[r.reason] += len(r.text)
    touched = {r.article_id for r in cleaned.removed}
    outlets = collections.Counter(r.outlet for r in cleaned.removed)
    print(f"articles: {len(articles):,}; paragraphs: {total_paragraphs:,}; body characters: {before:,}")
    print(
        f"removed: {len(cleaned.removed):,} paragraphs, {before - after:,} characters "
        f"({100 * (before - after) / max(before, 1):.1f}%) from {len(touched):,} articles of {len(outlets)} outlets"
    )
    for reason, count in sorted(by_reason.items()):
        print(f"  {reason}: {count:,} paragraphs, {chars_by_reason[reason]:,} characters")
    left = sum(bool(_RAW_ENTITY.search(a.title + a.body + a.source)) for a in articles.values())
    print(f"articles still holding an encoded entity after loading: {left}")
    print("by outlet:", ", ".join(f"{name} {count}" for name, count in outlets.most_common()))
    distinct = collections.Counter((r.outlet, r.reason, r.text) for r in cleaned.removed)
    ranked = distinct.most_common()
    half = args.sample // 2
    step = max(1, (len(ranked) - half) // max(1, args.sample - half))
    sample = ranked[:half] + ranked[half::step][: args.sample - half]
    print(f"\n{len(ranked):,} distinct paragraphs removed; a sample of {len(sample)}:")
    for (outlet, reason, text), count in sample:
        shown = text if len(text) <= 160 else text[:157] + "..."
        print(f"  [{outlet} | {reason} | {count} articles] {shown!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
