"""An `Answer` as chat HTML and source cards; the corpus summary; errors as chat messages. Pure functions."""

from __future__ import annotations

import re

from qa.core.errors import BadQuestionError, EmptyIndexError, IndexMismatchError, QAError, StoreError
from qa.core.types import Answer, Citation, Passage
from qa.serve.ui.safe import link, markdown_text, text
from qa.serve.ui.timeline import points, render_timeline, undated
from qa.text.display import outlet_display

NOT_FOUND_TITLE = "Not found in the corpus"
_MARKER = re.compile(r"\[(\d+)\]")
_NEAREST = 3
CONTEXT = 240  # characters of the excerpt shown on each side of the cited sentence


def card_id(turn: int, n: int) -> str:
    """The element id of source card ``n`` of answer ``turn`` (the target of the ``[n]`` links)."""
    return f"qa-t{turn}-src-{n}"


def answer_message(answer: Answer, turn: int) -> str:
    """The chat message: each line of the answer as literal text, its ``[n]`` markers linked to the source cards;
    a caveat from the assistant (``notice``) first."""
    notice = getattr(answer, "notice", "")
    caveat = f'<span class="qa-notice">{markdown_text(notice)}</span>\n' if notice else ""
    if answer.abstained:
        detail = markdown_text(_abstain_detail(answer))
        return f'{caveat}<span class="qa-abstain">{text(NOT_FOUND_TITLE)}.</span> {detail}'
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
    if getattr(answer, "direct", None) and lines:  # the direct answer leads, in bold, with its citations
        lines[0] = f'<strong class="qa-direct">{lines[0]}</strong>'
    return caveat + "\n".join(line for line in lines if line)


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


def sources_html(answer: Answer, turn: int, colours: dict[str, str]) -> str:
    """Source cards for the cited sentences (or the nearest excerpts when abstaining), then the timeline."""
    cited = {}
    for c in answer.citations:
        cited.setdefault(c.passage.article_id, c.n)
    timeline = render_timeline(points(list(answer.passages), cited), colours, undated(list(answer.passages)))
    question = f'<p class="qa-for">Sources for <q>{text(answer.question)}</q></p>'
    if answer.abstained:
        nearest = list(answer.passages[:_NEAREST])
        head = (
            f'<div class="qa-notfound"><strong>{text(NOT_FOUND_TITLE)}</strong>'
            f"<span>No indexed article answers this question with enough support.</span></div>"
        )
        if not nearest:
            return f'<section class="qa-sources">{question}{head}</section>'
        cards = "".join(passage_card(p, turn, i) for i, p in enumerate(nearest, start=1))
        return (
            f'<section class="qa-sources qa-abstained">{question}{head}'
            f'<h4 class="qa-nearest-label">Nearest excerpts (not an answer)</h4>{cards}{timeline}</section>'
        )
    cards = "".join(citation_card(c, turn) for c in answer.citations)
    return f'<section class="qa-sources">{question}{cards}{timeline}</section>'


def citation_card(citation: Citation, turn: int) -> str:
    """Title (linked when http(s)), outlet, date, the excerpt with the cited sentence highlighted, its position."""
    p = citation.passage
    lo = max(0, min(len(p.text), citation.start - p.start))
    hi = max(lo, min(len(p.text), citation.end - p.start))
    before, after = _context_before(p.text[:lo]), _context_after(p.text[hi:])
    excerpt = f"{text(before)}<mark>{text(p.text[lo:hi])}</mark>{text(after)}"
    position = f"sentence at characters {citation.start + 1:,}–{citation.end:,}"
    return _card(p, card_id(turn, citation.n), f"[{citation.n}]", excerpt, position, "qa-card")


def passage_card(passage: Passage, turn: int, i: int) -> str:
    """A retrieved excerpt that is not a citation (shown when abstaining), labelled as such."""
    position = f"excerpt at characters {passage.start + 1:,}–{passage.end:,}"
    return _card(passage, f"qa-t{turn}-near-{i}", "nearest", text(passage.text), position, "qa-card qa-card-nearest")


def _card(p: Passage, element_id: str, badge: str, excerpt_html: str, position: str, classes: str) -> str:
    title = link(p.url, text(p.title or "(untitled article)"))
    meta = " · ".join(
        [
            f'<span class="qa-outlet">{text(outlet_display(p.source) or "unknown outlet")}</span>',
            f"<time>{text(p.published[:10] or 'date unknown')}</time>",
            f'<span class="qa-pos">{text(position)}</span>',
        ]
    )
    return (
        f'<article class="{classes}" id="{element_id}">'
        f'<header><span class="qa-badge">{text(badge)}</span> <span class="qa-title">{title}</span></header>'
        f'<div class="qa-meta">{meta}</div><blockquote class="qa-excerpt">{excerpt_html}</blockquote></article>'
    )


def corpus_summary(stats: dict) -> str:
    """One line: articles, outlets, date range, chunks (so a visitor knows what can be asked)."""
    if not stats.get("articles"):
        return '<div class="qa-corpus qa-muted">The index is empty: run <code>qa ingest corpus/</code>.</div>'
    outlets = stats.get("outlets") or {}
    dates = stats.get("date_range")
    when = f", {text(dates[0])} to {text(dates[1])}" if dates else ""
    return (
        f'<div class="qa-corpus"><strong>{stats["articles"]:,}</strong> articles from '
        f"<strong>{len(outlets):,}</strong> outlet{'s' if len(outlets) != 1 else ''}{when} · "
        f"{int(stats.get('chunks', 0)):,} passages indexed</div>"
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


def _context_before(part: str) -> str:
    """At most ``CONTEXT`` characters before the highlight, cut at a word, so the highlight is always in view."""
    if len(part) <= CONTEXT:
        return part
    cut = part[-CONTEXT:]
    return "…" + cut[cut.find(" ") + 1 :] if " " in cut else "…" + cut


def _context_after(part: str) -> str:
    if len(part) <= CONTEXT:
        return part
    cut = part[:CONTEXT]
    return (cut[: cut.rfind(" ")] if " " in cut else cut) + "…"


def _abstain_detail(answer: Answer) -> str:
    if answer.passages:
        return "No indexed article answers this with enough support; the nearest excerpts are shown beside the chat."
    return "No indexed article matches this question."
