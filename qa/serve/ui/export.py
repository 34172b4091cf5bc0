"""The conversation as a Markdown file: each question, its answer, and its sources (outlet, date, URL and the
quoted sentence), so a reader can check every quote without the app.

Everything taken from the conversation or the articles is text, never markup: ``& < >`` are HTML-escaped (no tag, no
autolink) and Markdown's link and emphasis characters backslash-escaped (no ``[x](javascript:…)``); the only links
are the ``<…>`` the export makes itself, of http(s) URLs only (`qa.serve.ui.safe.safe_url`), percent-encoded so none
can close early. An article added from the chat says so beside its source."""

from __future__ import annotations

import html
import re
import shutil
import tempfile
import time
import uuid
import weakref
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from qa.serve.ui.safe import safe_url
from qa.text.display import CLAIM_HEADERS, added_note, claim_rows, outlet_display, short_date

TOPIC = {"type": "topic"}
KEEP_SECONDS = 3600  # an export file is served for this long; older ones are deleted when a new one is written
_MARKDOWN = re.compile(r"([\\`*_\[\]])")  # what starts emphasis, code or a link; backslash-escaped
_MARKER = re.compile(r"\\\[(\d{1,3})\\\](?![(\[:])")  # an answer's own [n] marker, escaped above: kept readable
_URL_SAFE = "/:?#[]@!$&'()*+,;=%~-._"  # kept as they are in a link; anything else (<, >, ", spaces...) percent-encoded


def answer_record(answer_json: dict, reason: str = "") -> dict:
    """What the page keeps of one answer for the export (``Answer.to_json()`` plus why it abstained)."""
    return {"type": "answer", "answer": answer_json, "reason": reason}


def conversation_markdown(records: list[dict], corpus_line: str = "", now: datetime | None = None) -> str:
    """The whole conversation, oldest first, as Markdown."""
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# News QA conversation", "", f"Exported {stamp}." + (f" {corpus_line}" if corpus_line else ""), ""]
    number = 0
    for record in records:
        if record.get("type") == "topic":
            lines += ["---", "", "*New topic: the questions below were read without the ones above.*", ""]
            continue
        number += 1
        lines += _answer_lines(number, record["answer"], record.get("reason", ""))
    return "\n".join(lines).rstrip() + "\n"


def _answer_lines(number: int, answer: dict, reason: str) -> list[str]:
    lines = [f"## {number}. {_inert(answer['question'])}", ""]
    if answer.get("notice"):
        lines += [f"*{_inert(answer['notice'])}*", ""]
    if answer["abstained"]:
        lines += [f"**Not found in the corpus.** {_inert(reason)}".rstrip(), ""]
        nearest = answer.get("passages", [])[:3]
        if nearest:
            lines += ["Nearest excerpts (not an answer):", ""]
            lines += [f"- {_source_line(p)}" for p in nearest]
            lines.append("")
        return lines
    answer_lines = [_MARKER.sub(r"[\1]", _inert(line)) for line in answer["answer"].splitlines()]
    if answer.get("claims"):  # the per-claim table under the direct answer (or first, when there is none)
        lead = 1 if answer.get("direct") else 0
        answer_lines[lead:lead] = ["", *_claims_table(answer), ""]
    lines += answer_lines
    lines += ["", "Sources:", ""]
    for c in answer["citations"]:
        lines.append(f"{c['n']}. {_source_line(c)}")
        lines += [f"   > {_inert(part)}" for part in c["sentence"].splitlines() or [""]]
    lines.append("")
    return lines


def _claims_table(answer: dict) -> list[str]:
    """The per-claim table as a Markdown table; each cell inert, its ``|`` escaped so no cell splits."""
    sentences = {c["n"]: c["sentence"] for c in answer["citations"]}
    lines = ["| " + " | ".join(CLAIM_HEADERS) + " |", "|" + "---|" * len(CLAIM_HEADERS)]
    for row in claim_rows(answer["claims"], sentences):
        quote = f"“{_inert(row.quote)}” [{row.n}]" if row.n else _inert(row.quote)
        cells = (_inert(row.claim), _inert(row.where), _inert(row.judged), quote)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return lines


def _source_line(source: dict) -> str:
    """``**Title** — Outlet, Mar 3, 2024 — <https://…>`` (+ where it came from when added from the chat)."""
    title = _inert(source.get("title")) or "(untitled article)"
    line = f"**{title}** — {_inert(outlet_display(source.get('source') or '')) or 'unknown outlet'}, "
    line += _inert(short_date(str(source.get("published_at") or ""))) or "date unknown"
    url = source.get("url") or ""
    href = safe_url(url)
    if href:
        line += f" — <{quote(href, safe=_URL_SAFE)}>"
    elif url:
        line += f" — {_inert(url)} (not an http(s) link)"
    line += f" — also published by {_inert(', '.join(source['also']))}" if source.get("also") else ""
    return line + (f" — *{added_note(source['uploaded'])}*" if source.get("uploaded") else "")


def _inert(value: object) -> str:
    """Text on one line that Markdown shows as it is: no HTML, no link, no emphasis."""
    one_line = " ".join(str(value or "").split())
    return _MARKDOWN.sub(r"\\\1", html.escape(one_line, quote=False))


class Exports:
    """Writes export files into a private temporary folder, removed when the app goes away."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="qa-export-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.folder), True)

    def write(self, markdown: str) -> Path:
        """A new file (its own sub-folder, so the download keeps a readable name); old ones are pruned."""
        self._prune()
        sub = self.folder / uuid.uuid4().hex
        sub.mkdir()
        path = sub / f"news-qa-conversation-{datetime.now(UTC):%Y-%m-%d-%H%M}.md"
        path.write_text(markdown, encoding="utf-8")
        return path

    def _prune(self) -> None:
        limit = time.time() - KEEP_SECONDS
        for sub in self.folder.iterdir():
            try:
                if sub.stat().st_mtime < limit:
                    shutil.rmtree(sub, ignore_errors=True)
            except OSError:
                continue

    def close(self) -> None:
        self._cleanup()
