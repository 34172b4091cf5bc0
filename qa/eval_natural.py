"""Natural questions (``../shared/data/natural/dev.jsonl``): questions as a reader types them, each with the answer as
the article writes it, its kind and the body sentence that states it. Scored on the direct answer and the quotes:

- a direct answer is right when, after `normalise` (case, punctuation, a leading "the", month abbreviations and
  number words up to twenty), the gold answer is inside it (or all the gold's words are), or it is inside the gold
  and holds at least half of the gold's words or one of its numbers; for yes/no its first word must be the gold;
- ``direct_right`` / ``direct_wrong``: share of answerable questions with a right / a wrong direct answer, and
  ``direct_precision`` the right share of those given one;
- ``first_quote_has_gold`` / ``quotes_have_gold``: answerable questions but yes/no whose gold answer is inside the
  first / any quoted sentence; ``gold_sentence_cited``: the evidence sentence is among the quoted ones;
- ``unanswerable_abstained`` / ``unanswerable_with_direct``: unanswerable questions that abstained / got a direct
  answer. ``by_kind``: answerable questions per kind, with their right and wrong direct answers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qa.core.errors import BadQuestionError, DatasetError
from qa.core.types import Answer, Skip
from qa.eval import read_dataset
from qa.search.validate import Options, check_request

KINDS = ("who", "what", "why", "when", "number", "yesno", "unanswerable")
_MONTH_NAMES = "january february march april may june july august september october november december"
MONTHS = {m[:3]: m for m in _MONTH_NAMES.split()} | {"sept": "september"}
_NUMBER_WORDS = """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
sixteen seventeen eighteen nineteen twenty"""
NUMBER_WORDS = {w: str(i) for i, w in enumerate(_NUMBER_WORDS.split())}
EVIDENCE_PREFIX = 120  # characters of the evidence sentence (or of a quote) that must match


@dataclass(frozen=True)
class NaturalQuestion:
    """One line of a natural-questions file."""

    id: str
    question: str
    answer: str
    kind: str  # one of KINDS
    evidence: str = ""  # the body sentence that states the answer ("" when unanswerable)

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"


def is_natural(path: Path) -> bool:
    """Whether ``path`` is in the natural-questions format (its first readable line has ``kind`` and ``doc_id``)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    return isinstance(record, dict) and record.get("kind") in KINDS and "doc_id" in record
    except (OSError, ValueError, RecursionError):
        return False
    return False


def read_natural(path: Path) -> Iterator[NaturalQuestion | Skip]:
    return read_dataset(path, natural_question)


def natural_question(record: object, number: int = 0) -> NaturalQuestion:
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    if not isinstance(record.get("question"), str):
        raise ValueError('no "question" string')
    if record.get("kind") not in KINDS:
        raise ValueError(f'"kind" must be one of {", ".join(KINDS)}')
    return NaturalQuestion(
        id=str(record.get("id", number)),
        question=record["question"],
        answer=str(record.get("answer") or ""),
        kind=record["kind"],
        evidence=str(record.get("evidence") or ""),
    )


def normalise(text: str) -> str:
    """Lower case, punctuation but decimal points and separators gone, no leading "the", month abbreviations and
    number words up to twenty written out the same way ("Oct." -> "october", "seven" -> "7")."""
    text = re.sub(r"[^\w\s$%£€.,]", " ", (text or "").lower())
    text = re.sub(r"(?<!\d)[.,]|[.,](?!\d)", " ", text)
    text = re.sub(r"^\s*the\s+", "", text)
    return " ".join(MONTHS.get(w, NUMBER_WORDS.get(w, w)) for w in text.split())


def direct_is_right(gold: str, text: str, kind: str) -> bool:
    """Whether the direct answer ``text`` states the ``gold`` answer (the rules of the module docstring)."""
    wanted, given = normalise(gold), normalise(text)
    if not given:
        return False
    if kind == "yesno":
        return given.split()[0] == wanted
    if wanted in given or set(wanted.split()) <= set(given.split()):
        return True
    # a shorter span inside the gold ("14%" for "14% of adults") counts when it holds half its words or its number
    return given in wanted and (len(given.split()) * 2 >= len(wanted.split()) or any(c.isdigit() for c in given))


def score_answer(question: NaturalQuestion, answer: dict) -> dict:
    """One row of the report from an answer as JSON (`Answer.to_json`, a ``qa ask --batch`` line)."""
    direct = answer.get("direct") or {}
    text = direct.get("text") if isinstance(direct, dict) else None
    row: dict = {"kind": question.kind, "direct": bool(text)}
    if not question.answerable:
        return row | {"abstained": bool(answer.get("abstained"))}
    sentences = [c.get("sentence", "") for c in answer.get("citations", [])]
    if text:
        row["right"] = direct_is_right(question.answer, text, question.kind)
    if question.kind != "yesno":
        gold = normalise(question.answer)
        row["first_quote_has_gold"] = bool(sentences) and gold in normalise(sentences[0])
        row["quotes_have_gold"] = any(gold in normalise(s) for s in sentences)
    evidence = normalise(question.evidence)
    row["gold_sentence_cited"] = bool(evidence) and any(
        evidence[:EVIDENCE_PREFIX] in normalise(s) or normalise(s)[:EVIDENCE_PREFIX] in evidence for s in sentences if s
    )
    return row


@dataclass
class NaturalReport:
    """Per-question rows; `summary` gives the shares the module docstring defines."""

    rows: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        answerable = [r for r in self.rows if r["kind"] != "unanswerable"]
        unanswerable = [r for r in self.rows if r["kind"] == "unanswerable"]
        quoted = [r for r in answerable if r["kind"] != "yesno"]
        given = [r for r in answerable if "right" in r]
        right = sum(r["right"] for r in given)
        by_kind: dict[str, dict] = {}
        for row in answerable:
            kind = by_kind.setdefault(row["kind"], {"n": 0, "right": 0, "wrong": 0})
            kind["n"] += 1
            if "right" in row:
                kind["right" if row["right"] else "wrong"] += 1
        return {
            "questions": len(self.rows),
            "answerable": len(answerable),
            "unanswerable": len(unanswerable),
            "skipped": len(self.skipped),
            "direct_right": _share(right, answerable),
            "direct_wrong": _share(len(given) - right, answerable),
            "direct_precision": _share(right, given),
            "first_quote_has_gold": _share(sum(r["first_quote_has_gold"] for r in quoted), quoted),
            "quotes_have_gold": _share(sum(r["quotes_have_gold"] for r in quoted), quoted),
            "gold_sentence_cited": _share(sum(r["gold_sentence_cited"] for r in answerable), answerable),
            "unanswerable_abstained": _share(sum(r["abstained"] for r in unanswerable), unanswerable),
            "unanswerable_with_direct": _share(sum(r["direct"] for r in unanswerable), unanswerable),
            "by_kind": dict(sorted(by_kind.items())),
        }


def _share(count: int, of: list) -> float:
    return round(count / max(1, len(of)), 3)


def run_natural(
    ask: Callable[..., Answer],
    dataset: Path,
    *,
    k: int | None = None,
    limit: int | None = None,
    llm: bool | None = None,
    on_total: Callable[[int], None] = lambda n: None,
    on_step: Callable[[], None] = lambda: None,
) -> NaturalReport:
    """Ask every question of ``dataset`` through ``ask`` (an `Assistant`'s, the real pipeline) and score it."""
    report = NaturalReport()
    items = list(read_natural(dataset))[:limit] if limit else list(read_natural(dataset))
    on_total(len(items))
    for item in items:
        on_step()
        if isinstance(item, Skip):
            report.skipped.append(str(item))
            continue
        try:
            answer = ask(check_request(item.question, options=Options(k=k, llm=llm)))
        except BadQuestionError as exc:
            report.skipped.append(f"{item.id}: {exc}")
            continue
        report.rows.append(score_answer(item, answer.to_json()))
    if not report.rows:
        raise DatasetError(f"No question could be read from {dataset}.")
    return report
