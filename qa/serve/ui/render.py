"""An `Answer` as one chat message that carries its own source cards; the timeline panel; the corpus summary;
errors and hints. Pure functions over the records of `qa.core.types`."""

from __future__ import annotations

import math
import re
from collections import Counter

from qa.core.errors import BadQuestionError, EmptyIndexError, IndexMismatchError, QAError, StoreError
from qa.core.types import Answer, Citation, Passage
from qa.serve.ui.safe import link, markdown_text, text
from qa.serve.ui.timeline import points, render_timeline, undated
from qa.store.stats import CorpusStats
from qa.text.display import CLAIM_HEADERS, added_note, claim_rows, outlet_display, short_date
from qa.text.outlets import mixed_script

NOT_FOUND_TITLE = "Not found in the corpus"
_MARKER = re.compile(r"\[(\d+)\]")
_BREAKS = re.compile(r"[ \t]*(?:\r?\n[ \t]*)+")  # a paragraph break shows as one line break
_NEAREST = 3
CONTEXT = 160  # characters of the excerpt shown on each side of the cited sentence (cards sit inside the chat)
_NEAREST_CHARS = 420  # a nearest excerpt (abstention) is cut to this many characters, at a word
LOOKALIKE = (  # beside an outlet name that mixes scripts ("ТechCrunch" with a Cyrillic Т): it may pose as another
    ' <span class="qa-lookalike" title="This outlet name mixes letters of different scripts that look alike; '
    'it may not be the outlet it resembles.">⚠ look-alike name</span>'
)


def card_id(turn: int, n: int) -> str:
    """The element id of source card ``n`` of answer ``turn`` (the target of the ``[n]`` links)."""
    return f"qa-t{turn}-src-{n}"


def answer_message(answer: Answer, turn: int, *, threshold: float | None = None, filtered: bool = False) -> str:
    """The chat message: a caveat from the assistant (``notice``) first, the answer's lines with their ``[n]``
    linked to this answer's own cards, then those cards, inside the message, so an answer keeps its sources
    whatever is asked after. An abstention says why, then shows the nearest excerpts."""
    notice = getattr(answer, "notice", "")
    caveat = f'<span class="qa-notice">{markdown_text(notice)}</span>\n' if notice else ""
    if answer.abstained:
        return caveat + abstain_message(answer, turn, threshold=threshold, filtered=filtered)
    return caveat + answer_lines(answer, turn) + "\n\n" + source_cards(answer, turn)


def answer_lines(answer: Answer, turn: int) -> str:
    """Each line of the answer as literal text, its ``[n]`` markers linked to the cards of answer ``turn``."""
    numbers = {c.n for c in answer.citations}
    lines = []
    for line in answer.text.splitlines():
        parts, last = [], 0
        for match in _MARKER.finditer(line):
            n = int(match.group(1))
            if n not in numbers:
                continue
            parts.append(markdown_text(line[last : match.start()]))
            parts.append(f'<a class="qa-cite" href="#{card_id(turn, n)}">&#91;{n}&#93;</a>')
            last = match.end()
        parts.append(markdown_text(line[last:]))
        lines.append("".join(parts).strip())
    direct = bool(getattr(answer, "direct", None) and lines)
    if direct:  # the direct answer leads, in bold, with its citations
        lines[0] = f'<strong class="qa-direct">{lines[0]}</strong>'
    if getattr(answer, "claims", ()):  # the per-claim table under it, a block of its own
        table = claims_table(answer, turn)
        lines = [*lines[:1], "", table, "", *lines[1:]] if direct else [table, "", *lines]
        return "\n".join(lines).strip("\n")
    return "\n".join(line for line in lines if line)


def claims_table(answer: Answer, turn: int) -> str:
    """The per-claim table of a question about coverage as one HTML block (one line: Markdown leaves it alone):
    claim | outlet, date | verdict | the quote that decides it, its ``[n]`` linked to this answer's card."""
    sentences = {c.n: c.sentence for c in answer.citations}
    head = "".join(f'<th scope="col">{text(h)}</th>' for h in CLAIM_HEADERS)
    rows = []
    for row in claim_rows([c.to_json() for c in answer.claims], sentences):
        quote = markdown_text(row.quote)
        if row.n:
            quote = f'“{quote}” <a class="qa-cite" href="#{card_id(turn, row.n)}">&#91;{row.n}&#93;</a>'
        cells = (markdown_text(row.claim), markdown_text(row.where), markdown_text(row.judged), quote)
        rows.append(
            f'<tr class="qa-claim qa-{row.verdict.replace(" ", "-")}">'
            + "".join(f"<td>{c}</td>" for c in cells)
            + "</tr>"
        )
    return (
        f'<table class="qa-claims" aria-label="Each claim checked"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def source_cards(answer: Answer, turn: int) -> str:
    """The cards of the cited sentences as one HTML block (one line: Markdown leaves it alone)."""
    cards = "".join(citation_card(c, turn) for c in answer.citations)
    return f'<div class="qa-msg-sources" role="list" aria-label="Sources of this answer">{cards}</div>'


def abstain_reason(answer: Answer, threshold: float | None = None, filtered: bool = False) -> str:
    """Why nothing was quoted, in plain words, from the answer's evidence score and the abstention threshold."""
    if not answer.passages:
        where = " within the chosen outlets and dates" if filtered else ""
        return f"No indexed article matches this question{where}."
    if threshold is not None and answer.evidence_score < threshold:
        # floor, so a score just under the threshold never reads as reaching it ("70% ... below the 70% needed")
        got = max(0, math.floor(answer.evidence_score * 100))
        need = round(threshold * 100)
        return (
            f"The closest passages match {got}% of what the question asks; below the {need}% needed to quote an answer."
        )
    return "No sentence in the closest passages answers it."


def abstain_message(answer: Answer, turn: int, *, threshold: float | None = None, filtered: bool = False) -> str:
    reason = markdown_text(abstain_reason(answer, threshold, filtered))
    head = f'<span class="qa-abstain">{text(NOT_FOUND_TITLE)}.</span> <span class="qa-reason">{reason}</span>'
    nearest = list(answer.passages[:_NEAREST])
    if not nearest:
        return head
    cards = "".join(passage_card(p, turn, i) for i, p in enumerate(nearest, start=1))
    return (
        f"{head}\n\n"
        f'<div class="qa-msg-sources qa-abstained"><p class="qa-nearest-label">Nearest excerpts (not an answer)</p>'
        f"{cards}</div>"
    )


def partial_message(message: str, shown: int) -> str:
    """The first ``shown`` characters of a rendered message, never cutting inside a tag or an entity (streaming)."""
    cut = min(shown, len(message))
    open_tag, close_tag = message.rfind("<", 0, cut), message.rfind(">", 0, cut)
    if open_tag > close_tag:  # inside a tag: stop before it
        cut = open_tag
    amp, semi = message.rfind("&", 0, cut), message.rfind(";", 0, cut)
    if amp > semi:  # inside an entity
        cut = amp
    # an unfinished link would show its label without its target; stop before the whole <a ...>...</a>
    a_open, a_close = message.rfind("<a ", 0, cut), message.rfind("</a>", 0, cut)
    if a_open > a_close:
        cut = a_open
    return message[:cut]


def timeline_panel(answer: Answer, colours: dict[str, str]) -> str:
    """The side panel: the latest answer's retrieved articles on a timeline, coloured by outlet."""
    cited = {}
    for c in answer.citations:
        cited.setdefault(c.passage.article_id, c.n)
    timeline = render_timeline(points(list(answer.passages), cited), colours, undated(list(answer.passages)))
    question = f'<p class="qa-for">Articles retrieved for <q>{text(answer.question)}</q></p>'
    return f'<section class="qa-sources">{question}{timeline}</section>'


def citation_card(citation: Citation, turn: int) -> str:
    """Title (linked when http(s)), outlet, date, the excerpt with the cited sentence highlighted, its position."""
    p = citation.passage
    lo = max(0, min(len(p.text), citation.start - p.start))
    hi = max(lo, min(len(p.text), citation.end - p.start))
    before, after = _context_before(p.text[:lo]), _context_after(p.text[hi:])
    excerpt = f"{_inline(before)}<mark>{_inline(p.text[lo:hi])}</mark>{_inline(after)}"
    position = f"sentence at characters {citation.start + 1:,}–{citation.end:,}"
    return _card(p, card_id(turn, citation.n), f"[{citation.n}]", excerpt, position, "qa-card")


def passage_card(passage: Passage, turn: int, i: int) -> str:
    """A retrieved excerpt that is not a citation (shown when abstaining), labelled as such."""
    position = f"excerpt at characters {passage.start + 1:,}–{passage.end:,}"
    excerpt = _inline(_context_after(passage.text, _NEAREST_CHARS))
    return _card(passage, f"qa-t{turn}-near-{i}", "nearest", excerpt, position, "qa-card qa-card-nearest")


def _card(p: Passage, element_id: str, badge: str, excerpt_html: str, position: str, classes: str) -> str:
    title = link(p.url, markdown_text(p.title or "(untitled article)"))
    meta = " · ".join(
        [
            f'<span class="qa-outlet">{markdown_text(outlet_display(p.source) or "unknown outlet")}</span>'
            + (LOOKALIKE if mixed_script(p.source) else ""),
            f'<time class="qa-date">{markdown_text(short_date(p.published) or "date unknown")}</time>',
            f'<span class="qa-pos">{markdown_text(position)}</span>',
        ]
        + ([f'<span class="qa-added">{markdown_text(added_note(p.uploaded))}</span>'] if p.uploaded else [])
        + ([f'<span class="qa-also">also published by {markdown_text(", ".join(p.also))}</span>'] if p.also else [])
    )
    return (
        f'<article class="{classes}" id="{element_id}" role="listitem">'
        f'<header><span class="qa-badge">{text(badge)}</span> <span class="qa-title">{title}</span></header>'
        f'<div class="qa-meta">{meta}</div><blockquote class="qa-excerpt">{excerpt_html}</blockquote></article>'
    )


def outlet_choices(outlets: list[str]) -> list[tuple[str, str]]:
    """The Outlets filter's choices as (label, name), labelled as everywhere else ("CNBC"; the stored name when two
    would read the same); a name that mixes scripts is labelled as a look-alike, so two names that look the same can
    be told apart where they are chosen."""
    shown = Counter(outlet_display(name) for name in outlets)
    labels = [outlet_display(name) if shown[outlet_display(name)] == 1 else name for name in outlets]
    return [
        (f"{label} ⚠ look-alike name" if mixed_script(name) else label, name)
        for label, name in zip(labels, outlets, strict=True)
    ]


def _inline(value: str) -> str:
    """Article text inside a one-line HTML block: inert, its lines joined by ``<br>`` (blank ones dropped)."""
    return "<br>".join(markdown_text(line) for line in _BREAKS.sub("\n", value).split("\n"))


def corpus_summary(stats: CorpusStats) -> str:
    """One line: articles, outlets, date range, chunks (so a visitor knows what can be asked)."""
    if not stats.articles:
        return '<div class="qa-corpus qa-muted">The index is empty: run <code>qa ingest corpus/</code>.</div>'
    outlets = stats.outlets
    dates = stats.date_range
    first, last = (f'<span class="qa-date">{text(short_date(day))}</span>' for day in dates or ("", ""))
    when = f", {first} to {last}" if dates else ""
    return (
        f'<div class="qa-corpus"><strong>{stats.articles:,}</strong> articles from '
        f"<strong>{len(outlets):,}</strong> outlet{'s' if len(outlets) != 1 else ''}{when} · "
        f"{stats.chunks:,} passages indexed</div>"
    )


def error_message(exc: BaseException) -> str:
    """A failure as one chat message the user can act on: never a traceback."""
    if isinstance(exc, BadQuestionError):
        lead = "I cannot answer that question as asked"
    elif isinstance(exc, EmptyIndexError):
        lead = "There is nothing indexed yet"
    elif isinstance(exc, IndexMismatchError):
        lead = "The index does not match the settings"
    elif isinstance(exc, StoreError):
        lead = "The article index is unavailable right now"
    elif isinstance(exc, QAError):
        lead = "The question could not be answered"
    else:
        return (
            '<span class="qa-error">Something went wrong while answering.</span> '
            f"{markdown_text(f'({type(exc).__name__}; the details are in the server log.) Please try again.')}"
        )
    return f'<span class="qa-error">{text(lead)}.</span> {markdown_text(str(exc))}'


def indexing_text(files: int) -> str:
    return f"Indexing {files:,} file{'s' if files != 1 else ''}…"


def indexing_message(files: int) -> str:
    """The pending answer of a question asked while files added from the chat are being indexed."""
    line = f"{indexing_text(files)} The answer will include {'it' if files == 1 else 'them'}."
    return f'<span class="qa-pending qa-indexing" role="status">{text(line)}</span>'


def field_note(message: str, *, error: bool = True) -> str:
    """A short note shown right beside the control it is about (a date field, the question box)."""
    kind = "qa-field-error" if error else "qa-field-hint"
    role = "alert" if error else "status"
    return f'<div class="{kind}" role="{role}">{text(message)}</div>' if message else ""


def _context_before(part: str) -> str:
    """At most ``CONTEXT`` characters before the highlight, cut at a word, so the highlight is always in view."""
    if len(part) <= CONTEXT:
        return part
    cut = part[-CONTEXT:]
    return "…" + cut[cut.find(" ") + 1 :] if " " in cut else "…" + cut


def _context_after(part: str, limit: int = CONTEXT) -> str:
    if len(part) <= limit:
        return part
    cut = part[:limit]
    return (cut[: cut.rfind(" ")] if " " in cut else cut) + "…"
