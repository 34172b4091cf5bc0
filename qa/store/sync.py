"""Bring the search arrays in line with the store, article by article: an ingest that adds or changes k
articles reads and writes O(k) chunks (plus one pass over the manifest), not the whole corpus.

Used at the end of every `qa ingest` (under the writer lock), by a reader whose arrays are missing,
and in server mode whenever the server's corpus version moves past the local arrays."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from qa.store.arrays import Arrays, SegmentRef, VersionFile, publish, publish_lock, read_version
from qa.store.chroma import Store
from qa.store.embeddings.model import DIMENSION
from qa.store.schema import EntryState, ManifestEntry
from qa.store.segment import ArticleChunks, write_segment
from qa.store.stories import group

MAX_SEGMENTS = 8  # past this, the smallest segments are merged: queries visit every segment
SEGMENT_CHUNKS = 100_000  # chunks read from the store per new segment: bounded memory on a full rebuild


def sync_arrays(
    store: Store,
    folder: Path,
    config: dict,
    version: int | None = None,
    *,
    manifest: Mapping[str, ManifestEntry] | None = None,
    written: Mapping[str, ArticleChunks] | None = None,
) -> Arrays:
    """Publish arrays for the store's current version (``version`` when the caller just read it) and
    return them opened. Articles are compared by content hash; only added or changed ones are read. Stories
    (near-duplicates, `qa.store.stories`) are regrouped from every live article's stored signature.

    An ingest passes what it knows already: ``manifest`` (the store's entries as it left them) and
    ``written`` (the chunks it just wrote, by article id), so neither is read back from the store."""
    with publish_lock(folder):
        version = store.version() if version is None else version
        current = read_version(folder)
        old = _open(folder, current) if current is not None and current.config == config else None
        if old is not None and old.version == version:
            return old
        entries = (manifest if manifest is not None else store.manifest()).values()
        manifest = {e.article_id: e for e in entries if e.state == EntryState.DONE}
        kept: dict[str, str] = {}
        refs: list[SegmentRef] = []
        for segment, alive, ref in zip(
            old.segments if old else [], old.alive if old else [], old.file.segments if old else [], strict=True
        ):
            dead = set(ref.deleted)
            for article_id, (first, count, content_hash) in segment.article_rows.items():
                entry = manifest.get(article_id)
                if not count or not alive[first]:
                    continue
                if entry is None or entry.content_hash != content_hash or article_id in kept:
                    dead.update(range(first, first + count))
                else:
                    kept[article_id] = content_hash
            if len(dead) < segment.rows:
                refs.append(SegmentRef(ref.name, tuple(sorted(dead))))
        wanted = [e for a, e in manifest.items() if a not in kept]
        dim = old.file.dim if old else DIMENSION
        for batch in _batches(wanted):
            articles = _fetch(store, batch, written or {})
            if articles:
                dim = articles[0].vectors.shape[1]
                refs.append(SegmentRef(write_segment(folder / "segments", articles, dim)))
        refs = _merge(folder, refs, dim)
        probe = Arrays.open(folder, VersionFile(version, config, dim, tuple(refs)))
        dates = {a.row.article_id: a.row.published for a in probe.articles()}
        published = VersionFile(version, config, dim, tuple(refs), stories=group(probe.signatures(), dates))
        publish(folder, published, keep=current)
        return Arrays.open(folder, published)


def _open(folder: Path, file: VersionFile) -> Arrays | None:
    """The published arrays, or None when a segment is missing or damaged (then everything is rebuilt)."""
    try:
        return Arrays.open(folder, file)
    except (OSError, ValueError, KeyError, IndexError):
        return None


def _batches(entries: list[ManifestEntry]) -> list[list[ManifestEntry]]:
    batches: list[list[ManifestEntry]] = [[]]
    size = 0
    for entry in entries:
        if size >= SEGMENT_CHUNKS:
            batches.append([])
            size = 0
        batches[-1].append(entry)
        size += len(entry.chunk_ids)
    return [b for b in batches if b]


def _fetch(store: Store, entries: list[ManifestEntry], written: Mapping[str, ArticleChunks]) -> list[ArticleChunks]:
    """The chunks of ``entries``, in order: from ``written`` when the caller holds them, else from the store;
    an article missing chunks (being rewritten by another client) is left out, and picked up by the next sync
    since its version moves on."""
    held = {e.article_id: written[e.article_id] for e in entries if _holds(written, e)}
    missing = [i for e in entries if e.article_id not in held for i in e.chunk_ids]
    found = store.get_chunks(missing) if missing else {}
    articles = []
    for entry in entries:
        if entry.article_id in held:
            articles.append(held[entry.article_id])
            continue
        if not entry.chunk_ids or any(i not in found for i in entry.chunk_ids):
            continue
        passages = tuple(found[i][0] for i in entry.chunk_ids)
        vectors = np.asarray([found[i][1] for i in entry.chunk_ids], dtype=np.float32)
        articles.append(ArticleChunks(entry.article_id, entry.content_hash, passages, vectors))
    return articles


def _holds(written: Mapping[str, ArticleChunks], entry: ManifestEntry) -> bool:
    chunks = written.get(entry.article_id)
    return (
        chunks is not None
        and bool(entry.chunk_ids)
        and chunks.content_hash == entry.content_hash
        and tuple(p.chunk_id for p in chunks.passages) == entry.chunk_ids
    )


def _merge(folder: Path, refs: list[SegmentRef], dim: int) -> list[SegmentRef]:
    """At most `MAX_SEGMENTS`: the smallest segments' live articles are rewritten as one segment."""
    if len(refs) <= MAX_SEGMENTS:
        return refs
    probe = Arrays.open(folder, VersionFile(0, {}, dim, tuple(refs)))
    sizes = [int(alive.sum()) for alive in probe.alive]
    order = sorted(range(len(refs)), key=lambda i: sizes[i])
    merged = set(order[: len(refs) - MAX_SEGMENTS + 1])
    articles = [
        probe.segments[i].article_chunks(article_id)
        for i in sorted(merged)
        for article_id, (first, count, _) in probe.segments[i].article_rows.items()
        if count and probe.alive[i][first]
    ]
    name = write_segment(folder / "segments", articles, dim)
    return [ref for i, ref in enumerate(refs) if i not in merged] + [SegmentRef(name)]
