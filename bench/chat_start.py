"""Chat start: seconds from starting `qa serve` to the first ``/ask`` answer (issue 23's target: <= 3 s on the
609-article index).

    QA_EMBED_BACKEND=torch HF_HUB_OFFLINE=1 .venv/bin/python bench/chat_start.py --data-dir /tmp/mh [--runs 3]

Each run copies the data dir to a temporary folder (the server writes its serving snapshots there), starts
``qa serve`` on a free port, and asks ``/ask`` one question over plain HTTP (Gradio's ``/gradio_api/call`` API, as
`gradio_client` does, without its start-up cost) as soon as the port accepts connections, again until it answers.
The clock starts just before the process is spawned. Prints every run and the median (``--json``: one object).
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
import time
import urllib.error
import urllib.request
from pathlib import Path

from common import ROOT, free_port, stop_process

# `qa serve`, run as a module from a checkout's root so that checkout's code is the one measured (``--repo``)
SERVE = [sys.executable, "-m", "qa.serve.cli", "serve"]
QUESTION = "Who was convicted in the FTX trial?"
POLL_SECONDS = 0.05  # between attempts while the server is not listening yet: small next to the 3 s target
ANSWER_TIMEOUT = 120.0  # one run gives up after this (a broken server, not a slow start)


def ask(url: str, question: str, timeout: float = 30.0) -> dict:
    """One ``/ask`` call through Gradio's two-step HTTP API: post the arguments, then read the event stream."""
    body = json.dumps({"data": [question, None, None, None, None, None, None]}).encode()  # every argument given
    request = urllib.request.Request(
        url + "gradio_api/call/ask", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        event_id = json.loads(response.read())["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/ask/{event_id}", timeout=timeout) as response:
        event = None
        for raw in response:
            line = raw.decode().strip()
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = json.loads(line.split(":", 1)[1])
                if event == "error":
                    raise RuntimeError(f"/ask failed: {data}")
                return data[0]
    raise RuntimeError("/ask: the event stream ended without an answer")


def one_run(data_dir: Path, log: Path, repo: Path = ROOT) -> float:
    """Seconds from spawning `qa serve` on a copy of ``data_dir`` to its first answer."""
    with tempfile.TemporaryDirectory(prefix="qa-start-") as scratch:
        copy = Path(scratch) / "data"
        shutil.copytree(data_dir, copy)
        port = free_port()
        env = {**os.environ, "QA_DATA_DIR": str(copy), "QA_PORT": str(port)}
        url = f"http://127.0.0.1:{port}/"
        with open(log, "a") as out:
            started = time.perf_counter()
            server = subprocess.Popen(SERVE, env=env, stdout=out, stderr=out, cwd=repo)
            try:
                while time.perf_counter() - started < ANSWER_TIMEOUT:
                    if server.poll() is not None:
                        raise SystemExit(f"qa serve exited with {server.returncode}; see {log}")
                    try:
                        answer = ask(url, QUESTION)
                    except (urllib.error.URLError, ConnectionError):
                        time.sleep(POLL_SECONDS)
                        continue
                    seconds = time.perf_counter() - started
                    if not answer.get("citations"):
                        raise SystemExit(f"the first answer cites nothing: {answer}")
                    return seconds
                raise SystemExit(f"no answer within {ANSWER_TIMEOUT:.0f} s; see {log}")
            finally:
                stop_process(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="an index (copied for every run)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--log", type=Path, default=Path(tempfile.gettempdir()) / "qa-chat-start.log")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the checkout whose `qa serve` runs (before/after)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.log.write_text("")
    times = []
    for run in range(1, args.runs + 1):
        times.append(one_run(args.data_dir, args.log, args.repo))
        if not args.json:
            print(f"run {run}: first answer {times[-1]:.2f} s after start", flush=True)
    result = {"runs": [round(t, 2) for t in times], "median_s": round(statistics.median(times), 2)}
    print(json.dumps(result) if args.json else f"median {result['median_s']:.2f} s over {len(times)} runs")


if __name__ == "__main__":
    main()
