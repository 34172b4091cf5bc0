"""Peak memory and time of loading and chunking oversized articles (issue 14's two hostile inputs).

Usage (``-P``: this folder's ingest.py would shadow the ``ingest`` package):
``python -P bench/memory.py make DIR`` writes ``DIR/huge-record.jsonl`` (one 30 MB JSON line) and
``DIR/one-sentence.txt`` (a 2 MB body without a sentence end); ``python -P bench/memory.py chunk FILE`` loads
FILE and chunks its articles as ``qa ingest`` does (tokenizer only, no embedding) and prints one JSON line:
seconds, chunks, peak RSS in MB. For the whole ingest, embedding included, run
``/usr/bin/time -v qa ingest FILE --data-dir DIR`` and read "Maximum resident set size".
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

SENTENCE = "The harbour council met on Tuesday to discuss repairs of the old bridge and the ferry timetable. "
WORDS = "harbour council bridge ferry repairs timetable budget vote mayor engineers "


def make(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    body = SENTENCE * (30_000_000 // len(SENTENCE))
    record = {"id": "huge-1", "title": "A thirty megabyte record", "source": "Bench Post", "body": body}
    (folder / "huge-record.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    sentence = (WORDS * (2_000_000 // len(WORDS))).strip()
    (folder / "one-sentence.txt").write_text(f"One endless sentence\n\n{sentence}\n", encoding="utf-8")
    for path in sorted(folder.iterdir()):
        print(f"{path}: {path.stat().st_size:,} bytes")


def chunk(path: Path) -> dict:
    from ingest.chunk import chunk_article
    from ingest.load import load_file
    from qa.core.settings import Settings
    from qa.store.embeddings.model import get_tokenizer

    settings = Settings()
    tokenizer = get_tokenizer()
    started = time.perf_counter()
    chunks = 0
    for item in load_file(path, settings.max_file_bytes):
        if not hasattr(item, "body"):
            continue
        chunks += len(
            chunk_article(
                item,
                max_tokens=settings.chunk_tokens,
                overlap_sentences=settings.chunk_overlap_sentences,
                count_tokens=tokenizer.count,
                token_offsets=tokenizer.offsets,
            )
        )
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "file": str(path),
        "seconds": round(time.perf_counter() - started, 1),
        "chunks": chunks,
        "peak_rss_mb": round(peak_kb / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["make", "chunk"])
    parser.add_argument("path", type=Path)
    args = parser.parse_args()
    if args.action == "make":
        make(args.path)
    else:
        print(json.dumps(chunk(args.path)))


if __name__ == "__main__":
    main()
