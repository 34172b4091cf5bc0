"""Ingestion speed: the LangChain tutorial pipeline against our ``ingest()``, on the same articles, in one run.

Usage: ``python -P bench/ingest.py [--quick] [--backends auto,torch] [--corpus PATH] [--json]`` (``-P``: the script
would otherwise shadow the ``ingest`` package it times).

In one process, on the same articles (MultiHop-RAG, or its first 60 with ``--quick``):
1. the tutorial: RecursiveCharacterTextSplitter(1000, 200) -> HuggingFaceEmbeddings(packaged model)
   -> Chroma.from_documents into a temporary folder;
2. our ``ingest()`` from an empty data dir, once per backend asked for;
3. a no-op re-ingest of the unchanged articles into the last of those data dirs.
Each row gives wall seconds, process CPU seconds (steadier when the machine is shared), chunks, word
pieces embedded per wall second, and the ratio of our wall time to the tutorial's; the no-op row gives
its time as a share of that full ingest. Word pieces are counted afterwards, outside the timings, with
the model's tokenizer as the model sees them (special tokens included, cut at 256).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from qa.core.settings import Settings
from qa.store.embeddings.model import batch_tokenizer, get_tokenizer, model_path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "multihop-rag" / "corpus.jsonl"
QUICK_ARTICLES = 60


@dataclass
class Row:
    """One timed pipeline run."""

    pipeline: str
    wall_s: float
    cpu_s: float
    chunks: int
    word_pieces: int

    @property
    def pieces_per_s(self) -> float:
        return self.word_pieces / self.wall_s if self.wall_s else 0.0


def timed(run: Callable[[], tuple[int, int]]) -> tuple[float, float, int, int]:
    """Wall and process-CPU seconds of ``run``, and the (chunks, word pieces) it reports."""
    wall, cpu = time.perf_counter(), time.process_time()
    chunks, pieces = run()
    return time.perf_counter() - wall, time.process_time() - cpu, chunks, pieces


def count_pieces(texts: list[str]) -> int:
    """Word pieces the model embeds for ``texts`` (with [CLS]/[SEP], cut at the model limit)."""
    tokenizer = batch_tokenizer()
    tokenizer.no_padding()
    return sum(len(encoding.ids) for encoding in tokenizer.encode_batch(texts))


def tutorial(corpus: Path, folder: Path) -> tuple[int, int]:
    """The LangChain RAG tutorial's indexing, verbatim apart from the model path and the folder."""
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    documents = splitter.create_documents([row["body"] for row in rows], [{"title": row["title"]} for row in rows])
    embeddings = HuggingFaceEmbeddings(model=model_path())
    Chroma.from_documents(documents, embeddings, persist_directory=str(folder), collection_name="tutorial")
    return len(documents), -1


def ours(corpus: Path, settings: Settings) -> tuple[int, int]:
    from ingest.index import ingest

    summary = ingest([corpus], settings)
    return summary.chunks_written, -1


def embedded_texts(settings: Settings) -> list[str]:
    """What our ingest embedded: title prefix + chunk text, rebuilt from the store."""
    from qa.store.chroma import Store

    tokenizer = get_tokenizer()
    prefixes: dict[str, str] = {}
    texts = []
    for passage in Store(settings).iter_passages():
        if passage.title not in prefixes:
            cut = settings.title_prefix_tokens
            prefixes[passage.title] = tokenizer.truncate(passage.title, cut) if cut and passage.title else ""
        prefix = prefixes[passage.title]
        texts.append(f"{prefix}\n{passage.text}" if prefix else passage.text)
    return texts


def tutorial_texts(corpus: Path) -> list[str]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [chunk for row in rows for chunk in splitter.split_text(row["body"])]


def subset(corpus: Path, articles: int, folder: Path) -> Path:
    """The first ``articles`` lines of ``corpus``, as a file of their own."""
    lines = [line for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()][:articles]
    target = folder / "corpus-subset.jsonl"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def run(corpus: Path, backends: list[str], skip_tutorial: bool, keep: Path | None) -> tuple[list[Row], Row]:
    """Every pipeline on ``corpus``; returns the full runs and the no-op re-ingest."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        root = keep or Path(tmp)
        if not skip_tutorial:
            wall, cpu, chunks, _ = timed(lambda: tutorial(corpus, root / "tutorial"))
            rows.append(Row("langchain tutorial", wall, cpu, chunks, count_pieces(tutorial_texts(corpus))))
            _progress(rows[-1])
        settings = None
        for backend in backends:
            settings = Settings(data_dir=root / f"ours-{backend}", embed_backend=backend)
            wall, cpu, chunks, _ = timed(lambda s=settings: ours(corpus, s))
            rows.append(Row(f"ours ({backend})", wall, cpu, chunks, count_pieces(embedded_texts(settings))))
            _progress(rows[-1])
        wall, cpu, chunks, _ = timed(lambda: ours(corpus, settings))
        noop = Row(f"no-op re-ingest ({backends[-1]})", wall, cpu, chunks, 0)
        _progress(noop)
    return rows, noop


def _progress(row: Row) -> None:
    print(f"  done: {row.pipeline} in {row.wall_s:.1f} s", file=sys.stderr, flush=True)


def table(rows: list[Row], noop: Row) -> str:
    """The report as a Markdown table."""
    base = rows[0] if rows and rows[0].pipeline == "langchain tutorial" else None
    full = rows[-1]
    lines = [
        "| pipeline | wall s | CPU s | chunks | word pieces/s | wall vs tutorial | CPU vs tutorial |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = f"{row.wall_s / base.wall_s:.2f}x" if base else "-"
        cpu_ratio = f"{row.cpu_s / base.cpu_s:.2f}x" if base else "-"
        lines.append(
            f"| {row.pipeline} | {row.wall_s:.1f} | {row.cpu_s:.1f} | {row.chunks:,} | "
            f"{row.pieces_per_s:,.0f} | {ratio} | {cpu_ratio} |"
        )
    share = 100 * noop.wall_s / full.wall_s if full.wall_s else 0.0
    noop_cells = f"{noop.wall_s:.2f} | {noop.cpu_s:.2f} | 0 | - | {share:.2f}% of full ingest | -"
    lines.append(f"| {noop.pipeline} | {noop_cells} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"first {QUICK_ARTICLES} articles only")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--backends", default="auto", help="comma-separated embedding backends (auto: this CPU's)")
    parser.add_argument("--no-tutorial", action="store_true", help="time our ingest only")
    parser.add_argument("--json", action="store_true", help="also print the rows as JSON")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep the indexes (e.g. for qa eval)")
    args = parser.parse_args()
    if not args.corpus.exists():
        sys.exit(f"Corpus not found: {args.corpus}")
    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as folder:
        corpus = subset(args.corpus, QUICK_ARTICLES, Path(folder)) if args.quick else args.corpus
        articles = sum(1 for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip())
        print(f"{articles} articles from {args.corpus}{' (--quick)' if args.quick else ''}", file=sys.stderr)
        rows, noop = run(corpus, backends, args.no_tutorial, args.keep)
    print(table(rows, noop))
    if args.json:
        print(json.dumps({"rows": [asdict(r) for r in rows], "noop": asdict(noop)}))


if __name__ == "__main__":
    main()
