"""Keep the store in sync with the inputs: load -> plan (the diff) -> apply, crash-safely.

Crash safety: an article is marked ``pending`` (with the chunk ids it is about to write and the ids of
its previous version) before any chunk is written, and ``done`` after. A later run first undoes every
``pending`` article (deletes both id sets, forgets it), then ingests as usual. Chunk ids are
deterministic, so a repeated upsert never duplicates anything.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.article import Article
from ingest.feeds import FeedNote
from ingest.feedstate import FeedBook
from ingest.plan import Adopt, IngestPlan, Truncated, load, plan
from ingest.web import FetchPolicy, is_url
from ingest.write import Indexer, ProgressCallback, Written
from qa.core.errors import NothingToIngestError, QAError
from qa.core.settings import Settings
from qa.core.types import Skip
from qa.store.arrays import read_version
from qa.store.chroma import Store
from qa.store.config import index_config, settle_backend
from qa.store.embeddings.factory import make_embeddings, query_backend
from qa.store.lock import writer_lock
from qa.store.schema import EntryState, ManifestEntry
from qa.store.sync import sync_arrays

# body characters embedded per write step at most (with QA_WRITE_BATCH_ARTICLES): a step's chunks and the next
# step's, chunked ahead, are held at once (some 1,300 chunks each); 32 news articles of ordinary length are ~150,000
WRITE_BATCH_CHARS = 1_000_000


@dataclass
class IngestSummary:
    """What one ``qa ingest`` run did; ``to_json`` is the shape scripts read."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[Skip] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # look-alike outlets (`ingest.plan.outlet_warnings`)
    truncated: list[Truncated] = field(default_factory=list)
    feeds: list[FeedNote] = field(default_factory=list)  # what each feed gave: entries, or unchanged (304)
    chunks_written: int = 0
    chunks_deleted: int = 0
    recovered: int = 0
    seconds: float = 0.0
    backend: str = ""  # the embedding backend of the index (``auto`` settled: `qa.store.config.settle_backend`)

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
            "warnings": list(self.warnings),
            "truncated": [t.to_json() for t in self.truncated],
            "feeds": [note.to_json() for note in self.feeds],
            "chunks_written": self.chunks_written,
            "chunks_deleted": self.chunks_deleted,
            "recovered": self.recovered,
            "backend": self.backend,
            "seconds": round(self.seconds, 3),
            "chunks_per_second": round(self.chunks_written / self.seconds, 1) if self.seconds else 0.0,
        }


def ingest(
    paths: Iterable[Path | str],
    settings: Settings,
    *,
    rebuild: bool = False,
    progress: ProgressCallback | None = None,
    on_plan: Callable[[int], None] | None = None,
    adopt: Adopt | None = None,
    refuse_host: Callable[[str], str] | None = None,
) -> IngestSummary:
    """Bring the index in line with ``paths`` (files, folders, web addresses): the whole ``qa ingest`` run
    (``adopt``: see `ingest.plan.load`; ``refuse_host``: host -> why it may not be fetched, "" when it may,
    asked before every request and redirect: `ingest.web.FetchPolicy`)."""
    started = time.perf_counter()
    paths = [p if is_url(p) else Path(p) for p in paths]
    with writer_lock(settings):
        store = Store(settings)
        try:
            report = progress or (lambda done: None)
            summary = _run(store, paths, settings, rebuild, report, on_plan, adopt, refuse_host)
        finally:
            store.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _run(
    store: Store, paths: list, settings: Settings, rebuild: bool, progress, on_plan, adopt, refuse_host=None
) -> IngestSummary:
    if rebuild:
        store.reset()
    settings = settle_backend(settings, store.stored_config())
    store.check_config(index_config(settings), adopt=True)
    manifest, recovered = recover(store, store.manifest())  # the one read of the manifest in a run
    manifest, repaired = reconcile(store, manifest)
    fetch = FetchPolicy(settings.fetch_max_bytes, settings.fetch_timeout, settings.fetch_interval, refuse_host)
    # a rebuild starts the feeds afresh (their 304s would leave the new index without their entries)
    state = settings.feed_state_file
    book = FeedBook(state) if rebuild else FeedBook.read(state, frozenset(manifest))
    loaded = load(paths, settings.max_file_bytes, adopt, settings.max_article_chars, fetch, book)
    if not loaded.articles and not loaded.feeds:  # an unchanged feed is a run with nothing to do, not a failure
        reasons = "; ".join(str(s) for s in loaded.skipped[:3]) or "no supported files found"
        message = f"No article could be read from {', '.join(map(str, paths))} ({reasons})."
        raise NothingToIngestError(message, loaded.skipped)
    diff = plan(loaded, manifest, paths)
    if on_plan:
        on_plan(len(diff.to_embed))
    summary = IngestSummary(
        added=len(diff.added),
        updated=len(diff.updated),
        unchanged=diff.unchanged,
        removed=len(diff.gone),
        skipped=list(diff.skipped),
        warnings=list(diff.warnings),
        truncated=list(loaded.truncated),
        feeds=list(loaded.feeds),
        recovered=recovered + repaired,
        backend=settings.embed_backend,
    )
    # bumped once, before anything is written: a run stopped from here on leaves a version no arrays match
    version = store.bump_version() if summary.changed else store.version()
    written, removed_chunks = apply(store, diff, manifest, settings, progress)
    book.save()  # after the articles are written: a run stopped before leaves the feeds to be read again
    summary.chunks_deleted = removed_chunks + sum(w.deleted for w in written)  # gone articles' and updated ones'
    summary.chunks_written = sum(len(w.chunks.passages) for w in written)
    published = read_version(settings.arrays_dir)
    if summary.changed or published is None or published.version != version:
        # the search arrays follow by delta, from the chunks just written (the rest are in the arrays
        # already), last: a run killed before this leaves the previous arrays serving; the next run catches up
        gone = {entry.article_id for entry in diff.gone}
        after = {k: e for k, e in manifest.items() if k not in gone} | {w.entry.article_id: w.entry for w in written}
        chunks = {w.entry.article_id: w.chunks for w in written}
        sync_arrays(store, settings.arrays_dir, index_config(settings), version, manifest=after, written=chunks)
    if summary.changed:  # a no-op run leaves the model as the run that built the index prepared it
        prepare_query_model(settings)
    return summary


def prepare_query_model(settings: Settings) -> None:
    """Export (once, cached) the ONNX model questions are embedded with, now that torch is at hand, so the
    first `qa ask` does not pay for it; a failure here only moves the export to that first question."""
    embeddings = make_embeddings(query_backend(settings), threads=settings.embed_threads)
    with contextlib.suppress(QAError):
        getattr(embeddings, "model_file", None)


def apply(
    store: Store, diff: IngestPlan, manifest: dict[str, ManifestEntry], settings: Settings, progress: ProgressCallback
) -> tuple[list[Written], int]:
    """Carry out ``diff``: embed and write new or changed articles, record moves, remove what is gone.
    Returns (what was written, chunks of removed articles deleted)."""
    written: list[Written] = []
    articles = diff.to_embed
    if articles:
        indexer = Indexer(settings, store)
        for prepared in indexer.prepare_ahead(write_batches(articles, settings.write_batch_articles)):
            written += indexer.write(prepared, manifest, progress)
    if diff.moved:
        store.mark(list(diff.moved))
    return written, remove(store, list(diff.gone))


def write_batches(
    articles: list[Article], max_articles: int, max_chars: int = WRITE_BATCH_CHARS
) -> list[list[Article]]:
    """``articles`` in consecutive batches of at most ``max_articles`` articles and ``max_chars`` characters of
    body (or one longer article): a batch's chunks, and the next batch's chunked ahead, stay bounded in memory
    however long the articles are."""
    batches: list[list[Article]] = []
    batch: list[Article] = []
    size = 0
    for article in articles:
        if batch and (len(batch) >= max_articles or size + len(article.body) > max_chars):
            batches.append(batch)
            batch, size = [], 0
        batch.append(article)
        size += len(article.body)
    if batch:
        batches.append(batch)
    return batches


def recover(store: Store, manifest: dict[str, ManifestEntry]) -> tuple[dict[str, ManifestEntry], int]:
    """Undo every article left ``pending`` by an interrupted run; returns the manifest without them, and
    how many there were."""
    pending = [entry for entry in manifest.values() if entry.state != EntryState.DONE]
    if not pending:
        return manifest, 0
    store.delete_chunks([i for entry in pending for i in (*entry.chunk_ids, *entry.stale_ids)])
    store.forget([entry.article_id for entry in pending])
    return {k: e for k, e in manifest.items() if e.state == EntryState.DONE}, len(pending)


def reconcile(store: Store, manifest: dict[str, ManifestEntry]) -> tuple[dict[str, ManifestEntry], int]:
    """Repair what no pending entry explains (a ``--rebuild`` killed between dropping the chunks and the
    manifest): articles missing chunks are forgotten, to be embedded again, and unclaimed chunks deleted.
    A cheap count comparison first; the full check only when it disagrees. Returns the manifest without the
    forgotten articles, and how many articles were repaired."""
    claimed = {chunk_id for entry in manifest.values() for chunk_id in entry.chunk_ids}
    if store.chunk_count() == len(claimed):
        return manifest, 0
    present = store.chunk_ids()
    orphans = sorted(present - claimed)
    orphaned_articles = {p.article_id for p in store.get_passages(orphans).values()} if orphans else set()
    broken = [entry for entry in manifest.values() if not present.issuperset(entry.chunk_ids)]
    store.delete_chunks([*orphans, *(i for entry in broken for i in entry.chunk_ids if i in present)])
    store.forget([entry.article_id for entry in broken])
    forgotten = {entry.article_id for entry in broken}
    return {k: e for k, e in manifest.items() if k not in forgotten}, len(broken) + len(orphaned_articles)


def remove(store: Store, entries: list[ManifestEntry]) -> int:
    """Remove articles no longer in their source: pending first, so a crash here is undone too."""
    if not entries:
        return 0
    store.mark([replace(entry, state=EntryState.PENDING) for entry in entries])
    ids = [i for entry in entries for i in entry.chunk_ids]
    store.delete_chunks(ids)
    store.forget([entry.article_id for entry in entries])
    return len(ids)
