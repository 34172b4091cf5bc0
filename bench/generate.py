"""Generated answers on dev questions through the configured model server (QA_LLM_URL): the `qa eval`
generation figures, plus every sentence the model wrote with the checker's scores (to choose its thresholds).

    QA_LLM_URL=http://127.0.0.1:8012/v1 .venv/bin/python bench/generate.py --data-dir /tmp/mh --limit 200 \
        --out /tmp/generate.jsonl

``--out`` gets one JSON line per question (answer, extractive answer, sentences with word share, cosine
and the reason when unsupported); the summary (the same as ``qa eval --llm --json``) is printed last."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from common import MULTIHOP

from qa.answer.assistant import Assistant
from qa.answer.check import Checker, Written
from qa.answer.llm import PROMPT_PASSAGES
from qa.core.errors import BadQuestionError
from qa.core.settings import Settings
from qa.eval import Report, evaluate_answer, example_from_record
from qa.store.embeddings.factory import make_embeddings
from qa.store.embeddings.model import get_tokenizer

DATA = MULTIHOP


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--queries", type=Path, default=DATA / "dev-queries.jsonl")
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--summarise", action="store_true", help="only print the summary of an --out file so far")
    args = parser.parse_args()
    if args.summarise:
        report = Report([json.loads(line)["row"] for line in args.out.open() if line.strip()])
        print(json.dumps(report.summary()))
        return

    settings = Settings(data_dir=args.data_dir)
    assistant = Assistant(settings)
    assistant.warm_up()
    embeddings = make_embeddings(settings.embed_backend, threads=settings.embed_threads)
    examples = [example_from_record(json.loads(line)) for line in args.queries.open() if line.strip()]
    report = Report()
    with args.out.open("w") as sink:
        for i, example in enumerate(examples[: args.limit], start=1):
            started = time.perf_counter()
            try:
                *_, answer = assistant.ask_stream(example.question, llm=True)  # streamed: first-token latency
            except BadQuestionError as exc:
                report.skipped.append(f"{example.id}: {exc}")
                continue
            row = evaluate_answer(example, answer, (time.perf_counter() - started) * 1000, get_tokenizer().count)
            report.add(row)
            checker = Checker(embeddings, example.question, list(answer.passages[:PROMPT_PASSAGES]))
            details = [checker.check(Written(s.text, s.citations)) for s in answer.sentences]
            record = {
                "id": example.id,
                "kind": example.kind,
                "gold": example.answer,
                "mode": answer.mode,
                "notice": answer.notice,
                "answer": answer.text,
                "extractive": answer.extractive_text,
                "timings": answer.timings,
                "sentences": [
                    {**d.sentence.to_json(), "word_share": d.word_share, "cosine": d.similarity, "reason": d.reason}
                    for d in details
                ],
                "row": row,
            }
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
            sink.flush()
            print(f"{i} {example.kind} {answer.mode} {answer.timings.get('generate_ms')}", file=sys.stderr)
    print(json.dumps(report.summary()))


if __name__ == "__main__":
    main()
