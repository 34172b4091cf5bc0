"""The terminal's conversation: `qa ask` and `qa chat` keep the current conversation's turns in the data dir, so
``qa ask -c`` continues it (as ``llm -c`` does) and a plain ``qa ask`` starts a new one.

The log is ``<data dir>/conversation.jsonl``: one ``{"role", "content"}`` turn a line, oldest first — the format
``--history`` takes (``jq -s . .qa/conversation.jsonl > turns.json``). It holds one conversation, cut to the turns
a question may carry (QA_MAX_HISTORY_TURNS, QA_MAX_HISTORY_CHARS), so it stays small; it is rewritten whole
through a temporary file and a rename, so a reader never sees half of it, and is readable by its owner alone
(questions are private). Saving never fails an answer: a data dir that cannot be written is warned about once."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qa.core.errors import QAError
from qa.core.settings import Settings
from qa.core.types import Answer
from qa.search.validate import check_history, max_request_chars, recent_history

LOG_NAME = "conversation.jsonl"


def exchange(answer: Answer) -> list[dict]:
    """The two turns one answer adds: the question as asked, the answer's text (as the web chat keeps them)."""
    return [{"role": "user", "content": answer.question}, {"role": "assistant", "content": answer.text}]


@dataclass
class ConversationLog:
    """The log of one data dir; ``warn`` shows a one-line problem (each kind at most once per process)."""

    settings: Settings
    warn: Callable[[str], None]
    _warned: set[str] = field(default_factory=set)

    @property
    def path(self) -> Path:
        return self.settings.data_dir / LOG_NAME

    def turns(self) -> list[dict]:
        """The last conversation's turns (the latest within the history limits); none when there is no log, or
        a warning and none when it cannot be read."""
        try:
            size = self.path.stat().st_size
            if size > max_request_chars(self.settings):
                raise ValueError(f"{size:,} bytes, more than any history holds")
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                turns = [json.loads(line) for line in handle if line.strip()]
            return check_history(recent_history(turns, settings=self.settings), settings=self.settings)
        except FileNotFoundError:
            return []
        except (OSError, ValueError, RecursionError, QAError) as exc:
            self._warn_once("read", f"Cannot read the last conversation in {self.path} ({exc}); starting a new one.")
            return []

    def save(self, turns: list[dict]) -> None:
        """Make ``turns`` (cut to the history limits) the log's conversation; ``[]`` starts a new one."""
        kept = recent_history(turns, settings=self.settings)
        lines = (json.dumps({"role": t["role"], "content": t["content"]}, ensure_ascii=False) for t in kept)
        text = "".join(line + "\n" for line in lines)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".conversation-", dir=self.path.parent)  # mode 0600
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as exc:
            self._warn_once(
                "write",
                f"Cannot save the conversation in {self.path} ({exc.strerror or exc}); `qa ask -c` will not "
                "continue it.",
            )

    def _warn_once(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            self.warn(message)
