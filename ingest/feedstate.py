"""What ``qa ingest`` remembers of each feed between runs, in one JSON file of the data dir
(`qa.core.settings.Settings.feed_state_file`): the validators its server sent (ETag / Last-Modified, sent back so
an unchanged feed costs one 304) and, for each entry read, the id of the article it became and the entry's date
stamp. An entry with the same stamp whose article is in the index is not fetched again.

The file is written crash-safely (a temporary file, flushed, then renamed over the old one) and only after a run
has written its articles (`ingest.index`): a run stopped earlier leaves the previous state, so the next run asks
for the feed unconditionally and reads the entries it missed. An unreadable state file costs only that too."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ingest.web import Validators

STATE_VERSION = 1  # bumped when the layout changes; a file of another version is ignored (feeds asked afresh)


@dataclass(frozen=True)
class Remembered:
    """One entry read from a feed: the article it became, and the entry's date stamp as the feed gave it."""

    article_id: str
    stamp: str = ""


@dataclass
class FeedBook:
    """The remembered feeds of one collection (by the address or file path they were named by), and which
    article ids its index holds (the manifest: an entry is "already indexed" only if its article still is)."""

    path: Path | None = None  # None: nothing is written (a run without a data dir, e.g. tests of the loader)
    indexed: frozenset[str] = frozenset()
    feeds: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path, indexed: frozenset[str]) -> FeedBook:
        """The state at ``path``; an empty one when there is none or it cannot be read."""
        feeds: dict[str, dict] = {}
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("version") == STATE_VERSION and isinstance(data.get("feeds"), dict):
                feeds = {k: v for k, v in data["feeds"].items() if isinstance(v, dict)}
        return cls(path, indexed, feeds)

    def validators(self, feed: str) -> Validators | None:
        """What to send back when asking for ``feed`` again; None for a feed never read whole, or one whose
        articles are no longer all indexed (an interrupted run undone, an index rebuilt): a 304 would not bring
        them back."""
        record = self.feeds.get(feed, {})
        entries = record.get("entries")
        if not isinstance(entries, dict) or any(
            not isinstance(e, dict) or e.get("id") not in self.indexed for e in entries.values()
        ):
            return None
        said = Validators(str(record.get("etag", "")), str(record.get("last_modified", "")))
        return said if said.headers() else None

    def known(self, feed: str, link: str, stamp: str) -> Remembered | None:
        """The entry ``link`` of ``feed`` when it need not be fetched again: read before with the same ``stamp``
        and its article still indexed, or its page indexed already under its own address."""
        entry = self.feeds.get(feed, {}).get("entries", {}).get(link)
        if isinstance(entry, dict) and entry.get("stamp", "") == stamp and entry.get("id") in self.indexed:
            return Remembered(entry["id"], stamp)
        if f"url:{link}" in self.indexed:
            return Remembered(f"url:{link}", stamp)
        return None

    def remember(self, feed: str, validators: Validators | None, entries: dict[str, Remembered]) -> None:
        """The new record of ``feed`` after reading it whole: its validators and the entries read (those of
        earlier versions of the feed are dropped; an entry that failed is left out, to be tried again)."""
        said = validators or Validators()
        self.feeds[feed] = {
            "etag": said.etag,
            "last_modified": said.last_modified,
            "entries": {link: {"id": e.article_id, "stamp": e.stamp} for link, e in entries.items()},
        }

    def save(self) -> None:
        """Write the state: to a temporary file beside it, flushed to disk, then renamed over the old file."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"version": STATE_VERSION, "feeds": self.feeds}, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
