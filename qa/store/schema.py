"""What Chroma records hold: the chunk metadata schema and the manifest entries.

Two collections per corpus: ``<name>`` holds one record per chunk (vector, text, article metadata);
``<name>-articles`` holds one record per article (content hash, state, chunk ids) plus two reserved
records, the index configuration and the corpus version. Nothing here talks to Chroma."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from qa.core.types import Passage
from qa.text.dates import day_number

CONFIG_ID = "__index_config__"
VERSION_ID = "__corpus_version__"
RESERVED_IDS = (CONFIG_ID, VERSION_ID)


class EntryState(StrEnum):
    """Where an article's chunks are in a crash-safe write."""

    PENDING = "pending"  # being written (or removed): undone by the next run if this one is killed
    DONE = "done"  # all written


@dataclass(frozen=True)
class ManifestEntry:
    """What the store knows of one article: its content hash, chunk ids and whether they are all written."""

    article_id: str
    content_hash: str
    state: EntryState
    chunk_ids: tuple[str, ...]
    origin: str
    source: str = ""
    published: str = ""
    stale_ids: tuple[str, ...] = ()  # ids of an older version to remove if a write is interrupted


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk ready to be written: its vector, its text (``body[start:end]``) and its article's fields."""

    id: str
    text: str
    embedding: Sequence[float]
    article_id: str
    chunk_index: int
    start: int
    end: int
    tokens: int
    title: str = ""
    source: str = ""
    author: str = ""
    url: str = ""
    published: str = ""
    uploaded: str = ""  # when the article was added from the chat; "" for `qa ingest` articles


def chunk_metadata(record: ChunkRecord) -> dict[str, Any]:
    """The metadata stored beside a chunk (``published_day``: the day as a number, for other Chroma clients'
    ``where`` filters; our readers filter on the search arrays)."""
    return {
        "article_id": record.article_id,
        "chunk_index": record.chunk_index,
        "start": record.start,
        "end": record.end,
        "tokens": record.tokens,
        "title": record.title,
        "source": record.source,
        "author": record.author,
        "url": record.url,
        "published": record.published,
        "published_day": day_number(record.published),
        "uploaded": record.uploaded,
    }


def record_passage(record: ChunkRecord) -> Passage:
    """The passage the store gives back for ``record`` once it is written (without reading it back)."""
    return passage_from_record(record.id, record.text, chunk_metadata(record), 0.0)


def passage_from_record(chunk_id: str, text: str, meta: dict[str, Any], score: float) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        article_id=str(meta.get("article_id", "")),
        text=text or "",
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        url=str(meta.get("url", "")),
        published=str(meta.get("published", "")),
        author=str(meta.get("author", "")),
        chunk_index=int(meta.get("chunk_index", 0)),
        score=float(score),
        uploaded=str(meta.get("uploaded", "")),  # absent from indexes written before uploads carried it
    )


def entry_metadata(entry: ManifestEntry) -> dict[str, Any]:
    return {
        "content_hash": entry.content_hash,
        "state": str(entry.state),  # the plain value: Chroma stores str, not subclasses
        "chunk_ids": json.dumps(list(entry.chunk_ids)),
        "stale_ids": json.dumps(list(entry.stale_ids)),
        "origin": entry.origin,
        "source": entry.source,
        "published": entry.published,
    }


def entry_from_metadata(article_id: str, meta: dict[str, Any]) -> ManifestEntry:
    return ManifestEntry(
        article_id=article_id,
        content_hash=str(meta.get("content_hash", "")),
        state=EntryState(meta.get("state", EntryState.PENDING)),
        chunk_ids=tuple(json.loads(meta.get("chunk_ids") or "[]")),
        origin=str(meta.get("origin", "")),
        source=str(meta.get("source", "")),
        published=str(meta.get("published", "")),
        stale_ids=tuple(json.loads(meta.get("stale_ids") or "[]")),
    )
