"""How answers, evaluation reports and corpus statistics look on a terminal (rich); the CLI prints these."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from qa.core.types import Answer
from qa.eval import COLUMNS


def render_answer(answer: Answer, out: Console, err: Console) -> None:
    """The answer, then each citation with its article, link, excerpt (sentence highlighted) and offsets."""
    if answer.notice:
        err.print(f"[yellow]Note:[/yellow] {escape(answer.notice)}")
    out.print(Text(answer.text, style="bold" if not answer.abstained else "yellow"))
    if answer.abstained:
        if answer.passages:
            out.print("\n[dim]Nearest excerpts (they do not answer the question):[/dim]")
        for i, passage in enumerate(answer.passages[:3], start=1):
            out.print(f"  ({i}) {escape(passage.title)} — {escape(passage.source)}, {passage.published[:10]}")
            out.print(Text("      " + _short(passage.text), style="dim"))
        return
    out.print()
    for citation in answer.citations:
        p = citation.passage
        out.print(f"[bold][{citation.n}][/bold] {escape(p.title)} — {escape(p.source)}, {p.published[:10]}")
        if p.url:
            out.print(f"    {escape(p.url)}", style="blue")
        lo, hi = citation.start - p.start, citation.end - p.start
        excerpt = Text("    ")
        excerpt.append(p.text[:lo], style="dim")
        excerpt.append(p.text[lo:hi], style="bold yellow")
        excerpt.append(p.text[hi:], style="dim")
        out.print(excerpt)
        out.print(f"    [dim]characters {citation.start}-{citation.end} of the article[/dim]")


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_eval(summary: dict, out: Console) -> None:
    """`qa eval`'s table: overall and per question type, then latency and passage lengths."""
    groups = {"overall": summary["overall"], **summary["by_type"]}
    shown = [c for c in COLUMNS if any(c in g for g in groups.values())]
    table = Table("questions", "n", *shown)
    for name, values in groups.items():
        table.add_row(name, str(values["n"]), *(f"{values[c]:.3f}" if c in values else "" for c in shown))
    out.print(table)
    if "latency_ms" in summary:
        out.print(f"latency per question: p50 {summary['latency_ms']['p50']} ms, p95 {summary['latency_ms']['p95']} ms")
    if "generation" in summary:  # generated answers (issue 12)
        g = summary["generation"]
        out.print(
            f"model answers: {g['generated']:.1%} generated, {g['fell_back_unsupported']:.1%} fell back (unsupported), "
            f"{g['llm_failed']:.1%} failed; {g['sentences_supported']:.1%} of {g['sentences']} sentences supported"
        )
        for name, label in (("first_token_ms", "first token"), ("generate_ms", "full answer")):
            if name in g:
                out.print(f"model {label}: p50 {g[name]['p50']} ms, p95 {g[name]['p95']} ms")
    if "passage_tokens" in summary:
        t = summary["passage_tokens"]
        out.print(f"passage length (word pieces): median {t['median']}, p95 {t['p95']}, max {t['max']}")
    if summary["skipped"]:
        out.print(f"{summary['skipped']} lines skipped")


def render_stats(data: dict, out: Console) -> None:
    """`qa stats`: one summary line, the model and store, then outlets with their article counts."""
    dates = " to ".join(data["date_range"]) if data["date_range"] else "unknown"
    out.print(
        f"[bold]{data['articles']}[/bold] articles, [bold]{data['chunks']}[/bold] chunks, "
        f"{len(data['outlets'])} outlets, dates {dates}"
    )
    out.print(f"model {escape(data['model'])} ({data['backend']}); store {escape(data['store'])} ({data['mode']})")
    table = Table("outlet", "articles")
    for name, count in data["outlets"].items():
        table.add_row(escape(name), str(count))
    if data["outlets"]:
        out.print(table)
