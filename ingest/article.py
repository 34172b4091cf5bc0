"""The `Article` record every loader produces; what cannot be read becomes a `qa.core.types.Skip`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


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

    @property
    def content_hash(self) -> str:
        """Hash of everything that ends up in the index; a change means re-embedding."""
        parts = (self.title, self.body, self.source, self.author, self.published, self.url)
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
