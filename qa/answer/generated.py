"""A generated answer from start to end: prompt the model with the retrieved passages, check each sentence as
it completes, and return the supported ones with their citations; on any failure, or when no sentence is
supported, the extractive answer with one notice line."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

from qa.answer.check import Checked, Checker, SentenceStream, Written, split_written
from qa.answer.llm import PROMPT_PASSAGES, Generator, build_messages
from qa.core.errors import LLMError
from qa.core.types import Answer, Citation, Mode


@dataclass(frozen=True)
class Draft:
    """Streaming progress: the sentences checked so far and the text of the one being written."""

    checked: tuple[Checked, ...]
    pending: str


def answer_with_model(
    generator: Generator,
    embeddings,
    extractive: Answer,
    *,
    history: list[dict] | None = None,
    context: str = "",
    stream: bool = True,
) -> Iterator[Draft | Answer]:
    """Drafts while the model writes (``stream``), then the final `Answer` (generated, or the extractive one
    with a notice)."""
    passages = list(extractive.passages[:PROMPT_PASSAGES])
    checker = Checker(embeddings, extractive.question, passages, context)
    checked: list[Checked] = []
    started = time.perf_counter()
    first_token_ms = None
    try:
        messages = build_messages(extractive.question, passages, history)
        if stream:
            sentences = SentenceStream()
            for piece in generator.stream(messages):
                if first_token_ms is None:
                    first_token_ms = _ms(started)
                for written in sentences.feed(piece):
                    checked.append(checker.check(written))
                yield Draft(tuple(checked), sentences.pending)
            remaining: list[Written] = sentences.finish()
        else:
            remaining = split_written(generator.complete(messages))
            first_token_ms = _ms(started)
        checked.extend(checker.check(w) for w in remaining)
    except LLMError as exc:
        yield fallback(extractive, f"{exc}; showing the extractive answer.")
        return
    answer = generated_answer(extractive, checked, generator.model or "unknown")
    answer.timings.update({"first_token_ms": first_token_ms, "generate_ms": _ms(started)})
    yield answer


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def generated_answer(extractive: Answer, checked: list[Checked], model: str) -> Answer:
    """The supported sentences with their ``[n]`` markers and citations; the extractive answer (with a notice)
    when none is supported."""
    sentences = tuple(c.sentence for c in checked)
    kept = _first_of_each([c for c in checked if c.sentence.supported])  # a small model repeats itself
    if not kept:
        written = f"{len(checked)} sentence{'s' if len(checked) != 1 else ''}" if checked else "no sentence"
        notice = (
            f"The model's answer ({written}) had nothing its cited passages support; showing the extractive answer."
        )
        return replace(fallback(extractive, notice), model=model, sentences=sentences)
    citations: dict[int, Citation] = {}
    for c in kept:
        for evidence in c.evidence:
            citations.setdefault(evidence.n, evidence)
    notice = extractive.notice
    dropped = sum(not c.sentence.supported for c in checked)
    if dropped:
        notice = _join(notice, f"{dropped} of {len(checked)} generated sentences left out: {_reasons(checked)}.")
    return replace(
        extractive,
        direct=carried_direct(extractive, kept),
        text=" ".join(marked(c.sentence.text, c.sentence.citations) for c in kept),
        citations=tuple(citations[n] for n in sorted(citations)),
        notice=notice,
        mode=Mode.GENERATED,
        model=model,
        sentences=sentences,
        extractive_text=extractive.text,
        timings=dict(extractive.timings),
    )


def carried_direct(extractive: Answer, kept: list[Checked]):
    """The extractive direct answer, kept only when a supported generated sentence states it, and then cited as
    that sentence cites (the generated answer numbers passages, not extractive quotes); otherwise none."""
    direct = extractive.direct
    if direct is None or direct.kind not in ("name", "number", "date"):
        return None
    wanted = direct.text.lower()
    carrier = next((c for c in kept if wanted in c.sentence.text.lower()), None)
    return replace(direct, citations=tuple(carrier.sentence.citations)) if carrier else None


def _first_of_each(checked: list[Checked]) -> list[Checked]:
    seen: set[str] = set()
    unique = []
    for c in checked:
        if c.sentence.text.lower() not in seen:
            seen.add(c.sentence.text.lower())
            unique.append(c)
    return unique


def marked(text: str, citations: tuple[int, ...]) -> str:
    """The sentence with its markers before the closing punctuation: "It reopened on Monday [1]."."""
    markers = "".join(f"[{n}]" for n in citations)
    if text and text[-1] in ".!?":
        return f"{text[:-1]} {markers}{text[-1]}"
    return f"{text} {markers}"


def _reasons(checked: list[Checked]) -> str:
    reasons = dict.fromkeys(c.reason for c in checked if c.reason)
    return "; ".join(reasons)


def _join(first: str, second: str) -> str:
    return f"{first} {second}".strip()


def fallback(extractive: Answer, notice: str) -> Answer:
    """The extractive answer with one more notice line (mode stays extractive)."""
    return replace(
        extractive,
        notice=_join(extractive.notice, notice),
        extractive_text=extractive.text,
        timings=dict(extractive.timings),
    )
