"""The `Article` record every loader produces; what cannot be read becomes a `qa.core.types.Skip`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# Ids of articles added from the chat start with this; `qa ingest` refuses a record id that does, so an upload's id
# can never equal an article indexed by `qa ingest` (`QA_UPLOAD_REPLACES` aside).
UPLOAD_ID_PREFIX = "upload:"


@dataclass(frozen=True)
class Article:
    """One news article, parsed. ``body`` is the text that chunk offsets point into."""

    id: str
    title: str
    body: str
    source: str = ""  # the outlet
    author: str = ""
    published: str = ""  # ISO-8601 date or datetime, "" when unknown
    url: str = ""
    origin: str = ""  # file path the article came from
    record: str = ""  # record number or line inside that file, "" for one-article files
    uploaded: str = ""  # when it was added from the chat (ISO-8601 UTC); "" for `qa ingest` articles

    @property
    def content_hash(self) -> str:
        """Hash of everything that ends up in the index; a change means re-embedding."""
        parts = (self.title, self.body, self.source, self.author, self.published, self.url)
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
