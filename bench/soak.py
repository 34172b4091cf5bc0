"""Soak run: the chat under a steady question rate for a long time while `qa ingest` keeps adding articles.

    .venv/bin/python bench/soak.py                                  # 30 min, 2 questions/s, +50 articles / 2 min
    .venv/bin/python bench/soak.py --minutes 6 --window 60 --add-every 60 --add-count 20
    .venv/bin/python bench/soak.py --data-dir /tmp/mh --articles more.jsonl   # an index of your own (copied)

Without ``--data-dir`` the base index is built first from the first ``--base`` articles of MultiHop-RAG's
``corpus.jsonl`` (with the ``QA_EMBED_BACKEND`` of the environment); the articles added are by default the
corpus's others (all of them not in the base index; when they run out they come again under new ids). It starts
``qa serve`` on a copy of the index, then for ``--minutes``:

- questions of ``dev-queries.jsonl`` are sent to ``/ask`` at ``--rate`` per second (plain HTTP, a pool of
  clients, one question every 1/rate s however long the others take);
- every ``--add-every`` s the next ``--add-count`` articles are written as one more JSONL file into a folder
  that ``qa ingest`` (another process) indexes; the chat swaps to each new index by itself;
- every few seconds the server's RSS (``/proc/PID/status``) and its serving snapshot folders are sampled.

Per ``--window`` s it prints questions, failed, p50/p95 latency, RSS at the window's start and end, the most
snapshot folders on disk, articles indexed; at the end whether RSS grew beyond the added data, and ``OK`` when no
question failed and the snapshots were cleaned up. ``--json FILE`` also writes every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from chat_start import SERVE, ask
from common import MULTIHOP, ROOT, free_port, stop_process

CORPUS = MULTIHOP / "corpus.jsonl"
QUESTIONS = MULTIHOP / "dev-queries.jsonl"
INGEST = [sys.executable, "-m", "qa.serve.cli", "ingest"]
SAMPLE_SECONDS = 5.0  # RSS and snapshot folders: often enough to see a swap's peak, cheap next to the questions
CLIENTS = 32  # questions in flight at most; more than the server answers at once, so its queue is what is measured
ASK_TIMEOUT = 120.0  # a question not answered in this long counts as failed
START_TIMEOUT = 300.0


@dataclass
class Result:
    sent: float  # seconds since the run started
    seconds: float
    error: str | None = None


@dataclass
class Sample:
    at: float
    rss_mb: float
    snapshots: int


@dataclass
class Added:
    at: float  # when the ingest finished
    seconds: float
    articles: int  # `qa ingest --json`'s "added"
    code: int


@dataclass
class Run:
    results: list[Result] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    added: list[Added] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def indexed_ids(data_dir: Path) -> set[str]:
    """Article ids in the index of ``data_dir`` (its search arrays)."""
    from qa.core.settings import Settings
    from qa.store.arrays import Arrays, read_version

    folder = Settings(data_dir=data_dir).arrays_dir
    version = read_version(folder)
    return set(Arrays.open(folder, version).article_rows()) if version else set()


def run_ingest(paths: list[Path], env: dict, log) -> tuple[int, dict]:
    done = subprocess.run([*INGEST, *map(str, paths), "--json"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=log)
    lines = done.stdout.decode().strip().splitlines()
    return done.returncode, json.loads(lines[-1]) if lines else {}


def base_index(args, work: Path, env: dict, log) -> Path:
    """The data dir the chat serves: a copy of ``--data-dir``, or one built from the corpus's first articles."""
    data = work / "data"
    if args.data_dir:
        shutil.copytree(args.data_dir, data)
        return data
    base = work / "base" / "articles.jsonl"
    base.parent.mkdir(parents=True)
    base.write_text("".join(json.dumps(r) + "\n" for r in read_jsonl(CORPUS)[: args.base]), encoding="utf-8")
    started = time.perf_counter()
    code, summary = run_ingest([base], {**env, "QA_DATA_DIR": str(data)}, log)
    if code:
        raise SystemExit(f"building the base index failed ({code}); see {log.name}")
    print(f"base index: {summary.get('added')} articles in {time.perf_counter() - started:.0f} s", flush=True)
    return data


def to_add(args, data: Path) -> tuple[list[dict], int]:
    """The articles to add and how many of them the index holds already: when it holds them all (the 609-article
    index), they are added again under new ids from the start."""
    records = read_jsonl(args.articles or CORPUS)
    have = indexed_ids(data)
    new = [r for r in records if str(r.get("doc_id") or r.get("id")) not in have]
    return (new, 0) if new else (records, len(records))


def next_articles(pool: list[dict], count: int, taken: int) -> list[dict]:
    """The next ``count`` articles of ``pool``; past its end, the same ones again under new ids (still new data)."""
    out = []
    for i in range(taken, taken + count):
        record, round_ = dict(pool[i % len(pool)]), i // len(pool)
        if round_:
            record["doc_id"] = f"{record.get('doc_id') or record.get('id')}-again{round_}"
            record.pop("id", None)
        out.append(record)
    return out


def asker(url: str, questions: list[str], run: Run, args, started: float, stop: threading.Event) -> None:
    """One question every 1/rate s until ``stop``, each in a pool thread."""

    def one(question: str, sent: float) -> None:
        begun = time.perf_counter()
        try:
            answer = ask(url, question, timeout=ASK_TIMEOUT)
            error = None if isinstance(answer, dict) and "citations" in answer else f"unexpected answer {answer!r:.200}"
        except Exception as exc:  # noqa: BLE001 - counted and shown
            error = f"{type(exc).__name__}: {exc}"
        with run.lock:
            run.results.append(Result(sent, time.perf_counter() - begun, error))

    with ThreadPoolExecutor(CLIENTS, thread_name_prefix="client") as pool:
        n = 0
        while not stop.is_set():
            due = started + n / args.rate
            if stop.wait(max(0.0, due - time.perf_counter())):
                break
            pool.submit(one, questions[n % len(questions)], due - started)
            n += 1


def adder(pool: tuple[list[dict], int], folder: Path, env: dict, log, run: Run, args, started, stop) -> None:
    """Every ``--add-every`` s one more JSONL of ``--add-count`` articles in ``folder``, then `qa ingest folder`."""
    rounds = 0
    while not stop.wait(max(0.0, started + (rounds + 1) * args.add_every - time.perf_counter())):
        batch = next_articles(pool[0], args.add_count, pool[1] + rounds * args.add_count)
        rounds += 1
        path = folder / f"round-{rounds:03d}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in batch), encoding="utf-8")
        begun = time.perf_counter()
        code, summary = run_ingest([folder], env, log)
        with run.lock:
            run.added.append(
                Added(time.perf_counter() - started, time.perf_counter() - begun, summary.get("added", 0), code)
            )


def sampler(pid: int, serving: Path, run: Run, started: float, stop: threading.Event) -> None:
    while True:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rss_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
        except (OSError, StopIteration):
            return
        snapshots = sum(1 for p in serving.iterdir() if p.is_dir()) if serving.exists() else 0
        with run.lock:
            run.samples.append(Sample(time.perf_counter() - started, rss_kb / 1024, snapshots))
        if stop.wait(SAMPLE_SECONDS):
            return


def wait_until_answering(url: str, server: subprocess.Popen, question: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"qa serve exited with {server.returncode}")
        try:
            ask(url, question)
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise SystemExit(f"qa serve did not answer within {START_TIMEOUT:.0f} s")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def table(run: Run, args, base_articles: int) -> list[dict]:
    rows, total = [], args.minutes * 60
    windows = int(-(-total // args.window))
    for w in range(windows):
        lo, hi = w * args.window, min(total, (w + 1) * args.window)
        results = [r for r in run.results if lo <= r.sent < hi]
        ok = [r.seconds * 1000 for r in results if r.error is None]
        samples = [s for s in run.samples if lo <= s.at < hi] or run.samples[-1:]
        added = sum(a.articles for a in run.added if a.at < hi)
        p50 = statistics.median(ok) if ok else None
        p95 = percentile(ok, 0.95)
        rows.append(
            {
                "window": f"{lo / 60:g}-{hi / 60:g} min",
                "questions": len(results),
                "failed": sum(r.error is not None for r in results),
                "p50_ms": round(p50) if p50 is not None else None,
                "p95_ms": round(p95) if p95 is not None else None,
                "rss_start_mb": round(samples[0].rss_mb) if samples else None,
                "rss_end_mb": round(samples[-1].rss_mb) if samples else None,
                "snapshots_max": max((s.snapshots for s in samples), default=None),
                "ingests": sum(lo <= a.at < hi for a in run.added),
                "articles": base_articles + added,
            }
        )
    return rows


def show(rows: list[dict]) -> None:
    head = [
        "window",
        "questions",
        "failed",
        "p50_ms",
        "p95_ms",
        "rss_start_mb",
        "rss_end_mb",
        "snapshots_max",
        "ingests",
        "articles",
    ]
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in head]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    for r in rows:
        print("  ".join(str(r[h]).rjust(w) for h, w in zip(head, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=2.0, help="questions per second")
    parser.add_argument("--add-every", type=float, default=120, help="seconds between ingests")
    parser.add_argument("--add-count", type=int, default=50, help="articles added by each ingest")
    parser.add_argument("--window", type=float, default=300, help="seconds per row of the table")
    parser.add_argument("--data-dir", type=Path, help="base index (copied); default: built from --base articles")
    parser.add_argument("--base", type=int, default=300, help="articles of the base index built without --data-dir")
    parser.add_argument("--articles", type=Path, help="JSONL of articles to add (default: the corpus's others)")
    parser.add_argument("--work", type=Path, help="keep everything in this folder (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="qa-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    log = open(work / "soak.log", "w")  # noqa: SIM115 - closed below
    env = {k: v for k, v in os.environ.items() if k != "QA_DATA_DIR"}
    server = None
    try:
        data = base_index(args, work, env, log)
        env["QA_DATA_DIR"] = str(data)
        base_articles = len(indexed_ids(data))
        pool = to_add(args, data)
        questions = [q["query"] for q in read_jsonl(QUESTIONS)]
        print(f"{base_articles} articles indexed, {len(pool[0])} to add, {len(questions)} questions; work in {work}")
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        server = subprocess.Popen([*SERVE], env={**env, "QA_PORT": str(port)}, cwd=ROOT, stdout=log, stderr=log)
        wait_until_answering(url, server, questions[0])
        folder = work / "added"
        folder.mkdir(exist_ok=True)
        run, stop, started = Run(), threading.Event(), time.perf_counter()
        threads = [
            threading.Thread(target=asker, args=(url, questions, run, args, started, stop)),
            threading.Thread(target=adder, args=(pool, folder, env, log, run, args, started, stop)),
            threading.Thread(target=sampler, args=(server.pid, data / "serving", run, started, stop)),
        ]
        for t in threads:
            t.start()
        stop.wait(args.minutes * 60)
        stop.set()
        for t in threads:
            t.join()
        rows = table(run, args, base_articles)
        show(rows)
        return report(run, rows, args, server, data, log)
    finally:
        if server is not None and server.poll() is None:
            stop_process(server, timeout=30)
        log.close()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


def report(run: Run, rows: list[dict], args, server: subprocess.Popen, data: Path, log) -> int:
    failed = [r for r in run.results if r.error]
    for r in failed[:5]:
        print(f"  failed at {r.sent:.0f} s: {r.error[:300]}")
    bad_ingests = [a for a in run.added if a.code]
    first, last = run.samples[0], run.samples[-1]
    added = sum(a.articles for a in run.added)
    print(
        f"{len(run.results)} questions, {len(failed)} failed; {len(run.added)} ingests ({len(bad_ingests)} failed), "
        f"{added} articles added; RSS {first.rss_mb:.0f} -> {last.rss_mb:.0f} MB "
        f"(max {max(s.rss_mb for s in run.samples):.0f}); snapshot folders at the end: {last.snapshots}"
    )
    server.terminate()  # a clean stop removes the last snapshot too
    server.wait(timeout=60)
    serving = data / "serving"
    left = sum(1 for p in serving.iterdir() if p.is_dir()) if serving.exists() else 0
    print(f"snapshot folders after the server stopped: {left}")
    if args.json:
        figures = {
            "rows": rows,
            "results": [asdict(r) for r in run.results],
            "samples": [asdict(s) for s in run.samples],
            "added": [asdict(a) for a in run.added],
            "left_after_stop": left,
        }
        args.json.write_text(json.dumps(figures, indent=1))
    ok = not failed and not bad_ingests and last.snapshots <= 2 and left == 0
    print("OK" if ok else "FAILED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
