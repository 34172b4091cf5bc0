"""The conversation as a Markdown file: each question, its answer, and its sources (outlet, date, URL and the
quoted sentence), so a reader can check every quote without the app."""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
import weakref
from datetime import UTC, datetime
from pathlib import Path

TOPIC = {"type": "topic"}
KEEP_SECONDS = 3600  # an export file is served for this long; older ones are deleted when a new one is written


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
    lines = [f"## {number}. {_one_line(answer['question'])}", ""]
    if answer.get("notice"):
        lines += [f"*{_one_line(answer['notice'])}*", ""]
    if answer["abstained"]:
        lines += [f"**Not found in the corpus.** {reason}".rstrip(), ""]
        nearest = answer.get("passages", [])[:3]
        if nearest:
            lines += ["Nearest excerpts (not an answer):", ""]
            for p in nearest:
                lines += [f"- {_source_line(p['title'], p['source'], p['published_at'], p['url'])}"]
            lines.append("")
        return lines
    lines += [*answer["answer"].splitlines(), "", "Sources:", ""]
    for c in answer["citations"]:
        lines.append(f"{c['n']}. {_source_line(c['title'], c['source'], c['published_at'], c['url'])}")
        lines += [f"   > {part}" for part in c["sentence"].splitlines() or [""]]
    lines.append("")
    return lines


def _source_line(title: str, outlet: str, published: str, url: str) -> str:
    parts = [f"**{_one_line(title) or '(untitled article)'}**", _one_line(outlet) or "unknown outlet"]
    parts.append(published[:10] or "date unknown")
    line = " — ".join(parts[:2]) + f", {parts[2]}"
    return line + (f" — <{url}>" if url else "")


def _one_line(value: str) -> str:
    return " ".join(str(value or "").split())


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
