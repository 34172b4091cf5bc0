"""Search at archive size: synthetic search arrays of 100k to 1M+ chunks, no Chroma and no embedding.

Segments are written straight into an arrays folder (`qa.store.segment.write_segment`) from synthetic
articles (random MultiHop-RAG sentences, random unit vectors): the point is search, memory and reload,
not the store. A reader process (`Assistant`, real ONNX query embedding, real hybrid search) is then
started cold and timed: start-up to its first answer, ask p50/p95, RSS; then 100 more articles are
published as a delta segment while it runs, and its next question is timed (it moves to the new version).

    .venv/bin/python bench/scale.py --modes arrays --sizes 100000,1000000 --questions 40
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

READER = """
import json, statistics, sys, time
started = float(sys.argv[1])
from qa.answer.assistant import Assistant
from qa.core.settings import Settings
def memory():
    status = open("/proc/self/status").read()
    field = lambda name: int(status.split(name + ":")[1].split()[0]) / 1024
    return {"rss_mb": round(field("VmRSS")), "anon_mb": round(field("RssAnon")), "peak_mb": round(field("VmHWM"))}
questions = json.loads(sys.argv[2])
assistant = Assistant(Settings())
assistant.ask(questions[0])
print(json.dumps({"start_s": round(time.time() - started, 2), **memory()}), flush=True)
latencies = []
for question in questions:
    at = time.perf_counter()
    assistant.ask(question)
    latencies.append((time.perf_counter() - at) * 1000)
latencies.sort()
p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
print(json.dumps({"p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(p95, 1), **memory()}), flush=True)
sys.stdin.readline()
at = time.perf_counter()
assistant.ask(questions[1])
version = assistant.searcher.current().arrays.version
print(json.dumps({"reload_ask_s": round(time.perf_counter() - at, 2), "version": version}))
"""

SEGMENT_ROWS = 125_000  # rows per synthetic segment: eight make a million, within the merge limit
SENTENCES_PER_CHUNK = 5  # about 150 words: a 200-word-piece chunk


class Writer:
    """Synthetic articles of 1-6 chunks straight into segments; each sentence tokenised once."""

    def __init__(self, corpus, folder: Path, seed: int = 3) -> None:
        from qa.store.bm25 import tokenize

        self.corpus, self.folder = corpus, folder
        self.rng, self.vectors = random.Random(seed), np.random.default_rng(seed)
        self.sentence_terms = tokenize(corpus.sentences)
        self.articles = 0
        self.refs: list = []

    def segment(self, rows: int, articles_wanted: int = 0) -> int:
        """One segment of about ``rows`` chunks (or of ``articles_wanted`` articles); returns the chunks."""
        from qa.core.types import Passage
        from qa.store.arrays import SegmentRef
        from qa.store.bm25 import tokenize
        from qa.store.segment import ArticleChunks, write_segment

        articles, terms, sentences, written = [], [], [], 0
        while (len(articles) < articles_wanted) if articles_wanted else (written < rows):
            title, source = self.rng.choice(self.corpus.titles), self.rng.choice(self.corpus.outlets)
            head = tokenize([f"{title}\n{source}"])[0]
            passages, at = [], 0
            for index in range(self.rng.randint(1, 6)):
                picked = self.rng.sample(range(len(self.corpus.sentences)), SENTENCES_PER_CHUNK)
                text = " ".join(self.corpus.sentences[i] for i in picked)
                article_id = f"syn-{self.articles:07d}"
                passages.append(
                    Passage(
                        f"{article_id}:{index}",
                        article_id,
                        text,
                        at,
                        at + len(text),
                        title=title,
                        source=source,
                        published=f"2023-{1 + self.articles % 12:02d}-01",
                        chunk_index=index,
                    )
                )
                terms.append(head + [t for i in picked for t in self.sentence_terms[i]])
                sentences.append([self.sentence_terms[i] for i in picked])
                at += len(text) + 1
            vectors = self.vectors.standard_normal((len(passages), 384)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            articles.append(ArticleChunks(passages[0].article_id, f"h{self.articles}", tuple(passages), vectors))
            self.articles += 1
            written += len(passages)
        self.refs.append(SegmentRef(write_segment(self.folder / "segments", articles, 384, terms, sentences)))
        return written

    def publish(self, version: int) -> None:
        from qa.core.settings import Settings
        from qa.store.arrays import VersionFile, publish
        from qa.store.config import index_config

        publish(self.folder, VersionFile(version, index_config(Settings()), 384, tuple(self.refs)))


def worker(sizes: list[int], work: Path, questions: list[str]) -> None:
    """Grow one synthetic arrays folder through ``sizes``; after each, a cold reader is measured."""
    from scale import SyntheticCorpus

    data = work / "arrays-data"
    writer, chunks, version = Writer(SyntheticCorpus(), data / "arrays" / "news"), 0, 0
    env = {**os.environ, "QA_DATA_DIR": str(data), "QA_EMBED_THREADS": "1"}
    for size in sizes:
        started = time.perf_counter()
        while chunks < size:
            chunks += writer.segment(min(SEGMENT_ROWS, size - chunks))
        version += 1
        writer.publish(version)
        build = time.perf_counter() - started
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, repr(time.time()), json.dumps(questions)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        start, timed = json.loads(reader.stdout.readline()), json.loads(reader.stdout.readline())
        started = time.perf_counter()
        chunks += writer.segment(0, articles_wanted=100)  # what one ingest of 100 articles adds: a delta segment
        version += 1
        writer.publish(version)
        add = time.perf_counter() - started
        reader.stdin.write("go\n")
        reader.stdin.flush()
        reload = json.loads(reader.stdout.readline())
        reader.wait()
        disk = sum(f.stat().st_size for f in data.rglob("*") if f.is_file()) / 1e6
        row = {
            "mode": "arrays",
            "chunks": chunks,
            "articles": writer.articles,
            "build_s": round(build, 1),
            "arrays_s": round(build, 1),
            "start_s": start["start_s"],
            "disk_mb": round(disk, 1),
            "rss_mb": timed["rss_mb"],
            "anon_mb": timed["anon_mb"],
            "server_rss_mb": 0,
            **timed,
            "add_100_s": round(add, 2),
            "reload_ask_s": reload["reload_ask_s"],
        }
        assert reload["version"] == version, "the reader did not move to the new version"
        print(json.dumps(row), flush=True)
