"""The Chroma store: chunk vectors, the article manifest and the corpus version. The only module that imports chromadb.

Two collections per corpus: ``<name>`` holds one record per chunk (vector, text, article metadata);
``<name>-articles`` holds one record per article (content hash, state, chunk ids) plus two reserved
records, the index configuration and the corpus version. Keeping the manifest in Chroma makes
embedded and server mode behave the same: every client sharing a server shares one manifest.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlparse

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from qa.errors import IndexMismatchError, QAError, StoreError  # noqa: E402
from qa.passage import Passage  # noqa: E402
from qa.settings import Settings  # noqa: E402

CONFIG_ID = "__index_config__"
VERSION_ID = "__corpus_version__"
RESERVED_IDS = (CONFIG_ID, VERSION_ID)
_PAGE = 5000
_NO_VECTOR = [0.0]  # manifest records carry no meaning in their vector
_CONNECT_SECONDS = 5.0  # a server that does not answer a heartbeat in this time is down
_REFUSED = re.compile(r"\b(401|403)\b|unauthori[sz]ed|forbidden|permission denied", re.IGNORECASE)
T = TypeVar("T")


@dataclass(frozen=True)
class ManifestEntry:
    """What the store knows of one article: its content hash, chunk ids and whether they are all written."""

    article_id: str
    content_hash: str
    state: str  # "pending" while its chunks are being written, "done" after
    chunk_ids: tuple[str, ...]
    origin: str
    source: str = ""
    published: str = ""
    stale_ids: tuple[str, ...] = ()  # ids of an older version to remove if a write is interrupted


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk ready to be written: its vector, text and metadata."""

    id: str
    text: str
    embedding: Sequence[float]
    metadata: dict[str, Any]


@contextmanager
def _map_errors(action: str, server: str | None = None) -> Iterator[None]:
    """Turn chromadb / network exceptions into one plain `StoreError` sentence (our own errors pass)."""
    try:
        yield
    except QAError:
        raise
    except Exception as exc:
        raise StoreError(_describe(exc, action, server)) from exc


def _describe(exc: BaseException, action: str, server: str | None) -> str:
    """One sentence saying what failed and what to do: unreachable server, refused token, or Chroma's reason."""
    reason = _one_line(exc)
    if server and _unreachable(exc):
        return (
            f"Cannot reach the Chroma server at {server} while {action} ({reason}); "
            "start it (`chroma run`) or fix QA_CHROMA_URL, then re-run."
        )
    if server and _refused(exc):
        return f"The Chroma server at {server} refused access while {action} ({reason}); check QA_CHROMA_TOKEN."
    return f"Chroma store failed while {action}: {reason}"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _unreachable(exc: BaseException) -> bool:
    import httpx

    return any(isinstance(e, httpx.TransportError | ConnectionError | TimeoutError) for e in _causes(exc))


def _refused(exc: BaseException) -> bool:
    from chromadb.errors import AuthorizationError, ChromaAuthError

    return any(isinstance(e, AuthorizationError | ChromaAuthError) or _REFUSED.search(str(e)) for e in _causes(exc))


def _missing_collection(exc: BaseException) -> bool:
    """Whether ``exc`` says our collection handle points at a collection that was dropped (another `--rebuild`)."""
    text = str(exc).lower()
    return "does not exist" in text or "not found" in text or type(exc).__name__ == "NotFoundError"


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    if text.endswith("Underlying error:") and len(lines) > 1:  # chromadb's wrapper puts the cause on line 2
        text = f"{text} {lines[1]}"
    return text[:300]


class Store:
    """One corpus in Chroma (embedded under the data dir, or on a server)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.location = settings.chroma_url or str(settings.chroma_dir.resolve())
        self._client = _open_client(settings)
        self._open_collections()

    def _open_collections(self) -> None:
        with self._errors("opening the collections"):
            self._chunks = self._client.get_or_create_collection(
                self.settings.collection,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine", "ef_search": 200}},
            )
            self._articles = self._client.get_or_create_collection(
                f"{self.settings.collection}-articles", embedding_function=None
            )

    # ---- index configuration and version ----------------------------------------------------

    def check_config(self, config: dict[str, Any], *, adopt: bool) -> None:
        """Refuse an index built with another model/backend/chunking; record ``config`` when ``adopt``."""
        found = self._call(
            "reading the index configuration", lambda: self._articles.get(ids=[CONFIG_ID], include=["metadatas"])
        )
        stored = json.loads(found["metadatas"][0]["config"]) if found["ids"] else None
        if stored is not None and stored != config and self.chunk_count() > 0:
            differences = ", ".join(
                f"{key}: index has {stored.get(key)!r}, settings say {config.get(key)!r}"
                for key in sorted(set(stored) | set(config))
                if stored.get(key) != config.get(key)
            )
            raise IndexMismatchError(
                f"The index in {self.location} was built differently ({differences}). "
                "Run `qa ingest --rebuild ...` to rebuild it, or change the settings back."
            )
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
                    entries[article_id] = _entry_from_metadata(article_id, meta)
        return entries

    def mark(self, entries: Sequence[ManifestEntry]) -> None:
        """Write manifest entries (state pending or done) in one call."""
        for batch in _batched(list(entries), _PAGE):
            self._call(
                "writing the manifest",
                lambda batch=batch: self._articles.upsert(
                    ids=[e.article_id for e in batch],
                    embeddings=[_NO_VECTOR] * len(batch),
                    metadatas=[_entry_metadata(e) for e in batch],
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
                    metadatas=[r.metadata for r in batch],
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

    def get_embeddings(self, chunk_ids: Sequence[str]) -> dict[str, list[float]]:
        """Stored vectors of ``chunk_ids`` (hybrid search scores BM25's finds by cosine too)."""
        vectors: dict[str, list[float]] = {}
        for batch in _batched(list(chunk_ids), _PAGE):
            found = self._call(
                "reading vectors", lambda batch=batch: self._chunks.get(ids=batch, include=["embeddings"])
            )
            vectors.update({i: list(v) for i, v in zip(found["ids"], found["embeddings"], strict=True)})
        return vectors

    def query_ids(self, embedding: Sequence[float], n: int, where: dict | None = None) -> list[str]:
        """Ids of the nearest chunks, nothing else: for callers that hold the passages already
        (5x faster than `query` embedded at 100k chunks, and far less to send from a server)."""
        found = self._call(
            "searching",
            lambda: self._chunks.query(
                query_embeddings=[list(embedding)], n_results=n, where=where or None, include=["distances"]
            ),
        )
        return list(found["ids"][0])

    def query(self, embedding: Sequence[float], n: int, where: dict | None = None) -> list[Passage]:
        """Nearest chunks to ``embedding``; ``score`` is the cosine similarity.

        Chroma returns fewer than ``n`` when the collection holds fewer, so no count first: a count
        scans the collection (15 ms at 100k chunks, more through a server)."""
        found = self._call(
            "searching",
            lambda: self._chunks.query(
                query_embeddings=[list(embedding)],
                n_results=n,
                where=where or None,
                include=["documents", "metadatas", "distances"],
            ),
        )
        return [
            passage_from_record(i, d, m, 1.0 - dist)
            for i, d, m, dist in zip(
                found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True
            )
        ]

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
                    if not _missing_collection(exc):
                        raise
        self._open_collections()
        self._write_version(previous + 1)

    # ---- helpers --------------------------------------------------------------------------------

    def _errors(self, action: str):
        return _map_errors(action, self.settings.chroma_url)

    def _call(self, action: str, call: Callable[[], T]) -> T:
        """Run one Chroma call; when another client has dropped and re-created the collections
        (`qa ingest --rebuild`), our handles point at the old ones: reopen them by name and retry once."""
        with self._errors(action):
            try:
                return call()
            except Exception as exc:
                if not _missing_collection(exc):
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


def _open_client(settings: Settings):
    """An HTTP client for ``settings.chroma_url`` (checked first, with short timeouts), else the embedded one."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        return _open_http_client(settings, chroma_settings)
    try:
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"Cannot create the data directory {settings.chroma_dir}: {exc.strerror}.") from exc
    with _map_errors(f"opening {settings.chroma_dir}"):
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def _open_http_client(settings: Settings, chroma_settings):
    import chromadb

    url = urlparse(settings.chroma_url or "")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise StoreError(f"QA_CHROMA_URL must look like http://host:port, not {settings.chroma_url!r}.")
    headers = _auth_headers(settings.chroma_token)
    _check_reachable(settings.chroma_url.rstrip("/"), headers, settings)
    with _map_errors("connecting", settings.chroma_url):
        client = chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            headers=headers,
            settings=chroma_settings,
        )
    _limit_waits(client, settings.chroma_timeout)
    return client


def _auth_headers(token: str | None) -> dict[str, str] | None:
    """Both of Chroma's token transports, ``X-Chroma-Token`` and ``Authorization: Bearer``: servers read one."""
    if not token:
        return None
    return {"X-Chroma-Token": token, "Authorization": f"Bearer {token}"}


def _check_reachable(base_url: str, headers: dict[str, str] | None, settings: Settings) -> None:
    """A heartbeat with a short timeout, so a down or unroutable server fails in seconds, not minutes."""
    import httpx

    with _map_errors("connecting", settings.chroma_url):
        response = httpx.get(
            f"{base_url}/api/v2/heartbeat",
            headers=headers,
            timeout=httpx.Timeout(settings.chroma_timeout, connect=min(_CONNECT_SECONDS, settings.chroma_timeout)),
        )
        response.raise_for_status()


def _limit_waits(client, seconds: float) -> None:
    """chromadb's HTTP session waits forever by default; a server that stops answering must fail instead."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds, connect=min(_CONNECT_SECONDS, seconds))


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
    )


def _entry_metadata(entry: ManifestEntry) -> dict[str, Any]:
    return {
        "content_hash": entry.content_hash,
        "state": entry.state,
        "chunk_ids": json.dumps(list(entry.chunk_ids)),
        "stale_ids": json.dumps(list(entry.stale_ids)),
        "origin": entry.origin,
        "source": entry.source,
        "published": entry.published,
    }


def _entry_from_metadata(article_id: str, meta: dict[str, Any]) -> ManifestEntry:
    return ManifestEntry(
        article_id=article_id,
        content_hash=str(meta.get("content_hash", "")),
        state=str(meta.get("state", "pending")),
        chunk_ids=tuple(json.loads(meta.get("chunk_ids") or "[]")),
        origin=str(meta.get("origin", "")),
        source=str(meta.get("source", "")),
        published=str(meta.get("published", "")),
        stale_ids=tuple(json.loads(meta.get("stale_ids") or "[]")),
    )


def _batched(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
