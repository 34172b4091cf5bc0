"""Keep the store in sync with the inputs: add, re-embed or remove articles by content hash, crash-safely.

Crash safety: an article is marked ``pending`` (with the chunk ids it is about to write and the ids of
its previous version) before any chunk is written, and ``done`` after. A later run first undoes every
``pending`` article (deletes both id sets, forgets it), then ingests as usual. Chunk ids are
deterministic, so a repeated upsert never duplicates anything.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ingest.article import Article, Skip
from ingest.chunk import Chunk, chunk_article
from ingest.dates import day_number
from ingest.load import load_paths
from qa.bm25 import Bm25Index
from qa.embeddings import MAX_TEXT_TOKENS, MODEL_NAME, Tokenizer, get_tokenizer, make_embeddings
from qa.errors import NothingToIngestError, StoreError
from qa.settings import Settings
from qa.store import ChunkRecord, ManifestEntry, Store

CHUNKER_VERSION = 1
ProgressCallback = Callable[[int], None]  # called with the number of articles just written
Planned = tuple[Article, str, list[Chunk]]  # an article, its title prefix for embedding, its chunks


@dataclass
class IngestSummary:
    """What one ``qa ingest`` run did; ``to_json`` is the shape scripts read."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[Skip] = field(default_factory=list)
    chunks_written: int = 0
    chunks_deleted: int = 0
    recovered: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.recovered)

    def to_json(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "chunks_written": self.chunks_written,
            "chunks_deleted": self.chunks_deleted,
            "recovered": self.recovered,
            "seconds": round(self.seconds, 3),
            "chunks_per_second": round(self.chunks_written / self.seconds, 1) if self.seconds else 0.0,
        }


def index_config(settings: Settings) -> dict:
    """Everything that must match for vectors and offsets from two runs to mix."""
    return {
        "model": MODEL_NAME,
        "backend": settings.embed_backend,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap_sentences": settings.chunk_overlap_sentences,
        "title_prefix_tokens": settings.title_prefix_tokens,
        "chunker": CHUNKER_VERSION,
    }


@contextmanager
def writer_lock(settings: Settings) -> Iterator[None]:
    """One writer per data dir: a second ``qa ingest`` fails at once instead of corrupting the first."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(settings.data_dir / "ingest.lock", "a+")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise StoreError(f"Cannot use {settings.data_dir} as the data directory: {exc.strerror or exc}.") from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StoreError(f"Another `qa ingest` is writing to {settings.data_dir}; wait for it to finish.") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Indexer:
    """Chunks, embeds and writes articles; owns the tokenizer and the embedding model for one run."""

    def __init__(self, settings: Settings, store: Store, tokenizer: Tokenizer | None = None, embeddings=None):
        self.settings = settings
        self.store = store
        self.tokenizer = tokenizer or get_tokenizer()
        self.embeddings = embeddings or make_embeddings(
            settings.embed_backend, settings.embed_batch_size, settings.embed_threads
        )

    def chunks_for(self, article: Article) -> tuple[str, list[Chunk]]:
        """The title prefix used for embedding and the article's chunks (which fit after that prefix)."""
        prefix = ""
        if self.settings.title_prefix_tokens and article.title:
            prefix = self.tokenizer.truncate(article.title, self.settings.title_prefix_tokens)
        prefix_tokens = self.tokenizer.count([prefix])[0] if prefix else 0
        budget = max(16, min(self.settings.chunk_tokens, MAX_TEXT_TOKENS) - prefix_tokens)
        chunks = chunk_article(
            article,
            max_tokens=budget,
            overlap_sentences=self.settings.chunk_overlap_sentences,
            count_tokens=self.tokenizer.count,
            token_offsets=self.tokenizer.offsets,
        )
        return prefix, chunks

    def plan(self, articles: list[Article]) -> list[Planned]:
        """Each article with its title prefix and chunks (tokenizer work only: no store, no model)."""
        return [(article, *self.chunks_for(article)) for article in articles]

    def plan_ahead(self, batches: list[list[Article]]) -> Iterator[tuple[list[Article], list[Planned]]]:
        """Batches with their plans, chunking the next batch on a second thread while this one embeds
        (chunking uses one core; embedding both, so the other core would idle while chunking)."""
        if not batches:
            return
        with ThreadPoolExecutor(1, thread_name_prefix="chunk") as pool:
            upcoming = pool.submit(self.plan, batches[0])
            for index, batch in enumerate(batches):
                planned = upcoming.result()
                if index + 1 < len(batches):
                    upcoming = pool.submit(self.plan, batches[index + 1])
                yield batch, planned

    def write(
        self,
        articles: list[Article],
        previous: dict[str, ManifestEntry],
        progress: ProgressCallback,
        planned: list[Planned] | None = None,
    ) -> int:
        """Embed and write ``articles`` (new or changed) crash-safely; returns chunks written."""
        planned = self.plan(articles) if planned is None else planned
        pending = [
            _entry(article, chunks, "pending", stale=previous[article.id].chunk_ids if article.id in previous else ())
            for article, _, chunks in planned
        ]
        self.store.mark(pending)
        texts, records_meta = [], []
        for article, prefix, chunks in planned:
            for chunk in chunks:
                texts.append(f"{prefix}\n{chunk.text}" if prefix else chunk.text)
                records_meta.append((article, chunk))
        vectors = self._embed_sorted(texts)
        records = [
            ChunkRecord(chunk.id, chunk.text, vector, _chunk_metadata(article, chunk))
            for (article, chunk), vector in zip(records_meta, vectors, strict=True)
        ]
        self.store.upsert_chunks(records)
        stale = [chunk_id for entry in pending for chunk_id in entry.stale_ids if chunk_id not in set(entry.chunk_ids)]
        if stale:
            self.store.delete_chunks(stale)
        self.store.mark([_entry(article, chunks, "done") for article, _, chunks in planned])
        progress(len(articles))
        return len(records)

    def _embed_sorted(self, texts: list[str]) -> list[list[float]]:
        """Embed longest first in one order so batches hold similar lengths (less padding)."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        vectors = self.embeddings.embed_documents([texts[i] for i in order])
        result: list[list[float]] = [[] for _ in texts]
        for position, index in enumerate(order):
            result[index] = vectors[position]
        return result


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    *,
    rebuild: bool = False,
    progress: ProgressCallback | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Bring the index in line with ``paths``: the whole ``qa ingest`` run."""
    started = time.perf_counter()
    paths = [Path(p) for p in paths]
    summary = IngestSummary()
    progress = progress or (lambda done: None)
    with writer_lock(settings):
        store = Store(settings)
        if rebuild:
            store.reset()
        store.check_config(index_config(settings), adopt=True)
        summary.recovered = recover(store)
        manifest = store.manifest()
        if repaired := reconcile(store, manifest):
            summary.recovered += repaired
            manifest = store.manifest()

        articles: dict[str, Article] = {}
        for item in load_paths(paths, settings.max_file_bytes):
            if isinstance(item, Skip):
                summary.skipped.append(item)
            elif item.id in articles:
                first = articles[item.id]
                summary.skipped.append(
                    Skip(_where(item), f"duplicate article id {item.id!r} (first at {_where(first)})")
                )
            else:
                articles[item.id] = item
        if not articles:
            reasons = "; ".join(str(s) for s in summary.skipped[:3]) or "no supported files found"
            raise NothingToIngestError(f"No article could be read from {', '.join(map(str, paths))} ({reasons}).")

        new_or_changed, unchanged_moved = [], []
        for article in articles.values():
            entry = manifest.get(article.id)
            if entry is None:
                summary.added += 1
                new_or_changed.append(article)
            elif entry.content_hash != article.content_hash:
                summary.updated += 1
                new_or_changed.append(article)
            else:
                summary.unchanged += 1
                if entry.origin != _origin(article):
                    unchanged_moved.append(entry)
        gone = [entry for entry in manifest.values() if entry.article_id not in articles and _covered(entry, paths)]

        if on_plan:
            on_plan(len(new_or_changed))
        if new_or_changed or gone:
            store.bump_version()  # a run stopped from here on leaves a version no saved BM25 index matches
        indexer = Indexer(settings, store) if new_or_changed else None
        step = settings.write_batch_articles
        batches = [new_or_changed[first : first + step] for first in range(0, len(new_or_changed), step)]
        for batch, planned in indexer.plan_ahead(batches) if indexer else ():
            summary.chunks_written += indexer.write(batch, manifest, progress, planned)
        if unchanged_moved:
            store.mark([_moved(entry, articles[entry.article_id]) for entry in unchanged_moved])
        summary.chunks_deleted = remove(store, gone)
        summary.removed = len(gone)

        version = store.bump_version() if summary.changed else store.version()
        if summary.changed or Bm25Index.saved_version(settings.bm25_dir) != version:
            Bm25Index.build(store.iter_passages(), version).save(settings.bm25_dir)
    summary.seconds = time.perf_counter() - started
    return summary


def recover(store: Store) -> int:
    """Undo every article left ``pending`` by an interrupted run; returns how many."""
    pending = [entry for entry in store.manifest().values() if entry.state != "done"]
    if not pending:
        return 0
    store.delete_chunks([i for entry in pending for i in (*entry.chunk_ids, *entry.stale_ids)])
    store.forget([entry.article_id for entry in pending])
    return len(pending)


def reconcile(store: Store, manifest: dict[str, ManifestEntry]) -> int:
    """Repair what no pending entry explains (a ``--rebuild`` killed between dropping the chunks and the
    manifest): articles missing chunks are forgotten, to be embedded again, and unclaimed chunks deleted.
    A cheap count comparison first; the full check only when it disagrees. Returns the articles repaired."""
    claimed = {chunk_id for entry in manifest.values() for chunk_id in entry.chunk_ids}
    if store.chunk_count() == len(claimed):
        return 0
    present = store.chunk_ids()
    orphans = sorted(present - claimed)
    orphaned_articles = {p.article_id for p in store.get_passages(orphans).values()} if orphans else set()
    broken = [entry for entry in manifest.values() if not present.issuperset(entry.chunk_ids)]
    store.delete_chunks([*orphans, *(i for entry in broken for i in entry.chunk_ids if i in present)])
    store.forget([entry.article_id for entry in broken])
    return len(broken) + len(orphaned_articles)


def remove(store: Store, entries: list[ManifestEntry]) -> int:
    """Remove articles no longer in their source: pending first, so a crash here is undone too."""
    if not entries:
        return 0
    store.mark([_replace_state(entry, "pending") for entry in entries])
    ids = [i for entry in entries for i in entry.chunk_ids]
    store.delete_chunks(ids)
    store.forget([entry.article_id for entry in entries])
    return len(ids)


def _covered(entry: ManifestEntry, paths: list[Path]) -> bool:
    """Whether ``entry`` came from one of ``paths`` (so its absence there means it was removed)."""
    origin = Path(entry.origin)
    for path in paths:
        resolved = path.resolve()
        if origin == resolved or (path.is_dir() and resolved in origin.parents):
            return True
    return False


def _origin(article: Article) -> str:
    return str(Path(article.origin).resolve()) if article.origin else ""


def _where(article: Article) -> str:
    return f"{article.origin}:{article.record}" if article.record else article.origin


def _entry(article: Article, chunks: list[Chunk], state: str, stale: Iterable[str] = ()) -> ManifestEntry:
    return ManifestEntry(
        article_id=article.id,
        content_hash=article.content_hash,
        state=state,
        chunk_ids=tuple(chunk.id for chunk in chunks),
        origin=_origin(article),
        source=article.source,
        published=article.published,
        stale_ids=tuple(stale),
    )


def _replace_state(entry: ManifestEntry, state: str) -> ManifestEntry:
    from dataclasses import replace

    return replace(entry, state=state)


def _moved(entry: ManifestEntry, article: Article) -> ManifestEntry:
    from dataclasses import replace

    return replace(entry, origin=_origin(article))


def _chunk_metadata(article: Article, chunk: Chunk) -> dict:
    return {
        "article_id": article.id,
        "chunk_index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "tokens": chunk.tokens,
        "title": article.title,
        "source": article.source,
        "author": article.author,
        "url": article.url,
        "published": article.published,
        "published_day": day_number(article.published),
    }
