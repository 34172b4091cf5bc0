"""A cold reader on an existing index: process start -> first answer, then the latency of N more questions and the
memory the process ends with (issue 23's 100k / 1M rows; the arrays come from `bench/scale.py --modes arrays --keep`).

    QA_DATA_DIR=/tmp/qa-scale/arrays-100000 QA_COLLECTION=news .venv/bin/python bench/cold_reader.py --questions 40
    QA_DENSE_EXACT_BELOW=5000000 ... bench/cold_reader.py          # the exact dense path at any size

Questions are MultiHop-RAG's (`scale.questions`); every setting comes from the ``QA_*`` environment, as for a user.
Prints one JSON line: start_s, p50_ms, p95_ms, rss_mb, private_mb (anonymous pages), mapped_mb (pages of the
mapped files and libraries the process has touched: shared page cache, dropped by the kernel under pressure).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

STARTED = time.time()

from scale import questions  # noqa: E402 - the clock starts before the imports, as a user's process does

from qa.answer.assistant import Assistant  # noqa: E402
from qa.core.settings import Settings  # noqa: E402


def status_mb(field: str) -> int:
    """A ``/proc/self/status`` figure (kB) in MB."""
    with open("/proc/self/status", encoding="utf-8") as handle:
        line = next(line for line in handle if line.startswith(field + ":"))
    return int(line.split()[1]) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=40)
    args = parser.parse_args()
    asked = questions(args.questions)
    assistant = Assistant(Settings())
    assistant.ask(asked[0])
    start = time.time() - STARTED
    times = []
    for question in asked:
        began = time.perf_counter()
        assistant.ask(question)
        times.append(1000 * (time.perf_counter() - began))
    times.sort()
    print(
        json.dumps(
            {
                "start_s": round(start, 2),
                "p50_ms": round(statistics.median(times)),
                "p95_ms": round(times[round(0.95 * (len(times) - 1))]),
                "rss_mb": status_mb("VmRSS"),
                "private_mb": status_mb("RssAnon"),
                "mapped_mb": status_mb("RssFile"),
            }
        )
    )


if __name__ == "__main__":
    main()
