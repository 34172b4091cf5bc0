"""How answers, evaluation reports and corpus statistics look on a terminal (rich); the CLI prints these.

Every string that comes from data (file names, titles, article text, questions echoed in errors) goes
through `inert` or `inert_text` first: rich markup is escaped and control characters (ESC sequences,
carriage returns, bidi overrides, ...) are shown visibly as ``\\x1b``-style escapes, so nothing in an
article or a file name can move the cursor, recolour the terminal or hide text."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from qa.core.types import Answer
from qa.store.embeddings.cpu import backend_note
from qa.text.display import CLAIM_HEADERS, claim_rows, outlet_display, short_date

if TYPE_CHECKING:  # the store and eval layers: only for the commands that render them (`inert` is for every one)
    from ingest.index import IngestSummary
    from qa.store.stats import CorpusStats

# C0 controls but newline and tab, DEL, C1 controls, and the bidi controls that can reorder what a terminal
# shows (Trojan-source text); a single line also shows newlines, tabs and Unicode line separators
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_MULTILINE = re.compile(f"[{_CONTROLS}]")
_ONE_LINE = re.compile(f"[{_CONTROLS}\t\n\u2028\u2029]")


# What `json.dumps(..., ensure_ascii=False)` leaves raw that a terminal could act on (it escapes C0 itself)
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def json_line(data: object) -> str:
    """``data`` as one JSON line with readable non-ASCII text, DEL, C1 and bidi controls written as ``\\u``
    escapes (they only occur inside strings, so the JSON means the same)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(data, ensure_ascii=False))


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert_plain(value: object, *, multiline: bool = False) -> str:
    """``value`` with every control character shown as an escape (``\\x1b``); newlines and tabs kept
    only when ``multiline``. For `rich.text.Text`, which never reads markup."""
    return (_MULTILINE if multiline else _ONE_LINE).sub(_visible, str(value))


def inert(value: object, *, multiline: bool = False) -> str:
    """`inert_plain` plus rich markup escaped: safe inside a markup string given to ``console.print``."""
    return escape(inert_plain(value, multiline=multiline))


def inert_text(value: object, style: str = "", *, multiline: bool = False) -> Text:
    """``value`` as a rich `Text` (no markup, no emoji codes) with control characters made visible."""
    return Text(inert_plain(value, multiline=multiline), style=style)


class TerminalConsole(Console):
    """A console that wraps lines to its width only on a terminal: written to a file or a pipe, each line stays
    whole (``soft_wrap``), so an answer, an excerpt or a link is never broken by a newline a reader did not write.
    Checked at each print, as the stream may change (a test's captured output)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(emoji=False, **kwargs)

    @property
    def soft_wrap(self) -> bool:
        return not self.is_terminal

    @soft_wrap.setter
    def soft_wrap(self, value: bool) -> None:  # set by Console.__init__; whether it is a terminal decides
        pass


def render_answer(answer: Answer, out: Console, err: Console) -> None:
    """The answer, then each citation with its article, link, excerpt (sentence highlighted) and offsets."""
    if answer.notice:
        err.print(Text.assemble(("Note: ", "yellow"), inert_text(answer.notice)))
    if answer.abstained:
        out.print(inert_text(answer.text, "yellow", multiline=True))
    else:
        _print_answer_text(answer, out)
    render_sources(answer, out)


def render_sources(answer: Answer, out: Console) -> None:
    """An answer's sources: each citation's card (article, link, excerpt with the sentence highlighted, offsets),
    or for an abstention the nearest excerpts. A link is never wrapped (the terminal folds it, whole, if need be)."""
    if answer.abstained:
        if answer.passages:
            out.print("\n[dim]Nearest excerpts (they do not answer the question):[/dim]")
        for i, passage in enumerate(answer.passages[:3], start=1):
            out.print(_heading(f"  ({i}) ", passage))
            out.print(inert_text("      " + _short(passage.text), "dim"))
        return
    out.print()
    for citation in answer.citations:
        p = citation.passage
        out.print(_heading(f"[{citation.n}] ", p, bold=True))
        if p.also:
            out.print(inert_text(f"    also published by {', '.join(p.also)}", "dim"))
        if p.url:
            out.print(inert_text(f"    {p.url}", "blue"), soft_wrap=True)
        lo, hi = citation.start - p.start, citation.end - p.start
        excerpt = Text("    ")
        excerpt.append(inert_plain(p.text[:lo], multiline=True), style="dim")
        excerpt.append(inert_plain(p.text[lo:hi], multiline=True), style="bold yellow")
        excerpt.append(inert_plain(p.text[hi:], multiline=True), style="dim")
        out.print(excerpt)
        out.print(f"    [dim]characters {citation.start}-{citation.end} of the article[/dim]")


def _heading(lead: str, passage, *, bold: bool = False) -> Text:
    """``lead`` then "title — outlet, date" of a passage, all of it inert."""
    line = Text(lead, style="bold" if bold else "")
    where = ", ".join(part for part in (outlet_display(passage.source), short_date(passage.published)) if part)
    line.append(inert_plain(f"{passage.title} — {where}"))
    return line


def _print_answer_text(answer: Answer, out: Console) -> None:
    """The direct answer in bold (its first line), the per-claim table when the question is about coverage, then
    each quote line: outlet, date, sentence, ``[n]``."""
    lines = answer.text.splitlines()
    if answer.direct and lines:
        out.print(inert_text(lines[0], "bold"))
        lines = lines[1:]
    if answer.claims:
        _print_claims(answer, out)
    for line in lines:
        out.print(inert_text(line))


def _print_claims(answer: Answer, out: Console) -> None:
    """Each claim | outlet, date | verdict | quote [n]: a table on a terminal (rich wraps its cells to the width);
    in a file or a pipe one line per claim, cells split by " | ", so no line is broken."""
    sentences = {c.n: c.sentence for c in answer.citations}
    rows = claim_rows([c.to_json() for c in answer.claims], sentences)
    quotes = [f"“{r.quote}” [{r.n}]" if r.n else r.quote for r in rows]
    if not out.is_terminal:
        for r, quote in zip(rows, quotes, strict=True):
            out.print(inert_text("- " + " | ".join((r.claim, r.where, r.judged, quote))))
        return
    table = Table(show_lines=True)
    for header in CLAIM_HEADERS:  # "fold": a word longer than its cell is cut in two, never hidden
        table.add_column(header, overflow="fold")
    for r, quote in zip(rows, quotes, strict=True):
        verdict = Text.assemble(inert_text(r.verdict, "bold"), "\n" if r.reason else "", inert_text(r.reason, "dim"))
        table.add_row(inert_text(r.claim), inert_text(r.where), verdict, inert_text(quote))
    out.print(table)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_eval(summary: dict, out: Console) -> None:
    """`qa eval`'s table: overall and per question type, then latency and passage lengths."""
    from qa.eval import COLUMNS

    groups = {"overall": summary["overall"], **summary["by_type"]}
    shown = [c for c in COLUMNS if any(c in g for g in groups.values())]
    table = Table("questions", "n", *shown)
    for name, values in groups.items():
        table.add_row(inert_text(name), str(values["n"]), *(f"{values[c]:.3f}" if c in values else "" for c in shown))
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
    if summary.get("direct_by_kind"):
        kinds = summary["direct_by_kind"].items()
        shown_kinds = ", ".join(f"{inert(k)} {v['exact']:.3f} (n={v['n']})" for k, v in kinds)
        out.print(f"direct answers equal to the gold answer, by kind: {shown_kinds}")
    if "duplicate_quotes" in summary:
        out.print(f"sentences quoted twice in one answer: {summary['duplicate_quotes']}")
    if summary["skipped"]:
        out.print(f"{summary['skipped']} lines skipped")


def render_natural(summary: dict, out: Console) -> None:
    """`qa eval` on natural questions: the shares, then direct answers right and wrong per kind."""
    for name in NATURAL_SHARES:
        out.print(f"{name}: {summary[name]:.3f}")
    table = Table("kind", "n", "right", "wrong")
    for kind, counts in summary["by_kind"].items():
        table.add_row(inert_text(kind), str(counts["n"]), str(counts["right"]), str(counts["wrong"]))
    out.print(table)
    out.print(f"{summary['answerable']} answerable, {summary['unanswerable']} unanswerable questions")
    if summary["skipped"]:
        out.print(f"{summary['skipped']} lines skipped")


NATURAL_SHARES = (
    "direct_right",
    "direct_wrong",
    "direct_precision",
    "first_quote_has_gold",
    "quotes_have_gold",
    "gold_sentence_cited",
    "unanswerable_abstained",
    "unanswerable_with_direct",
)


def render_backend_note(requested: str, used: str, console: Console) -> None:
    """How to switch when ``auto`` kept an index's backend that is not this CPU's choice (nothing otherwise)."""
    if note := backend_note(requested, used):
        console.print(f"[yellow]note[/yellow] {inert(note)}", highlight=False, soft_wrap=True)


def render_stats(stats: CorpusStats, out: Console) -> None:
    """`qa stats`: one summary line, the model and store, then outlets with their article counts."""
    dates = " to ".join(map(short_date, stats.date_range)) if stats.date_range else "unknown"
    out.print(
        f"[bold]{stats.articles}[/bold] articles, [bold]{stats.chunks}[/bold] chunks, "
        f"{len(stats.outlets)} outlets, dates {dates}; {stats.stories} stories ({stats.copies} copies)"
    )
    out.print(f"model {inert(stats.model)} ({inert(stats.backend)}); store {inert(stats.store)} ({stats.mode})")
    table = Table("outlet", "articles")
    for name, count in _shown_outlets(stats.outlets):
        table.add_row(inert_text(name), str(count))
    if stats.outlets:
        out.print(table)


def _shown_outlets(outlets: dict[str, int]) -> list[tuple[str, int]]:
    """Articles per outlet as the outlets read everywhere ("Cnbc | World Business News Leader" is "CNBC"), names
    that read the same counted together, most first (``--json`` keeps the stored names)."""
    shown: dict[str, int] = {}
    for name, count in outlets.items():
        key = outlet_display(name) or name
        shown[key] = shown.get(key, 0) + count
    return sorted(shown.items(), key=lambda item: -item[1])


def ingest_line(summary: IngestSummary) -> str:
    """The one-line summary of an ingest (`qa ingest`, each `qa watch` cycle)."""
    data = summary.to_json()
    line = (
        f"{data['added']} added, {data['updated']} updated, {data['unchanged']} unchanged, "
        f"{data['removed']} removed, {len(data['skipped'])} skipped; {data['chunks_written']} chunks written "
        f"in {data['seconds']:.1f} s ({data['chunks_per_second']} chunks/s)"
    )
    if summary.truncated:
        line += f"; {len(summary.truncated)} cut to QA_MAX_ARTICLE_CHARS"
    if summary.recovered:
        line += f"; recovered {summary.recovered} articles left half-written by an interrupted run"
    return line


def render_ingest_notes(summary: IngestSummary, err: Console) -> None:
    """What an ingest skipped, flagged and cut, a line each on stderr."""
    for skip in summary.skipped:
        err.print(f"[yellow]skipped[/yellow] {inert(skip)}", highlight=False, soft_wrap=True)
    for warning in summary.warnings:  # look-alike outlets: indexed, flagged
        err.print(f"[yellow]look-alike[/yellow] {inert(warning)}", highlight=False, soft_wrap=True)
    for note in summary.truncated:
        err.print(f"[yellow]truncated[/yellow] {inert(note)}", highlight=False, soft_wrap=True)
    for note in summary.feeds:  # each feed read: "https://…/feed.xml: unchanged (304)"
        err.print(f"FEED {inert(note)}", highlight=False, soft_wrap=True)


def render_ingest(summary: IngestSummary, out: Console, err: Console, *, as_json: bool = False) -> None:
    """`qa ingest`'s report: the notes, then the summary line (on stderr, and the JSON on stdout, with ``as_json``)."""
    render_ingest_notes(summary, err)
    if as_json:
        err.print(ingest_line(summary), soft_wrap=True)
        out.file.write(json.dumps(summary.to_json()) + "\n")
    else:
        out.print(ingest_line(summary), soft_wrap=True)
