"""Retrieval and answer metrics (MultiHop-RAG's definitions), per question and aggregated.

The per-question functions are pure: they take passage texts/article ids in rank order and the
gold record, so `bench/` and `qa eval` compute exactly the same numbers."""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa.core.errors import BadQuestionError, DatasetError, InputFileError
from qa.core.jsonl import read_jsonl
from qa.core.types import Skip
from qa.eval_answers import (
    COVERAGE_TYPES,
    GENERATION_RATES,
    answer_contains,
    claims_summary,
    coverage_metrics,
    direct_metrics,
    duplicate_quotes,
    generation_row,
    generation_summary,
    percentile,
)
from qa.eval_followups import conversation_row, conversation_turns
from qa.eval_outlets import OUTLET_RATES, OutletGold, outlet_row
from qa.search.validate import Options, check_history, check_request, max_request_chars
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
    query_id: str = ""  # a topic switch's second question, in the dev questions file beside it
    turns: tuple[dict, ...] = ()  # a conversation (`qa.eval_followups`): its questions with gold URLs

    @property
    def answerable(self) -> bool:
        return self.kind != "null_query"


def read_examples(path: Path) -> Iterator[Example | Skip]:
    """Examples of a MultiHop-RAG style file (or our follow-up / batch format); a bad line yields a `Skip`."""
    return read_dataset(path, example_from_record)


def read_dataset(path: Path, parse) -> Iterator:
    """The records of an eval dataset, each through ``parse``; a bad line yields a `Skip`, an unreadable file is a
    `DatasetError`."""
    try:
        yield from read_jsonl(path, parse, max_request_chars())
    except InputFileError as exc:
        raise DatasetError(str(exc)) from exc


def example_from_record(record: object, number: int = 0) -> Example:
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    if "turns" in record:
        turns = conversation_turns(record)
        return Example(str(record.get("id", number)), turns[-1]["question"], "conversation", turns=turns)
    question = record.get("question", record.get("query"))
    if not isinstance(question, str):
        raise ValueError('no "question" (or "query") string')
    history = check_history(record.get("history") or [])
    kind = record.get("question_type") or ("followup" if record.get("outlet") and history else "question")
    if history and record.get("previous_query_id") and not record.get("question_type"):
        kind = "switch"  # a self-contained question after an unrelated one: gold from the dev questions
    return Example(
        id=str(record.get("id", record.get("query_id", number))),
        question=question,
        kind=str(kind),
        history=tuple(history),
        answer=str(record.get("answer") or ""),
        gold_doc_ids=tuple(str(d) for d in record.get("gold_doc_ids") or ()),
        facts=tuple(e["fact"] for e in record.get("evidence") or () if isinstance(e, dict) and e.get("fact")),
        outlet=str(record.get("outlet") or ""),
        query_id=str(record.get("query_id") or ""),
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
        generation = generation_summary(self.rows)
        if generation:
            out["generation"] = generation
        latencies = [row["ms"] for row in self.rows if "ms" in row]
        if latencies:
            out["latency_ms"] = {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)}
        lengths = [n for row in self.rows for n in row.get("passage_tokens", ())]
        out["duplicate_quotes"] = sum(row.get("duplicate_quotes", 0) for row in self.rows)
        kinds = {row["direct_kind"] for row in self.rows if "direct_kind" in row and "direct_exact" in row}
        out["direct_by_kind"] = {
            kind: _kind_accuracy([r for r in self.rows if r.get("direct_kind") == kind and "direct_exact" in r])
            for kind in sorted(kinds)
        }
        if lengths:
            out["passage_tokens"] = {
                "min": min(lengths),
                "median": statistics.median(lengths),
                "p95": percentile(lengths, 95),
                "max": max(lengths),
            }
        return out


CLAIMS_METRICS = ("claims_given", "claims_right", "claims_yes_precision", "claims_no_precision")  # issue 20
METRICS = ("hits@4", "hits@10", "mrr@10", "map@10", "doc_recall@10", "all_gold@10")
SWITCH_METRICS = ("hits@4", "hits@10", "doc_recall@10")  # a topic switch: asked after turn 1 / asked alone
CONVERSATION_METRICS = ("turn1@4", "turn2@4")  # a pronoun follow-up conversation (`qa.eval_followups`)


def _kind_accuracy(rows: list[dict]) -> dict:
    return {"n": len(rows), "exact": round(statistics.fmean(r["direct_exact"] for r in rows), 4)}


def _aggregate(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["kind"] not in ("null_query", "followup", "switch") and r.get("has_gold")]
    result: dict = {"n": len(rows)}
    for name in METRICS:
        values = [r[name] for r in answerable if name in r]
        if values:
            result[name] = round(statistics.fmean(values), 4)
    _rate(result, "null_abstention", [r["abstained"] for r in rows if r["kind"] == "null_query"])
    _rate(result, "false_abstention", [r["abstained"] for r in rows if r["kind"] not in ("null_query", "followup")])
    for name in CONVERSATION_METRICS:
        _rate(result, name, [r[name] for r in rows if name in r])
    _rate(result, "answer_contains_gold", [r["answer_contains"] for r in rows if "answer_contains" in r])
    _rate(result, "followup@4", [r["followup@4"] for r in rows if "followup@4" in r])
    _rate(result, "direct_exact", [r["direct_exact"] for r in rows if "direct_exact" in r])
    _rate(result, "direct_wrong", [r["direct_wrong"] for r in rows if "direct_wrong" in r])
    _rate(result, "null_with_direct", [r["direct"] for r in rows if r["kind"] == "null_query"])
    result.update(claims_summary([r for r in rows if "claims_given" in r]))
    switched = [r for r in rows if r["kind"] == "switch"]
    for name in SWITCH_METRICS if switched else ():
        after = statistics.fmean(r[name] for r in switched)
        alone = statistics.fmean(r[f"{name}_alone"] for r in switched)
        result[f"switch_{name}"] = round(after / alone, 4) if alone else 0.0
    for name in GENERATION_RATES:  # generated answers (issue 12)
        _rate(result, name, [r[name] for r in rows if name in r])
    for name in OUTLET_RATES:  # questions naming outlets (issue 20)
        _rate(result, name, [r[name] for r in rows if name in r])
    return result


def _rate(result: dict, name: str, values: Iterable[float | bool]) -> None:
    values = [float(v) for v in values]
    if values:
        result[name] = round(statistics.fmean(values), 4)


def evaluate_answer(
    example: Example,
    answer,
    ms: float,
    count_tokens: Callable[[list[str]], list[int]],
    outlets: OutletGold | None = None,
) -> dict:
    """One row of the report from an `Answer` (duck-typed: ``.passages``, ``.text``, ``.abstained``); with
    ``outlets``, the named-outlet metrics of an answerable question (`qa.eval_outlets`)."""
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
    direct = getattr(answer, "direct", None)
    row.update(direct_metrics(direct, example.answer if example.kind == "inference_query" else ""))
    if example.kind in COVERAGE_TYPES and example.answer:
        row.update(coverage_metrics(direct, example.answer))
    row["duplicate_quotes"] = duplicate_quotes(answer.citations)
    row.update(generation_row(example, answer))
    if outlets is not None and example.answerable and example.kind not in ("followup", "switch"):
        row.update(outlet_row(example.question, example.gold_doc_ids, answer, outlets))
    return row


COLUMNS = (
    *METRICS,
    "null_abstention",
    "false_abstention",
    "answer_contains_gold",
    "direct_exact",
    "direct_wrong",
    "null_with_direct",
    *CLAIMS_METRICS,
    "followup@4",
    *CONVERSATION_METRICS,
    *(f"switch_{m}" for m in SWITCH_METRICS),
    *GENERATION_RATES,
    *OUTLET_RATES,
)


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
    outlets = OutletGold.of(assistant.searcher)
    gold = _switch_gold(dataset) if any(getattr(i, "kind", "") == "switch" for i in items) else {}
    for item in items:
        on_step()
        if isinstance(item, Skip):
            report.skipped.append(str(item))
            continue
        started = time.perf_counter()
        try:
            if item.kind == "conversation":
                report.add(conversation_row(assistant, item, k or 10))
                continue
            if item.kind == "switch":
                report.add(_switch_row(assistant, item, gold, k or 10, count_tokens))
                continue
            options = Options(k=k or 10, llm=llm)
            answer = assistant.ask(check_request(item.question, history=item.history, options=options))
        except BadQuestionError as exc:
            report.skipped.append(f"{item.id}: {exc}")
            continue
        ms = (time.perf_counter() - started) * 1000
        report.add(evaluate_answer(item, answer, ms, count_tokens, outlets))
    if not report.rows:
        raise DatasetError(f"No question could be read from {dataset}.")
    return report


def _switch_gold(dataset: Path) -> dict[str, Example]:
    """The dev questions a topic-switch file points to (``query_id``), read from the file beside it."""
    path = dataset.parent / "dev-queries.jsonl"
    if not path.exists():
        raise DatasetError(f"A topic-switch file needs {path.name} beside it for its gold answers.")
    return {e.id: e for e in read_examples(path) if isinstance(e, Example)}


def _switch_row(assistant, item: Example, gold: dict[str, Example], k: int, count_tokens) -> dict:
    """Turn 1 is answered first; turn 2 is asked after it (history = turn 1 + that answer) and alone."""
    target = gold.get(item.query_id)
    if target is None:
        raise BadQuestionError(f"query_id {item.query_id!r} is not in the dev questions")
    first = next((t["content"] for t in reversed(item.history) if t.get("role") == "user"), "")
    earlier = assistant.ask(check_request(first, options=Options(k=k)))
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": earlier.text}]
    started = time.perf_counter()
    after = assistant.ask(check_request(item.question, history=history, options=Options(k=k)))
    ms = (time.perf_counter() - started) * 1000
    alone = assistant.ask(check_request(item.question, options=Options(k=k)))
    scored = Example(item.id, item.question, "switch", gold_doc_ids=target.gold_doc_ids, facts=target.facts)
    row = evaluate_answer(scored, after, ms, count_tokens)
    row.update(retrieval_metrics([p.text for p in after.passages], [p.article_id for p in after.passages], scored))
    alone_metrics = retrieval_metrics([p.text for p in alone.passages], [p.article_id for p in alone.passages], scored)
    row.update({f"{name}_alone": value for name, value in alone_metrics.items()})
    return row
