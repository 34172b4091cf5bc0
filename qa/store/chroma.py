"""The Chroma store: chunk vectors, the article manifest and the corpus version.

With `qa.store.connect`, the only place that talks to chromadb. Keeping the manifest in Chroma makes
embedded and server mode behave the same: every client sharing a server shares one manifest."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from qa.core.settings import Settings
from qa.core.types import Passage
from qa.store.config import mismatch
from qa.store.connect import map_errors, missing_collection, open_client
from qa.store.schema import (
    CONFIG_ID,
    RESERVED_IDS,
    VERSION_ID,
    ChunkRecord,
    ManifestEntry,
    chunk_metadata,
    entry_from_metadata,
    entry_metadata,
    passage_from_record,
)

_PAGE = 5000  # records per read or delete call: bounded memory per call, few round trips
_NO_VECTOR = [0.0]  # manifest records carry no meaning in their vector
T = TypeVar("T")


class Store:
    """One corpus in Chroma (embedded under the data dir, or on a server)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.location = settings.chroma_url or str(settings.chroma_dir.resolve())
        self._client = open_client(settings)
        self._open_collections()

    def _open_collections(self) -> None:
        with self._errors("opening the collections"):
            self._chunks = self._client.get_or_create_collection(
                self.settings.collection,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},  # never queried: readers search the arrays exactly
            )
            self._articles = self._client.get_or_create_collection(
                f"{self.settings.collection}-articles", embedding_function=None
            )

    # ---- index configuration and version ----------------------------------------------------

    def stored_config(self) -> dict[str, Any] | None:
        """The configuration the index was built with (`qa.store.config`); None before the first ingest."""
        found = self._call(
            "reading the index configuration", lambda: self._articles.get(ids=[CONFIG_ID], include=["metadatas"])
        )
        return json.loads(found["metadatas"][0]["config"]) if found["ids"] else None

    def check_config(self, config: dict[str, Any], *, adopt: bool) -> None:
        """Refuse an index built with another model/backend/chunking; record ``config`` when ``adopt``."""
        stored = self.stored_config()
        if stored is not None and stored != config and self.chunk_count() > 0:
            raise mismatch(self.location, stored, config)
        if adopt and stored != config:
            self._call(
                "writing the index configuration",
                lambda: self._articles.upsert(
                    ids=[CONFIG_ID], embeddings=[_NO_VECTOR], metadatas=[{"config": json.dumps(config)}]
                ),
            )

    def version(self) -> int:
        """The corpus version; bumped by every ingest that changes anything, never reused (not even by a reset)."""
        found = self._call(
            "reading the corpus version", lambda: self._articles.get(ids=[VERSION_ID], include=["metadatas"])
        )
        return int(found["metadatas"][0]["version"]) if found["ids"] else 0

    def bump_version(self) -> int:
        version = self.version() + 1
        self._write_version(version)
        return version

    def _write_version(self, version: int) -> None:
        self._call(
            "writing the corpus version",
            lambda: self._articles.upsert(ids=[VERSION_ID], embeddings=[_NO_VECTOR], metadatas=[{"version": version}]),
        )

    # ---- manifest -------------------------------------------------------------------------------

    def manifest(self) -> dict[str, ManifestEntry]:
        """Every article the store knows, by id."""
        entries: dict[str, ManifestEntry] = {}
        for ids, metadatas in self._pages("_articles", ["metadatas"], "reading the manifest"):
            for article_id, meta in zip(ids, metadatas, strict=True):
                if article_id not in RESERVED_IDS:
                    entries[article_id] = entry_from_metadata(article_id, meta)
        return entries

    def mark(self, entries: Sequence[ManifestEntry]) -> None:
        """Write manifest entries (state pending or done) in one call."""
        for batch in _batched(list(entries), _PAGE):
            self._call(
                "writing the manifest",
                lambda batch=batch: self._articles.upsert(
                    ids=[e.article_id for e in batch],
                    embeddings=[_NO_VECTOR] * len(batch),
                    metadatas=[entry_metadata(e) for e in batch],
                ),
            )

    def forget(self, article_ids: Sequence[str]) -> None:
        """Remove manifest entries (after their chunks are gone)."""
        for batch in _batched(list(article_ids), _PAGE):
            self._call("writing the manifest", lambda batch=batch: self._articles.delete(ids=batch))

    # ---- chunks ---------------------------------------------------------------------------------

    def upsert_chunks(self, records: Sequence[ChunkRecord]) -> None:
        for batch in _batched(list(records), self._max_batch()):
            self._call(
                "writing chunks",
                lambda batch=batch: self._chunks.upsert(
                    ids=[r.id for r in batch],
                    embeddings=[list(r.embedding) for r in batch],
                    documents=[r.text for r in batch],
                    metadatas=[chunk_metadata(r) for r in batch],
                ),
            )

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        for batch in _batched(list(chunk_ids), _PAGE):
            self._call("deleting chunks", lambda batch=batch: self._chunks.delete(ids=batch))

    def chunk_count(self) -> int:
        return self._call("counting chunks", lambda: self._chunks.count())

    def chunk_ids(self) -> set[str]:
        return {i for ids, _ in self._pages("_chunks", [], "listing chunks") for i in ids}

    def iter_passages(self) -> Iterator[Passage]:
        """Every chunk as a `Passage` (for building the BM25 side and statistics)."""
        for ids, (documents, metadatas) in self._pages("_chunks", ["documents", "metadatas"], "reading chunks"):
            for chunk_id, text, meta in zip(ids, documents, metadatas, strict=True):
                yield passage_from_record(chunk_id, text, meta, 0.0)

    def get_passages(self, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        found = self._call(
            "reading chunks", lambda: self._chunks.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        )
        return {
            i: passage_from_record(i, d, m, 0.0)
            for i, d, m in zip(found["ids"], found["documents"], found["metadatas"], strict=True)
        }

    def get_chunks(self, chunk_ids: Sequence[str]) -> dict[str, tuple[Passage, list[float]]]:
        """Passages and vectors of ``chunk_ids`` in one read per page (what the search arrays are built from)."""
        chunks: dict[str, tuple[Passage, list[float]]] = {}
        for batch in _batched(list(chunk_ids), _PAGE):
            found = self._call(
                "reading chunks",
                lambda batch=batch: self._chunks.get(ids=batch, include=["documents", "metadatas", "embeddings"]),
            )
            columns = (found["ids"], found["documents"], found["metadatas"], found["embeddings"])
            for i, d, m, v in zip(*columns, strict=True):
                chunks[i] = (passage_from_record(i, d, m, 0.0), v)
        return chunks

    def reset(self) -> None:
        """Drop both collections (``--rebuild``) and create them again, empty, one corpus version on.

        The version carries over so that no client can mistake the rebuilt corpus for an older
        one with the same number (their BM25 caches are keyed by it)."""
        previous = self.version()
        with self._errors("dropping the collections"):
            for name in (self.settings.collection, f"{self.settings.collection}-articles"):
                try:
                    self._client.delete_collection(name)
                except Exception as exc:  # noqa: BLE001 - absent collection is fine
                    if not missing_collection(exc):
                        raise
        self._open_collections()
        self._write_version(previous + 1)

    def close(self) -> None:
        """Release the client (an embedded one holds SQLite handles and in-memory vectors); idempotent."""
        client, self._client = self._client, None
        close = getattr(client, "close", None)
        if close is not None:
            with map_errors("closing the store"):
                close()

    # ---- helpers --------------------------------------------------------------------------------

    def _errors(self, action: str):
        return map_errors(action, self.settings.chroma_url)

    def _call(self, action: str, call: Callable[[], T]) -> T:
        """Run one Chroma call; when another client has dropped and re-created the collections
        (`qa ingest --rebuild`), our handles point at the old ones: reopen them by name and retry once."""
        with self._errors(action):
            try:
                return call()
            except Exception as exc:
                if not missing_collection(exc):
                    raise
            self._open_collections()
            return call()

    def _max_batch(self) -> int:
        try:
            return max(1, min(self._client.get_max_batch_size(), 5000))
        except Exception:  # noqa: BLE001 - older servers do not say
            return 1000

    def _pages(self, which: str, include: list[str], action: str) -> Iterator[tuple[list[str], Any]]:
        """Read a whole collection (``_chunks`` or ``_articles``) a page at a time."""
        offset = 0
        while True:
            found = self._call(
                action, lambda offset=offset: getattr(self, which).get(include=include, limit=_PAGE, offset=offset)
            )
            ids = found["ids"]
            if not ids:
                return
            if not include:
                yield ids, None
            elif len(include) == 1:
                yield ids, found[include[0]]
            else:
                yield ids, tuple(found[key] for key in include)
            if len(ids) < _PAGE:
                return
            offset += len(ids)


def _batched(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
