"""Chunk length distribution (word pieces of the model's tokenizer) of an indexed data dir, or of a corpus.

Usage: ``python bench/chunks.py [--data-dir DIR] [--corpus PATH ...] [--json]``. With ``--data-dir`` (or
QA_DATA_DIR) it counts every stored chunk text again with the model's tokenizer, and what was embedded
(title prefix + chunk), which must stay within 254 word pieces. With ``--corpus`` it chunks the input with
the current code and settings instead, without embedding anything (what a clean build would store).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from qa.core.settings import Settings
from qa.store.chroma import Store
from qa.store.embeddings.model import MAX_TEXT_TOKENS, get_tokenizer


def percentile(values: list[int], fraction: float) -> int:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return 0
    rank = max(1, round(fraction * len(values) + 0.5 - 1e-9))
    return values[min(rank, len(values)) - 1]


def distribution(values: list[int]) -> dict[str, float | int]:
    """min / p50 / p95 / max / mean of ``values``."""
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "min": ordered[0] if ordered else 0,
        "p50": percentile(ordered, 0.50),
        "p95": percentile(ordered, 0.95),
        "max": ordered[-1] if ordered else 0,
        "mean": round(sum(ordered) / len(ordered), 1) if ordered else 0.0,
    }


def stored_chunks(settings: Settings) -> list[tuple[str, str, str]]:
    """``(article id, title, chunk text)`` of every chunk in the index."""
    return [(p.article_id, p.title, p.text) for p in Store(settings).iter_passages()]


def planned_chunks(settings: Settings, paths: list[Path]) -> list[tuple[str, str, str]]:
    """``(article id, title, chunk text)`` a clean build of ``paths`` would store, by chunking alone."""
    from ingest.article import Article
    from ingest.load import load_paths
    from ingest.write import Indexer

    indexer = Indexer(settings, store=None)
    return [
        (article.id, article.title, chunk.text)
        for article in load_paths(paths, settings.max_file_bytes)
        if isinstance(article, Article)
        for chunk in indexer.prepare(article).chunks
    ]


def measure(settings: Settings, chunks: list[tuple[str, str, str]], where: str) -> dict:
    """Chunk lengths with and without the title prefix, and chunks per article."""
    tokenizer = get_tokenizer()
    texts = [text for _, _, text in chunks]
    size = settings.title_prefix_tokens
    prefixes = [tokenizer.truncate(title, size) if size and title else "" for _, title, _ in chunks]
    embedded = tokenizer.count([f"{p}\n{t}" if p else t for p, t in zip(prefixes, texts, strict=True)])
    per_article = Counter(article_id for article_id, _, _ in chunks)
    return {
        "source": where,
        "chunks": len(texts),
        "articles": len(per_article),
        "tokens": distribution(tokenizer.count(texts)),
        "embedded_with_title": distribution(embedded),
        "over_model_limit": sum(n > MAX_TEXT_TOKENS for n in embedded),
        "chunks_per_article": distribution(list(per_article.values())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="index to read [env QA_DATA_DIR]")
    parser.add_argument("--corpus", type=Path, nargs="+", default=None, help="chunk these inputs instead")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    if args.corpus:
        result = measure(settings, planned_chunks(settings, args.corpus), " ".join(map(str, args.corpus)))
    else:
        result = measure(settings, stored_chunks(settings), str(settings.data_dir))
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['chunks']} chunks in {result['articles']} articles ({result['source']})")
    for key in ("tokens", "embedded_with_title", "chunks_per_article"):
        d = result[key]
        print(f"  {key:20} min {d['min']}  p50 {d['p50']}  p95 {d['p95']}  max {d['max']}  mean {d['mean']}")
    print(f"  embedded texts over {MAX_TEXT_TOKENS} word pieces: {result['over_model_limit']}")


if __name__ == "__main__":
    main()
