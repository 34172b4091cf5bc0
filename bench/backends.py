"""Embedding backends on this CPU: chunks per second and how close each one's vectors are to torch fp32.

Usage: ``python -P bench/backends.py [--articles 40] [--backends torch,onnx,onnx-int8,torch-bf16] [--json]``.

The texts are what an ingest embeds (title prefix + chunk) for the first ``--articles`` MultiHop-RAG
articles. Each backend loads its model first (timed apart: ``load s``), embeds the texts once to warm
up, then ``--repeats`` more times; the best repeat gives the rate (the machine may be shared). The
cosine columns compare each backend's vectors with the first backend's (torch fp32 by default). The
last line names the CPU's bf16 flags and the backend ``QA_EMBED_BACKEND=auto`` picks for a new index.
(``-P``: ``bench/ingest.py`` would shadow the ``ingest`` package.)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.core.settings import Settings
from qa.store.embeddings.cpu import BF16_FLAGS, cpu_backend, cpu_flags
from qa.store.embeddings.factory import make_embeddings

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "multihop-rag" / "corpus.jsonl"


@dataclass(frozen=True)
class Rate:
    """One backend's figures on the texts."""

    backend: str
    load_s: float
    chunks_per_s: float
    cpu_s_per_chunk_ms: float
    min_cosine: float
    mean_cosine: float


def chunk_texts(corpus: Path, articles: int) -> list[str]:
    """What an ingest of the first ``articles`` of ``corpus`` embeds."""
    from ingest.plan import load
    from ingest.write import Indexer

    lines = [line for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()][:articles]
    subset = Path(f"/tmp/bench-backends-{articles}.jsonl")
    subset.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = Settings()
    indexer = Indexer(settings, store=None, embeddings=object())
    prepared = indexer.prepare_all(list(load([subset], settings.max_file_bytes).articles.values()))
    return [f"{p.prefix}\n{chunk.text}" if p.prefix else chunk.text for p in prepared for chunk in p.chunks]


def measure(backend: str, texts: list[str], repeats: int, reference: np.ndarray | None) -> tuple[Rate, np.ndarray]:
    embeddings = make_embeddings(backend)
    started = time.perf_counter()
    embeddings._prepare()  # load (and for ONNX export, once per machine) outside the rate
    load_s = time.perf_counter() - started
    vectors = embeddings.encode(texts)
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        embeddings.encode(texts)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    cosines = np.sum(vectors * (reference if reference is not None else vectors), axis=1)
    rate = Rate(
        backend,
        round(load_s, 2),
        round(len(texts) / best_wall, 1),
        round(1000 * best_cpu / len(texts), 2),
        round(float(cosines.min()), 5),
        round(float(cosines.mean()), 6),
    )
    return rate, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--backends", default="torch,onnx,onnx-int8,torch-bf16")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.corpus.exists():
        sys.exit(f"Corpus not found: {args.corpus}")
    texts = chunk_texts(args.corpus, args.articles)
    print(f"{len(texts)} chunks of {args.articles} articles", file=sys.stderr)
    rates, reference = [], None
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        rate, vectors = measure(backend, texts, args.repeats, reference)
        reference = vectors if reference is None else reference
        rates.append(rate)
        print(f"  done: {backend}: {rate.chunks_per_s} chunks/s", file=sys.stderr, flush=True)
    print("| backend | load s | chunks/s | CPU ms/chunk | min cosine | mean cosine |")
    print("|---|---|---|---|---|---|")
    for r in rates:
        cells = (r.backend, r.load_s, r.chunks_per_s, r.cpu_s_per_chunk_ms, r.min_cosine, r.mean_cosine)
        print("| " + " | ".join(str(cell) for cell in cells) + " |")
    flags = sorted(cpu_flags() & BF16_FLAGS)
    print(f"\nbf16 flags: {', '.join(flags) or 'none'}; auto picks {cpu_backend()} for a new index")
    if args.json:
        print(json.dumps([asdict(r) for r in rates]))


if __name__ == "__main__":
    main()
