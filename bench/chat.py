"""`qa chat`'s answer function, warm: how long a question after the first takes with the index and model loaded
once (issue 22's target: p95 <= 150 ms on the 609-article index).

    QA_EMBED_BACKEND=torch HF_HUB_OFFLINE=1 .venv/bin/python bench/chat.py --data-dir /work/idx/mh [--questions 50]

Drives `qa.serve.chat.ChatSession.answer` (what each typed line calls: the checks, the search with the conversation
as history, the answer, the log written) over the two-turn conversations of ``bench/data/pronoun-followups.jsonl``
(``/new`` between conversations, so half the questions are follow-ups), after one warm-up question. The index is
only read; the conversation log goes to a temporary folder. Prints p50/p95/max in ms (``--json``: one object)."""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from qa.answer.assistant import Assistant
from qa.core.settings import Settings
from qa.search.validate import NO_OPTIONS
from qa.serve.chat import ChatSession
from qa.serve.conversation import ConversationLog

CONVERSATIONS = Path(__file__).parent / "data" / "pronoun-followups.jsonl"


def questions() -> list[list[str]]:
    lines = CONVERSATIONS.read_text(encoding="utf-8").splitlines()
    return [[turn["question"] for turn in json.loads(line)["turns"]] for line in lines if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cold-windows", action="store_true", help="ask before the article texts are built")
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    with tempfile.TemporaryDirectory() as scratch:
        log = ConversationLog(settings.model_copy(update={"data_dir": Path(scratch)}), warn=print)
        session = ChatSession(Assistant(settings), NO_OPTIONS, log)
        session.assistant.warm_up(long_lived=True)  # as `qa chat` starts
        building = session.assistant.searcher.prepare_windows()
        if building is not None and not args.cold_windows:
            building.join()  # a person types their first question in the seconds this takes (609 articles: ~10 s)
        session.answer("Who was convicted in the FTX trial?")  # the first question: not counted
        times: list[float] = []
        for conversation in questions() * 2:
            session.new_topic()
            for question in conversation:
                started = time.perf_counter()
                session.answer(question)
                times.append((time.perf_counter() - started) * 1000)
            if len(times) >= args.questions:
                break
    times = times[: args.questions]
    cut = statistics.quantiles(times, n=20)
    result = {"n": len(times), "p50_ms": round(statistics.median(times)), "p95_ms": round(cut[18]),
              "max_ms": round(max(times))}
    print(json.dumps(result) if args.json else f"{result['n']} answers: p50 {result['p50_ms']} ms, "
          f"p95 {result['p95_ms']} ms, max {result['max_ms']} ms")


if __name__ == "__main__":
    main()
