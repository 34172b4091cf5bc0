"""Load on the running chat: 20 concurrent `gradio_client` users x 5 questions, then again while `qa ingest` runs.

    .venv/bin/python bench/load.py                      # MultiHop-RAG subset (../shared), or corpus/
    .venv/bin/python bench/load.py --articles 200 --users 20 --questions 5
    .venv/bin/python bench/load.py --work /tmp/qa-load-x      # keep the folder; a rerun reuses its index

It starts `python app.py` on an empty data dir (so the app builds its index from the corpus folder,
as on a first `make run`), then:
1. steady: every user asks its questions through the ``/ask`` API; success count, p50/p95 latency.
2. during ingest: the corpus changes (a fifth of the articles edited at the start, so every offset
   moves; one removed; one added) and `qa ingest` re-indexes it in another process while the users
   keep asking until it has finished. No request may fail, and every answer must come from one
   consistent index: each passage is the exact text of its article at its offsets, in the old
   corpus or the new one, never a mix within an answer.
Then it waits for the app to swap to the new corpus (the added article becomes citable).
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
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import MULTIHOP as MULTIHOP_DIR
from common import ROOT, free_port, stop_process

MULTIHOP = MULTIHOP_DIR / "corpus.jsonl"
BIN = Path(sys.executable).parent
NEW_ARTICLE = {
    "title": "Gull Point lighthouse reopens after restoration",
    "source": "Bench Herald",
    "published_at": "2024-04-18",
    "url": "https://bench.example/gull-point",
    "body": "The Gull Point lighthouse reopened on Saturday after a two-year restoration that cost 3.2 million "
    "euros, keeper Marta Olsen said. Visitors can climb the 214 steps of the tower every weekend.",
}
NEW_QUESTION = "How much did the Gull Point lighthouse restoration cost?"
EDIT = "Editor's note: this article was updated after publication. "


def records(source: Path, limit: int) -> list[dict]:
    """The first ``limit`` articles of a JSONL corpus, or the fixture articles when it is absent."""
    if source.suffix == ".jsonl" and source.exists():
        with open(source) as handle:
            return [json.loads(line) for _, line in zip(range(limit), handle, strict=False)]
    from ingest.load import load_paths

    return [
        {
            "doc_id": a.id,
            "title": a.title,
            "source": a.source,
            "published_at": a.published,
            "url": a.url,
            "body": a.body,
        }
        for a in load_paths([source], 50_000_000)
        if hasattr(a, "body")
    ][:limit]


def write_corpus(folder: Path, items: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "articles.jsonl.tmp"
    tmp.write_text("".join(json.dumps(r) + "\n" for r in items))
    os.replace(tmp, folder / "articles.jsonl")


def bodies(folder: Path) -> dict[str, str]:
    """Article id -> body, as the loader reads them (the ids the index uses)."""
    from ingest.load import load_paths

    return {a.id: a.body for a in load_paths([folder], 50_000_000) if hasattr(a, "body")}


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) a process has used so far; 0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")



def wait_ready(url: str, app: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.poll() is not None:
            raise SystemExit(f"app.py exited with {app.returncode}; see its log")
        try:
            with urllib.request.urlopen(url + "config", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"the app did not answer on {url} within {timeout:.0f} s")


class Load:
    """``users`` clients asking concurrently; records latency, failures and consistency of every answer."""

    def __init__(self, url: str, questions: list[str], versions: list[dict[str, str]]) -> None:
        self.url, self.questions, self.versions = url, questions, versions
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.inconsistent: list[str] = []
        self._lock = threading.Lock()
        self.app_cpu = self.seconds = self.load_average = 0.0

    def run(self, users: int, per_user: int, until: threading.Event | None = None, app_pid: int | None = None) -> None:
        """Connect every user first (not timed), then let them all ask at once."""
        from gradio_client import Client

        with ThreadPoolExecutor(users) as pool:
            clients = list(pool.map(lambda _: Client(self.url, verbose=False), range(users)))
            cpu, started = cpu_seconds(app_pid), time.perf_counter()
            list(pool.map(lambda u: self._user(clients[u], u, per_user, until), range(users)))
            self.app_cpu, self.seconds = cpu_seconds(app_pid) - cpu, time.perf_counter() - started
        self.load_average = os.getloadavg()[0]

    def _user(self, client, user: int, per_user: int, until: threading.Event | None) -> None:
        asked = 0
        while asked < per_user or (until is not None and not until.is_set()):
            question = self.questions[(user * per_user + asked) % len(self.questions)]
            started = time.perf_counter()
            try:
                result = client.predict(question, api_name="/ask")
            except Exception as exc:  # noqa: BLE001 - counted and shown
                with self._lock:
                    self.failures.append(f"{question!r}: {type(exc).__name__}: {exc}")
            else:
                elapsed = time.perf_counter() - started
                problem = self.check(result)
                with self._lock:
                    self.latencies.append(elapsed)
                    if problem:
                        self.inconsistent.append(f"{question!r}: {problem}")
            asked += 1

    def check(self, result: dict) -> str | None:
        """None when every passage and citation is the exact text of one corpus version."""
        for c in result["citations"]:
            lo, hi = c["highlight"]
            if c["excerpt"][lo:hi] != c["sentence"]:
                return f"citation [{c['n']}] highlight does not match its sentence"
        pieces = [(p["article_id"], p["start"], p["end"], p["text"]) for p in result["passages"]]
        pieces += [(c["article_id"], c["excerpt_start"], c["excerpt_end"], c["excerpt"]) for c in result["citations"]]
        for version in self.versions:
            if all(version.get(a, "\0")[s:e] == t for a, s, e, t in pieces):
                return None
        return "passages match neither the old nor the new corpus alone"

    def summary(self, label: str) -> dict:
        lat = sorted(self.latencies)
        p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else None
        data = {
            "phase": label,
            "requests": len(lat) + len(self.failures),
            "answered": len(lat),
            "failed": len(self.failures),
            "inconsistent": len(self.inconsistent),
            "p50_s": round(statistics.median(lat), 3) if lat else None,
            "p95_s": round(p95, 3) if lat else None,
            "max_s": round(lat[-1], 3) if lat else None,
            "throughput_per_s": round(len(lat) / self.seconds, 1) if self.seconds else None,
            "app_cpu_ms_per_request": round(1000 * self.app_cpu / len(lat), 1) if lat else None,
            "load_average_1min": round(self.load_average, 1),
        }
        print(
            f"{label}: {data['answered']}/{data['requests']} answered, {data['failed']} failed, "
            f"{data['inconsistent']} inconsistent; p50 {data['p50_s']} s, p95 {data['p95_s']} s, "
            f"max {data['max_s']} s; {data['throughput_per_s']}/s, "
            f"app CPU {data['app_cpu_ms_per_request']} ms/request, machine load {data['load_average_1min']}",
            flush=True,
        )
        for line in (self.failures + self.inconsistent)[:5]:
            print("   ", line[:300])
        return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=MULTIHOP if MULTIHOP.exists() else ROOT / "corpus")
    parser.add_argument("--articles", type=int, default=150, help="articles taken from the corpus")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5, help="questions per user")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--work", type=Path, help="reuse this folder (kept) and the index in it from an earlier run")
    args = parser.parse_args()

    from qa.serve.ui.examples import example_questions

    work = args.work or Path(tempfile.mkdtemp(prefix="qa-load-"))
    corpus, data = work / "corpus", work / "qa-data"
    reused = (corpus / "articles.jsonl").exists()
    if reused:  # --work from an earlier run: its corpus is indexed already
        old = records(corpus / "articles.jsonl", 10**9)
    else:
        old = records(args.corpus, args.articles)
        write_corpus(corpus, old)
    old_bodies = bodies(corpus)
    titles = [(r.get("title") or "", r.get("source") or "", r.get("published_at") or "") for r in old]
    questions = example_questions(titles, limit=args.users * args.questions)
    origin = "an earlier run (reused index)" if reused else args.corpus
    print(f"{len(old)} articles from {origin}; {len(questions)} distinct questions; data in {work}", flush=True)

    port = free_port()
    env = {**os.environ, "QA_DATA_DIR": str(data), "QA_CORPUS_DIR": str(corpus), "QA_PORT": str(port)}
    env["QA_RELOAD_INTERVAL"] = "1"
    log = open(work / "app.log", "w")  # noqa: SIM115 - closed below
    started = time.perf_counter()
    app = subprocess.Popen([str(BIN / "python"), str(ROOT / "app.py")], env=env, stdout=log, stderr=log, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/"
    results = []
    try:
        wait_ready(url, app, timeout=1800)
        how = "index reused" if reused else "index built from the corpus folder"
        print(f"app.py ready in {time.perf_counter() - started:.0f} s ({how})", flush=True)

        steady = Load(url, questions, [old_bodies])
        steady.run(args.users, args.questions, app_pid=app.pid)
        results.append(steady.summary("steady"))

        edited = [dict(r, body=EDIT + r["body"]) if i % 5 == 0 else r for i, r in enumerate(old[1:], start=1)]
        added = dict(NEW_ARTICLE, doc_id=f"bench-new-{time.time_ns()}")  # new on every run, also with --work
        write_corpus(corpus, [*edited, added])
        new_bodies = bodies(corpus)
        done = threading.Event()
        ingest_env = {k: v for k, v in env.items() if k != "QA_PORT"}
        ingest_started = time.perf_counter()
        ingest = subprocess.Popen(
            [str(BIN / "qa"), "ingest", str(corpus), "--json"], env=ingest_env, stdout=subprocess.PIPE, stderr=log
        )
        threading.Thread(target=lambda: (ingest.wait(), done.set()), daemon=True).start()
        during = Load(url, questions, [old_bodies, new_bodies])
        during.run(args.users, args.questions, until=done, app_pid=app.pid)
        ingest_seconds = time.perf_counter() - ingest_started
        summary = json.loads(ingest.stdout.read().decode().strip().splitlines()[-1])
        print(
            f"qa ingest (in parallel): exit {ingest.returncode}, {summary['updated']} updated, "
            f"{summary['added']} added, {summary['removed']} removed in {ingest_seconds:.1f} s",
            flush=True,
        )
        results.append(during.summary("during ingest"))

        from gradio_client import Client

        client, swapped_after = Client(url, verbose=False), None
        for _ in range(120):
            answer = client.predict(NEW_QUESTION, api_name="/ask")
            if any(c["article_id"] == added["doc_id"] for c in answer["citations"]):
                swapped_after = round(time.perf_counter() - ingest_started - ingest_seconds, 1)
                break
            time.sleep(0.5)
        print(f"new corpus served {swapped_after} s after the ingest finished", flush=True)
        after = Load(url, questions, [new_bodies])
        after.run(args.users, 1, app_pid=app.pid)
        results.append(after.summary("after swap"))
        ok = (
            all(r["failed"] == 0 and r["inconsistent"] == 0 for r in results)
            and ingest.returncode == 0
            and swapped_after is not None
        )
        out = ROOT / "bench" / "out"
        out.mkdir(exist_ok=True)
        (out / "load.json").write_text(json.dumps({"results": results, "ingest_s": ingest_seconds}, indent=2))
        print("OK" if ok else "FAILED", flush=True)
        return 0 if ok else 1
    finally:
        stop_process(app)
        log.close()
        if not (args.keep or args.work):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
