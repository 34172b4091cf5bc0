"""Answer metrics, per question and pure: the gold answer contained in an answer, the direct answer equal to
the gold one, quotes repeated, and what happened to a generated answer. `qa.eval` aggregates them."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence

from qa.core.types import Mode


def normalise_answer(text: str) -> str:
    """How a direct answer is compared with the gold one: case, punctuation and a leading "the" ignored."""
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return re.sub(r"^the\s+", "", " ".join(text.split()))


def direct_metrics(direct, gold: str) -> dict:
    """The direct answer against the gold answer: present, kind, exact (normalised) and wrong (present, not exact)."""
    row: dict = {"direct": float(direct is not None)}
    if direct is not None:
        row["direct_kind"] = direct.kind
    if gold:
        exact = direct is not None and normalise_answer(direct.text) == normalise_answer(gold)
        row["direct_exact"] = float(exact)
        row["direct_wrong"] = float(direct is not None and not exact)
    return row


def duplicate_quotes(citations) -> int:
    """Quotes of an answer whose sentence another quote of it already gave (case and spacing ignored)."""
    keys = [" ".join(re.sub(r"[^\w\s]", " ", c.sentence.lower()).split()) for c in citations]
    return len(keys) - len(set(keys))


def answer_contains(answer_text: str, gold: str) -> float:
    """Whether the answer text contains the gold answer (case-insensitive, trailing period ignored)."""
    wanted = " ".join(gold.strip().rstrip(".").split()).lower()
    return float(bool(wanted) and wanted in " ".join(answer_text.split()).lower())


def contains_gold_score(answer_text: str, gold: str) -> float:
    """`answer_contains` on word boundaries, so a gold "No" is not found inside "not" or "know" (generation
    accuracy: the model's answers to yes/no questions are compared with the extractive answer's)."""
    wanted = " ".join(gold.strip().rstrip(".").split()).lower()
    text = " ".join(answer_text.split()).lower()
    return float(bool(wanted) and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", text) is not None)


def generation_row(example, answer) -> dict:
    """Generation figures of one answer when a model was asked (``extractive_text`` set), else nothing."""
    if not answer.extractive_text:
        return {}
    generated = answer.mode == Mode.GENERATED
    row: dict = {"generated": float(generated), "llm_failed": float(not generated and answer.model is None)}
    row["sentences_total"] = len(answer.sentences)
    row["sentences_supported"] = sum(s.supported for s in answer.sentences)
    for name in ("first_token_ms", "generate_ms"):
        if answer.timings.get(name) is not None:
            row[name] = answer.timings[name]
    if example.answerable and example.answer:
        model_text = " ".join(s.text for s in answer.sentences)
        row["gen_contains_gold"] = contains_gold_score(answer.text, example.answer)
        row["ext_contains_gold"] = contains_gold_score(answer.extractive_text, example.answer)
        row["model_contains_gold"] = contains_gold_score(model_text, example.answer)
    return row


GENERATION_RATES = ("generated", "llm_failed", "gen_contains_gold", "ext_contains_gold", "model_contains_gold")


def generation_summary(rows: list[dict]) -> dict:
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
            out[name] = {"p50": percentile(values, 50), "p95": percentile(values, 95)}
    return out


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile by nearest rank, rounded to 0.1."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(float(ordered[index]), 1)


COVERAGE_TYPES = ("comparison_query", "temporal_query")  # MultiHop-RAG's questions about coverage (issue 20)
COVERAGE_KINDS = ("yes", "no", "before", "after", "outlet")
# gold answers that mean yes: "Consistent", "Agree", "Similar", "Same", "Align", "True"
_YES_LIKE = re.compile(r"^(?:yes|consistent|consistency|same|agree\w*|similar\w*|align\w*|true)\b")
_NO_LIKE = re.compile(r"^(?:no|not|inconsistent|different|differ\w*|false|disagree\w*|changed?)\b")


def gold_polarity(gold: str) -> str:
    """A gold answer read as "yes", "no" or, for anything else (an outlet, before/after), its normalised text."""
    text = normalise_answer(gold)
    if _YES_LIKE.match(text):
        return "yes"
    if _NO_LIKE.match(text):
        return "no"
    return text


def coverage_metrics(direct, gold: str) -> dict:
    """A coverage question's direct answer (yes/no, before/after, outlet) against the gold one: given, right, and
    the gold class (yes/no precision are computed per class)."""
    given = direct is not None and direct.kind in COVERAGE_KINDS
    row = {"claims_given": float(given), "claims_gold": gold_polarity(gold)}
    if given:
        said = direct.kind if direct.kind in ("yes", "no") else normalise_answer(direct.text)
        row["claims_said"] = said
        row["claims_right"] = float(said == row["claims_gold"])
    return row


def claims_summary(rows: list[dict]) -> dict:
    """Coverage questions (issue 20): share given a direct answer, share right of those, and the precision of the
    yes and of the no answers given (gold is ~60% yes, so one class can hide the other's errors)."""
    given = [r for r in rows if r["claims_given"]]
    found = {
        "claims_given": [r["claims_given"] for r in rows],
        "claims_right": [r["claims_right"] for r in given],
        **{
            f"claims_{said}_precision": [r["claims_right"] for r in given if r["claims_said"] == said]
            for said in ("yes", "no")
        },
    }
    return {name: round(statistics.fmean(values), 4) for name, values in found.items() if values}
