"""Retrieval and answer metrics (MultiHop-RAG's definitions), per question and aggregated.

The per-question functions are pure: they take passage texts/article ids in rank order and the
gold record, so `bench/` and `qa eval` compute exactly the same numbers."""

from __future__ import annotations

import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa.core.errors import BadQuestionError, DatasetError, InputFileError
from qa.core.validate import check_history
from qa.serve.batch import BadLine, read_jsonl
from qa.store.embeddings.model import get_tokenizer


@dataclass(frozen=True)
class Example:
    """One evaluation question with whatever gold it carries."""

    id: str
    question: str
    kind: str = "question"  # the dataset's question_type, or "followup"
    history: tuple[dict, ...] = ()
    answer: str = ""
    gold_doc_ids: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    outlet: str = ""

    @property
    def answerable(self) -> bool:
        return self.kind != "null_query"


def read_examples(path: Path) -> Iterator[Example | BadLine]:
    """Examples of a MultiHop-RAG style file (or our follow-up / batch format); a bad line yields a `BadLine`."""
    try:
        yield from read_jsonl(path, example_from_record)
    except InputFileError as exc:
        raise DatasetError(str(exc)) from exc


def example_from_record(record: object, number: int = 0) -> Example:
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    question = record.get("question", record.get("query"))
    if not isinstance(question, str):
        raise ValueError('no "question" (or "query") string')
    history = check_history(record.get("history") or [])
    kind = record.get("question_type") or ("followup" if record.get("outlet") and history else "question")
    return Example(
        id=str(record.get("id", record.get("query_id", number))),
        question=question,
        kind=str(kind),
        history=tuple(history),
        answer=str(record.get("answer") or ""),
        gold_doc_ids=tuple(str(d) for d in record.get("gold_doc_ids") or ()),
        facts=tuple(e["fact"] for e in record.get("evidence") or () if isinstance(e, dict) and e.get("fact")),
        outlet=str(record.get("outlet") or ""),
    )


def _squash(text: str) -> str:
    """The paper's matching form: spaces and newlines removed."""
    return text.replace(" ", "").replace("\n", "")


def fact_ranks(texts: Sequence[str], facts: Sequence[str]) -> list[int | None]:
    """For each gold fact, the 1-based rank of the first passage containing it (None when absent)."""
    squashed = [_squash(t) for t in texts]
    ranks: list[int | None] = []
    for fact in facts:
        f = _squash(fact)
        ranks.append(next((r for r, t in enumerate(squashed, start=1) if f and f in t), None))
    return ranks


def retrieval_metrics(texts: Sequence[str], article_ids: Sequence[str], example: Example) -> dict[str, float]:
    """Hits@4, Hits@10, MRR@10, MAP@10, DocRecall@10 and all-gold-in-top-10 for one answerable question."""
    texts, article_ids = list(texts)[:10], list(article_ids)[:10]
    ranks = fact_ranks(texts, example.facts)
    found = [r for r in ranks if r is not None]
    first = min(found) if found else None
    per_rank: dict[int, int] = defaultdict(int)
    for r in found:
        per_rank[r] += 1
    map10 = sum(count / r for r, count in per_rank.items()) / min(len(example.facts), 10) if example.facts else 0.0
    gold = set(example.gold_doc_ids)
    got = gold & set(article_ids)
    return {
        "hits@4": float(first is not None and first <= 4),
        "hits@10": float(first is not None),
        "mrr@10": 1.0 / first if first else 0.0,
        "map@10": map10,
        "doc_recall@10": len(got) / len(gold) if gold else 0.0,
        "all_gold@10": float(bool(gold) and got == gold),
    }


def followup_hit(article_ids: Sequence[str], example: Example, k: int = 4) -> float:
    """The follow-up metric: a gold article (of the outlet asked about) among the top ``k`` passages."""
    return float(bool(set(example.gold_doc_ids) & set(list(article_ids)[:k])))


def answer_contains(answer_text: str, gold: str) -> float:
    """Whether the answer text contains the gold answer (case-insensitive, trailing period ignored)."""
    wanted = " ".join(gold.strip().rstrip(".").split()).lower()
    return float(bool(wanted) and wanted in " ".join(answer_text.split()).lower())


def contains_words(answer_text: str, gold: str) -> float:
    """`answer_contains` on word boundaries, so a gold "No" is not found inside "not" or "know" (generation
    accuracy: the model's answers to yes/no questions are compared with the extractive answer's)."""
    wanted = " ".join(gold.strip().rstrip(".").split()).lower()
    text = " ".join(answer_text.split()).lower()
    return float(bool(wanted) and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", text) is not None)


def generation_row(example: Example, answer) -> dict:
    """Generation figures of one answer when a model was asked (``extractive_text`` set), else nothing."""
    if not answer.extractive_text:
        return {}
    generated = answer.mode == "generated"
    row: dict = {"generated": float(generated), "llm_failed": float(not generated and answer.model is None)}
    row["sentences_total"] = len(answer.sentences)
    row["sentences_supported"] = sum(s.supported for s in answer.sentences)
    for name in ("first_token_ms", "generate_ms"):
        if answer.timings.get(name) is not None:
            row[name] = answer.timings[name]
    if example.answerable and example.answer:
        model_text = " ".join(s.text for s in answer.sentences)
        row["gen_contains_gold"] = contains_words(answer.text, example.answer)
        row["ext_contains_gold"] = contains_words(answer.extractive_text, example.answer)
        row["model_contains_gold"] = contains_words(model_text, example.answer)
    return row


GENERATION_RATES = ("generated", "llm_failed", "gen_contains_gold", "ext_contains_gold", "model_contains_gold")


def _generation_summary(rows: list[dict]) -> dict:
    """Share generated / fallen back, share of generated sentences supported, latency of the model."""
    asked = [r for r in rows if "generated" in r]
    if not asked:
        return {}
    total = sum(r["sentences_total"] for r in asked)
    out: dict = {"asked": len(asked), "generated": round(statistics.fmean(r["generated"] for r in asked), 4)}
    out["fell_back_unsupported"] = round(1 - out["generated"] - statistics.fmean(r["llm_failed"] for r in asked), 4)
    out["llm_failed"] = round(statistics.fmean(r["llm_failed"] for r in asked), 4)
    out["sentences"] = total
    out["sentences_supported"] = round(sum(r["sentences_supported"] for r in asked) / total, 4) if total else 0.0
    for name in ("first_token_ms", "generate_ms"):
        values = [r[name] for r in asked if name in r]
        if values:
            out[name] = {"p50": _percentile(values, 50), "p95": _percentile(values, 95)}
    return out


@dataclass
class Report:
    """Accumulates per-question results; `summary()` gives the aggregate, overall and per question type."""

    rows: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def add(self, row: dict) -> None:
        self.rows.append(row)

    def summary(self) -> dict:
        out: dict = {"questions": len(self.rows), "skipped": len(self.skipped)}
        out["overall"] = _aggregate(self.rows)
        by_kind: dict[str, list[dict]] = defaultdict(list)
        for row in self.rows:
            by_kind[row["kind"]].append(row)
        out["by_type"] = {kind: _aggregate(rows) for kind, rows in sorted(by_kind.items())}
        generation = _generation_summary(self.rows)
        if generation:
            out["generation"] = generation
        latencies = [row["ms"] for row in self.rows if "ms" in row]
        if latencies:
            out["latency_ms"] = {"p50": _percentile(latencies, 50), "p95": _percentile(latencies, 95)}
        lengths = [n for row in self.rows for n in row.get("passage_tokens", ())]
        if lengths:
            out["passage_tokens"] = {
                "min": min(lengths),
                "median": statistics.median(lengths),
                "p95": _percentile(lengths, 95),
                "max": max(lengths),
            }
        return out


METRICS = ("hits@4", "hits@10", "mrr@10", "map@10", "doc_recall@10", "all_gold@10")


def _aggregate(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["kind"] not in ("null_query", "followup") and r.get("has_gold")]
    result: dict = {"n": len(rows)}
    for name in METRICS:
        values = [r[name] for r in answerable if name in r]
        if values:
            result[name] = round(statistics.fmean(values), 4)
    _rate(result, "null_abstention", [r["abstained"] for r in rows if r["kind"] == "null_query"])
    _rate(result, "false_abstention", [r["abstained"] for r in rows if r["kind"] not in ("null_query", "followup")])
    _rate(result, "answer_contains_gold", [r["answer_contains"] for r in rows if "answer_contains" in r])
    _rate(result, "followup@4", [r["followup@4"] for r in rows if "followup@4" in r])
    for name in GENERATION_RATES:  # generated answers (issue 12)
        _rate(result, name, [r[name] for r in rows if name in r])
    return result


def _rate(result: dict, name: str, values: Iterable[float | bool]) -> None:
    values = [float(v) for v in values]
    if values:
        result[name] = round(statistics.fmean(values), 4)


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(float(ordered[index]), 1)


def evaluate_answer(example: Example, answer, ms: float, count_tokens: Callable[[list[str]], list[int]]) -> dict:
    """One row of the report from an `Answer` (duck-typed: ``.passages``, ``.text``, ``.abstained``)."""
    texts = [p.text for p in answer.passages]
    articles = [p.article_id for p in answer.passages]
    row: dict = {"id": example.id, "kind": example.kind, "abstained": answer.abstained, "ms": ms}
    row["passage_tokens"] = count_tokens(texts) if texts else []
    if example.kind == "followup":
        row["followup@4"] = followup_hit(articles, example)
    elif example.answerable and (example.facts or example.gold_doc_ids):
        row["has_gold"] = True
        row.update(retrieval_metrics(texts, articles, example))
    if example.kind == "inference_query" and example.answer:
        row["answer_contains"] = answer_contains(answer.extractive_text or answer.text, example.answer)
    row.update(generation_row(example, answer))
    return row


COLUMNS = (*METRICS, "null_abstention", "false_abstention", "answer_contains_gold", "followup@4", *GENERATION_RATES)


def run_eval(
    assistant,
    dataset: Path,
    *,
    k: int | None = None,
    limit: int | None = None,
    llm: bool | None = None,
    on_total: Callable[[int], None] = lambda n: None,
    on_step: Callable[[], None] = lambda: None,
) -> Report:
    """Ask every question of ``dataset`` through ``assistant`` (the real pipeline) and score the answers."""
    count_tokens = get_tokenizer().count
    report = Report()
    items = list(read_examples(dataset))
    if limit:
        items = items[:limit]
    on_total(len(items))
    assistant.warm_up()
    for item in items:
        on_step()
        if isinstance(item, BadLine):
            report.skipped.append(str(item))
            continue
        started = time.perf_counter()
        try:
            answer = assistant.ask(item.question, history=list(item.history) or None, k=k or 10, llm=llm)
        except BadQuestionError as exc:
            report.skipped.append(f"{item.id}: {exc}")
            continue
        ms = (time.perf_counter() - started) * 1000
        report.add(evaluate_answer(item, answer, ms, count_tokens))
    if not report.rows:
        raise DatasetError(f"No question could be read from {dataset}.")
    return report
