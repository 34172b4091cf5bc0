"""One run, two tables (overall, then per question type): the LangChain tutorial pipeline, BM25 alone and
naive RRF (on 1000-character chunks), then dense only, our pipeline showing stored chunks, and the final
configuration showing each article's best window (on our index).

    .venv/bin/python bench/retrieval.py --data-dir /work/dev-qa [--every 3] [--cache /tmp/qa-bench]

The tutorial pipeline needs its own Chroma index of RecursiveCharacterTextSplitter(1000, 200) chunks;
it is built once into --cache (about 6 minutes on 2 cores) and reused afterwards."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from common import MULTIHOP, rrf

from qa.eval import answer_contains, direct_metrics, example_from_record, retrieval_metrics
from qa.search.hybrid import HybridSearch

DATA = MULTIHOP
COLUMNS = (
    "hits@4",
    "hits@10",
    "mrr@10",
    "map@10",
    "doc_recall@10",
    "all_gold@10",
    "answer",
    "direct",
    "max_tokens",
    "p50_ms",
)
TYPES = ("comparison_query", "inference_query", "temporal_query")
TYPE_COLUMNS = ("hits@4", "hits@10", "mrr@10", "map@10", "doc_recall@10")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="our index of the MultiHop-RAG corpus")
    parser.add_argument("--queries", type=Path, default=DATA / "dev-queries.jsonl")
    parser.add_argument("--corpus", type=Path, default=DATA / "corpus.jsonl")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/qa-bench"), help="where the tutorial index lives")
    parser.add_argument("--every", type=int, default=1, help="every n-th question only (for iterating)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument(
        "--no-tutorial-dense", action="store_true", help="skip the rows that need the tutorial's Chroma index"
    )
    args = parser.parse_args()

    examples = [example_from_record(json.loads(line)) for line in args.queries.open() if line.strip()]
    examples = examples[:: max(1, args.every)]
    answerable = [e for e in examples if e.answerable]
    rows: dict[str, dict] = {}

    tutorial = TutorialIndex(args.corpus, args.cache, dense=not args.no_tutorial_dense)
    if not args.no_tutorial_dense:
        rows["LangChain tutorial (1000-char chunks, MiniLM, Chroma similarity_search)"] = score(
            answerable, tutorial.dense
        )
    rows["BM25 (bm25s) on the same 1000-char chunks"] = score(answerable, tutorial.bm25)
    if not args.no_tutorial_dense:
        rows["naive RRF (k=60) of the two"] = score(answerable, tutorial.rrf)

    ours = Ours(args.data_dir)
    rows["dense only (our chunks, Chroma)"] = score(answerable, ours.dense)
    rows["hybrid + boosts + one article per slot, stored chunks"] = score(answerable, ours.chunks)
    final, extra = ours.final(examples)
    rows["final: same articles, each shown by its best window (<= 254 word pieces)"] = final

    if args.json:
        print(json.dumps({"rows": rows, "final_extra": extra, "questions": len(examples)}, indent=1))
        return
    print(f"{len(answerable)} answerable questions ({len(examples)} with null), k=10, {args.queries.name}\n")
    print("| pipeline | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for name, values in rows.items():
        print(f"| {name} | " + " | ".join(_fmt(values.get(c), c) for c in COLUMNS) + " |")
    print("\nper question type: hits@4 / hits@10 / mrr@10 / map@10 / doc_recall@10\n")
    print("| pipeline | " + " | ".join(t.replace("_query", "") for t in TYPES) + " |")
    print("|---" * (len(TYPES) + 1) + "|")
    for name, values in rows.items():
        cells = [" / ".join(_fmt(values["by_type"].get(t, {}).get(c)) for c in TYPE_COLUMNS) for t in TYPES]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(
        "\nanswer = gold answer of inference questions contained in the top passage (baselines) or the"
        " composed answer (final).\ndirect = the direct answer equals the gold answer (case, punctuation and a"
        " leading 'the' ignored; final only).\nfinal: " + ", ".join(f"{k} {_fmt(v)}" for k, v in extra.items())
    )


def _fmt(value, column: str = "") -> str:
    if value is None:
        return ""
    if column == "p50_ms":
        return f"{value:.1f}"
    return f"{value:.3f}" if isinstance(value, float) else f"{value}"


def score(examples, retrieve) -> dict:
    """Mean metrics of ``retrieve(example) -> [(text, article_id)]`` over ``examples``."""
    per, answers, times, lengths = [], [], [], []
    for example in examples:
        started = time.perf_counter()
        hits = retrieve(example)
        times.append((time.perf_counter() - started) * 1000)
        per.append(retrieval_metrics([t for t, _ in hits], [a for _, a in hits], example))
        if example.kind == "inference_query" and hits:
            answers.append(answer_contains(hits[0][0], example.answer))
        lengths.extend(token_counts([t for t, _ in hits]))
    row = _means(per)
    row["by_type"] = {t: _means([m for m, e in zip(per, examples, strict=True) if e.kind == t]) for t in TYPES}
    row["answer"] = statistics.fmean(answers) if answers else None
    row["max_tokens"] = max(lengths) if lengths else 0
    row["p50_ms"] = statistics.median(times)
    return row


def _means(per: list[dict]) -> dict:
    return {name: statistics.fmean(r[name] for r in per) for name in per[0]} if per else {}


def token_counts(texts: list[str]) -> list[int]:
    from qa.store.embeddings.model import get_tokenizer

    return get_tokenizer().count(texts)


class TutorialIndex:
    """The LangChain RAG tutorial's retrieval, built once: RecursiveCharacterTextSplitter(1000, 200),
    all-MiniLM-L6-v2, langchain-chroma `similarity_search`; plus bm25s over the same chunks."""

    def __init__(self, corpus: Path, cache: Path, dense: bool = True) -> None:
        import bm25s

        if dense:
            self._open(corpus, cache)
        else:  # BM25 alone needs the splitter's chunks, not their vectors
            splits = self._splits(corpus)
            self.texts = [d.page_content for d in splits]
            self.articles = [d.metadata["doc_id"] for d in splits]

        self._bm25 = bm25s.BM25()
        self._bm25.index(bm25s.tokenize(self.texts, stopwords="en", show_progress=False), show_progress=False)

    def _open(self, corpus: Path, cache: Path) -> None:
        from langchain_chroma import Chroma

        from qa.store.embeddings.factory import make_embeddings

        self.embeddings = make_embeddings("torch")
        folder = cache / "tutorial-chroma"
        self.store = Chroma(
            collection_name="tutorial", embedding_function=self.embeddings, persist_directory=str(folder)
        )
        got = self.store.get(include=["documents", "metadatas"])
        if not got["ids"]:
            self._build(corpus)
            got = self.store.get(include=["documents", "metadatas"])
        self.texts = got["documents"]
        self.articles = [m["doc_id"] for m in got["metadatas"]]

    @staticmethod
    def _splits(corpus: Path) -> list:
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        records = [json.loads(line) for line in corpus.open() if line.strip()]
        docs = [Document(r["body"], metadata={"doc_id": r["doc_id"], "title": r["title"]}) for r in records]
        return RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)

    def _build(self, corpus: Path) -> None:
        splits = self._splits(corpus)
        started = time.perf_counter()
        for i in range(0, len(splits), 1000):
            self.store.add_documents(splits[i : i + 1000])
        print(
            f"built the tutorial index: {len(splits)} chunks in {time.perf_counter() - started:.0f} s", file=sys.stderr
        )

    def dense(self, example) -> list[tuple[str, str]]:
        docs = self.store.similarity_search(example.question, k=10)
        return [(d.page_content, d.metadata["doc_id"]) for d in docs]

    def _bm25_ranking(self, question: str, n: int) -> list[int]:
        import bm25s

        tokens = bm25s.tokenize([question], stopwords="en", show_progress=False, return_ids=False)
        scores = self._bm25.get_scores(tokens[0])
        return [int(i) for i in scores.argsort()[::-1][:n]]

    def bm25(self, example) -> list[tuple[str, str]]:
        return [(self.texts[i], self.articles[i]) for i in self._bm25_ranking(example.question, 10)]

    def rrf(self, example) -> list[tuple[str, str]]:
        position = {t: i for i, t in enumerate(self.texts)}
        dense = [position[d.page_content] for d in self.store.similarity_search(example.question, k=100)]
        fused = rrf([[str(i) for i in dense], [str(i) for i in self._bm25_ranking(example.question, 100)]])
        best = sorted(fused, key=fused.get, reverse=True)[:10]
        return [(self.texts[int(i)], self.articles[int(i)]) for i in best]


class Ours:
    """Our index and pipeline: dense only, stored chunks, and the final windows."""

    def __init__(self, data_dir: Path) -> None:
        from qa.answer.assistant import Assistant
        from qa.core.settings import Settings

        self.settings = Settings(data_dir=data_dir)
        self.assistant = Assistant(self.settings)
        self.assistant.warm_up()

    def dense(self, example) -> list[tuple[str, str]]:
        """Exact cosine over our chunk vectors, nothing else."""
        search = self.assistant.searcher.hybrid
        corpus = search.corpora.corpus()
        vector = np.asarray(search.embeddings.embed_query(example.question), dtype=np.float32)
        rows = corpus.nearest(vector, 10)
        scores = corpus.vectors[rows] @ vector
        ranked = [row for _, row in sorted(zip(scores, rows, strict=True), reverse=True)]
        return [(corpus.passages[r].text, corpus.passages[r].article_id) for r in ranked]

    def chunks(self, example) -> list[tuple[str, str]]:
        """The final ranking, but each article shown by its stored chunk instead of its best window."""
        if not hasattr(self, "_chunks"):
            search = self.assistant.searcher.hybrid
            settings = self.settings.model_copy(update={"window_tokens": 0})
            self._chunks = HybridSearch(search.corpora, search.embeddings, settings)  # shares the loaded corpus
        query = self.assistant.searcher.parse(example.question)
        return [(p.text, p.article_id) for p in self._chunks.search(query, 10)]

    def final(self, examples) -> tuple[dict, dict]:
        answerable = [e for e in examples if e.answerable]
        answers = {}

        def run(example):
            answer = self.assistant.ask(example.question, k=10)
            answers[example.id] = answer
            return [(p.text, p.article_id) for p in answer.passages]

        row = score(answerable, run)
        inference = [e for e in answerable if e.kind == "inference_query"]
        row["answer"] = statistics.fmean(answer_contains(answers[e.id].text, e.answer) for e in inference)
        directs = [direct_metrics(answers[e.id].direct, e.answer) for e in inference]
        row["direct"] = statistics.fmean(d["direct_exact"] for d in directs)
        nulls = [e for e in examples if not e.answerable]
        null_abstained = [self.assistant.ask(e.question).abstained for e in nulls]
        extra = {
            "null_abstention": statistics.fmean(null_abstained) if nulls else None,
            "false_abstention": statistics.fmean(answers[e.id].abstained for e in answerable),
            "direct_wrong": statistics.fmean(d["direct_wrong"] for d in directs),
        }
        return row, extra


if __name__ == "__main__":
    main()
