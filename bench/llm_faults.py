"""Generation faults, measured (issue 24): seconds until the extractive fallback for each way a model server can
misbehave (the fake server of tests/test_llm_faults.py), through `Assistant.ask` (`qa ask --llm`, ``/ask``) and
the streamed path (the chat); then plain ``/ask`` latency on a served chat while 4 slow model calls run.

    python bench/llm_faults.py --data-dir /tmp/llm-faults [--timeout 8] [--plain 30]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from test_llm_faults import BRIDGE, FAULTS, FakeModel  # noqa: E402

from ingest.index import ingest  # noqa: E402
from qa.answer.assistant import Assistant  # noqa: E402
from qa.core.settings import Settings  # noqa: E402

SLOW_CALLS = 4


def index(data_dir: Path) -> Settings:
    settings = Settings(data_dir=data_dir, embed_backend="onnx")
    if not data_dir.exists():
        shutil.copytree(ROOT / "tests" / "fixtures" / "articles", data_dir.parent / "articles", dirs_exist_ok=True)
        ingest([data_dir.parent / "articles"], settings)
    return settings


def fallbacks(settings: Settings, fake: FakeModel, timeout: float) -> None:
    model = Settings(**{**settings.model_dump(), "llm_url": fake.url, "llm_timeout": timeout})
    assistant = Assistant(model)
    fake.mode = "ok"
    assistant.ask(BRIDGE, llm=True)  # models and the model client loaded before the clock starts
    print(f"| fault (QA_LLM_TIMEOUT={timeout:g}) | ask (CLI, /ask) | streamed (chat) | notice |")
    print("|---|---|---|---|")
    for fault in FAULTS:
        fake.mode = fault
        started = time.monotonic()
        answer = assistant.ask(BRIDGE, llm=True)
        whole = time.monotonic() - started
        started = time.monotonic()
        *_, streamed = assistant.ask_stream(BRIDGE, llm=True)
        stream = time.monotonic() - started
        assert answer.mode == streamed.mode == "extractive"
        print(f"| {fault} | {whole:.2f} s | {stream:.2f} s | {answer.notice} |")


def plain_latency(settings: Settings, fake: FakeModel, timeout: float, plain: int) -> None:
    from corpora import serve_copy
    from gradio_client import Client

    root = settings.data_dir.parent / "served"
    shutil.rmtree(root, ignore_errors=True)
    demo, live, config = serve_copy(settings, root, reload_interval=60, chat_uploads=False, embed_backend="onnx",
                                    llm_url=fake.url, llm_timeout=timeout)  # fmt: skip
    try:
        client = Client(f"http://127.0.0.1:{config.port}/", verbose=False)
        alone = [_timed(client) for _ in range(plain)]
        fake.mode = "trickle"
        slow = [client.submit(BRIDGE, llm=True, api_name="/ask") for _ in range(SLOW_CALLS)]
        beside = []
        while len(beside) < plain:
            slow = [job if not job.done() else client.submit(BRIDGE, llm=True, api_name="/ask") for job in slow]
            beside.append(_timed(client))
        for name, times in (("alone", alone), (f"beside {SLOW_CALLS} slow model calls", beside)):
            p95 = statistics.quantiles(times, n=20)[-1]
            print(f"plain /ask {name}: n={len(times)} p50 {statistics.median(times):.2f} s, p95 {p95:.2f} s")
    finally:
        demo.close()
        live.close()


def _timed(client) -> float:
    started = time.monotonic()
    client.predict(BRIDGE, llm=False, api_name="/ask")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=8.0)
    parser.add_argument("--plain", type=int, default=30, help="plain questions timed, alone and beside slow calls")
    args = parser.parse_args()
    settings = index(args.data_dir)
    with FakeModel() as fake:
        fallbacks(settings, fake, args.timeout)
        plain_latency(settings, fake, args.timeout, args.plain)


if __name__ == "__main__":
    main()
