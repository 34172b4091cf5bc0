"""How the index scales: build time, disk, memory, start-up, `ask` latency and the cost of adding 100 articles.

Chunks are written through the project's own `Indexer` (chunking, pending/done manifest, `Store`) from
synthetic articles made of MultiHop-RAG sentences; their vectors are random unit vectors (embedding
100k chunks would take hours on 2 cores and says nothing about the store). Questions go through the
real path: `Assistant.ask` with the real query embedding, dense search in Chroma, BM25, blending.

    .venv/bin/python bench/scale.py --sizes 10000,100000 --modes embedded,server
    .venv/bin/python bench/scale.py --sizes 100000,1000000 --modes arrays   # synthetic arrays, no Chroma

Each mode runs in its own worker process (so its RSS is its own); sizes grow one store incrementally.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import MULTIHOP, server_fixtures

DIM = 384
ARTICLES_PER_WRITE = 64


class RandomEmbeddings:
    """Random unit vectors: the store's cost depends on the count and size of vectors, not their meaning."""

    def __init__(self, seed: int) -> None:
        import numpy as np

        self._rng = np.random.default_rng(seed)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        vectors = self._rng.standard_normal((len(texts), DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors.tolist()


class SyntheticCorpus:
    """Articles of 6-14 random MultiHop sentences under a random MultiHop title: real words, real lengths."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.titles, self.sentences, self.outlets = [], [], set()
        with open(MULTIHOP / "corpus.jsonl") as handle:
            for line in handle:
                record = json.loads(line)
                self.titles.append(record["title"])
                self.outlets.add(record["source"])
                self.sentences += [s for s in re.split(r"(?<=[.!?])\s+", record["body"]) if 40 < len(s) < 400]
        self.outlets = sorted(self.outlets)

    def articles(self, start: int, count: int):
        from ingest.article import Article

        for number in range(start, start + count):
            day = 1 + number % 28
            yield Article(
                id=f"syn-{number:07d}",
                title=f"{self.rng.choice(self.titles)} ({number})",
                body="\n\n".join(self.rng.sample(self.sentences, self.rng.randint(6, 14))),
                source=self.rng.choice(self.outlets),
                published=f"2023-{1 + number % 12:02d}-{day:02d}",
                origin="bench://synthetic",
            )


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory now (not the peak), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def disk_mb(*paths: Path) -> float:
    total = sum(f.stat().st_size for p in paths if p.exists() for f in p.rglob("*") if f.is_file())
    return total / 1e6


def questions(n: int) -> list[str]:
    with open(MULTIHOP / "dev-queries.jsonl") as handle:
        return [json.loads(line)["query"] for line, _ in zip(handle, range(n), strict=False)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def worker(
    mode: str, sizes: list[int], work: Path, url: str | None, server_pid: int | None, n_questions: int, reuse: bool
) -> None:
    """Grow one store through the sizes; after each, measure and print one JSON row."""
    from ingest.write import Indexer
    from qa.answer.assistant import Assistant
    from qa.core.settings import Settings
    from qa.store.chroma import Store
    from qa.store.config import index_config
    from qa.store.sync import sync_arrays

    settings = Settings(data_dir=work / f"{mode}-data", collection="scale", chroma_url=url)
    store = Store(settings)
    store.check_config(index_config(settings), adopt=True)
    indexer = Indexer(settings, store, embeddings=RandomEmbeddings(seed=1))
    corpus, written, articles, build_seconds = SyntheticCorpus(), 0, 0, 0.0
    asked = questions(n_questions)
    if reuse:  # measure an index an earlier `--keep` run built
        written, articles, build_seconds = store.chunk_count(), len(store.manifest()), float("nan")
    for size in sizes:
        started = time.perf_counter()
        while written < size:
            batch = list(corpus.articles(articles, ARTICLES_PER_WRITE))
            written += indexer.write(indexer.prepare_all(batch), {}, lambda done: None)
            articles += len(batch)
        version = store.bump_version()
        build_seconds += time.perf_counter() - started

        started = time.perf_counter()
        sync_arrays(store, settings.arrays_dir, index_config(settings), version)
        arrays_sync = time.perf_counter() - started

        assistant = Assistant(settings)
        assistant.searcher.hybrid.embeddings.embed_query("load the model first")
        started = time.perf_counter()
        assistant.ask("warm-up: the first question loads this corpus version (BM25 and passages)")
        first_ask = time.perf_counter() - started
        latencies = []
        for question in asked:
            started = time.perf_counter()
            assistant.ask(question)
            latencies.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()  # 100 more articles: chunks into the store, then the arrays by delta
        batch = list(corpus.articles(articles, 100))
        written += indexer.write(indexer.prepare_all(batch), {}, lambda done: None)
        articles += len(batch)
        version = store.bump_version()
        sync_arrays(store, settings.arrays_dir, index_config(settings), version)
        add_100 = time.perf_counter() - started
        started = time.perf_counter()
        assistant.ask(asked[0])
        reload_ask = time.perf_counter() - started
        assert assistant.searcher.current().arrays.version == version
        chroma_path = Path(os.environ["QA_SCALE_SERVER_PATH"]) if url else settings.chroma_dir
        row = {
            "mode": mode,
            "chunks": store.chunk_count(),
            "articles": articles,
            "build_s": round(build_seconds, 1),
            "arrays_s": round(arrays_sync, 1),
            "start_s": round(first_ask, 2),
            "disk_mb": round(disk_mb(chroma_path, settings.arrays_dir), 1),
            "rss_mb": round(rss_mb(), 0),
            "server_rss_mb": round(rss_mb(server_pid), 0) if server_pid else 0,
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(percentile(latencies, 0.95), 1),
            "add_100_s": round(add_100, 2),
            "reload_ask_s": round(reload_ask, 2),
        }
        print(json.dumps(row), flush=True)
        del assistant


def run_mode(mode: str, args: argparse.Namespace, work: Path) -> list[dict]:
    """One worker process per mode (and one `chroma run` for server mode; ``arrays``: synthetic search
    arrays alone, see `bench/scale_arrays.py`); returns its rows."""
    env = {**os.environ, "QA_EMBED_THREADS": "1", "ANONYMIZED_TELEMETRY": "False"}
    command = [sys.executable, __file__, "--worker", mode, "--sizes", args.sizes, "--questions", str(args.questions)]
    command += ["--work-dir", str(work)] + (["--reuse"] if args.reuse else [])
    server = None
    if mode == "server":
        ChromaServer = server_fixtures().ChromaServer

        server = ChromaServer(work / "server-db").start()
        env["QA_SCALE_SERVER_PATH"] = str(server.path)
        command += ["--url", server.url, "--server-pid", str(server.process.pid)]
    rows = []
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
        for line in process.stdout:
            if line.startswith("{"):
                rows.append(json.loads(line))
                print(format_row(rows[-1]), flush=True)
        process.wait()
    finally:
        if server:
            server.stop()
    return rows


COLUMNS = (
    ("mode", "mode", "{}"),
    ("chunks", "chunks", "{:,}"),
    ("build_s", "build s", "{}"),
    ("arrays_s", "arrays build s", "{}"),
    ("start_s", "start-up s", "{}"),
    ("disk_mb", "disk MB", "{}"),
    ("rss_mb", "client RSS MB", "{:.0f}"),
    ("server_rss_mb", "server RSS MB", "{:.0f}"),
    ("anon_mb", "of which private MB", "{:.0f}"),
    ("p50_ms", "ask p50 ms", "{}"),
    ("p95_ms", "ask p95 ms", "{}"),
    ("add_100_s", "add 100 articles s", "{}"),
    ("reload_ask_s", "next ask (reload) s", "{}"),
)


def format_row(row: dict) -> str:
    return "| " + " | ".join(fmt.format(row[key]) if key in row else "" for key, _, fmt in COLUMNS) + " |"


def print_table(rows: list[dict]) -> None:
    print("| " + " | ".join(title for _, title, _ in COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for row in rows:
        print(format_row(row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="chunk counts, ascending, comma-separated")
    parser.add_argument("--modes", default="embedded,server")
    parser.add_argument("--questions", type=int, default=60, help="timed MultiHop questions per size")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/qa-scale"))
    parser.add_argument("--keep", action="store_true", help="keep the built indexes")
    parser.add_argument("--reuse", action="store_true", help="measure the indexes a --keep run left in --work-dir")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if args.worker == "arrays":
        from scale_arrays import worker as arrays_worker

        arrays_worker(sizes, args.work_dir, questions(args.questions))
        return
    if args.worker:
        worker(args.worker, sizes, args.work_dir, args.url, args.server_pid, args.questions, args.reuse)
        return
    if not (MULTIHOP / "corpus.jsonl").exists():
        sys.exit(f"MultiHop-RAG corpus not found at {MULTIHOP}")
    if not args.reuse:
        shutil.rmtree(args.work_dir, ignore_errors=True)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for mode in args.modes.split(","):
            rows += run_mode(mode, args, args.work_dir)
    finally:
        if not (args.keep or args.reuse):
            shutil.rmtree(args.work_dir, ignore_errors=True)
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
