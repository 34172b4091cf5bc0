"""Corpus statistics: what is indexed, from where, over which dates (`qa stats`, the chat's summary line)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from qa.core.errors import StoreError
from qa.core.settings import Settings
from qa.store.arrays import Arrays, read_version
from qa.store.chroma import Store
from qa.store.config import settle_backend
from qa.store.embeddings.model import MODEL_NAME
from qa.store.lock import can_write
from qa.store.schema import EntryState


@dataclass(frozen=True)
class CorpusStats:
    """What one corpus version holds; `to_json` is the shape ``qa stats --json`` prints."""

    articles: int
    chunks: int
    outlets: dict[str, int]  # articles per outlet, most first ("(unknown)" for articles without one)
    date_range: tuple[str, str] | None  # first and last publication day
    model: str
    backend: str  # the index's embedding backend (what an ingest would use on an empty index)
    store: str  # the server URL or the chroma folder
    collection: str
    mode: str  # "server" or "embedded"
    corpus_version: int
    stories: int = 0  # articles counting near-duplicates once (`qa.store.stories`)
    copies: int = 0  # articles that are a copy of an earlier one: articles - stories

    def to_json(self) -> dict:
        data = asdict(self)
        data["date_range"] = list(self.date_range) if self.date_range else None
        return data


def read_stats(settings: Settings) -> CorpusStats:
    """`corpus_stats` of the store ``settings`` name, opened for this and closed again; of the published
    arrays when the embedded store cannot be written here (Chroma opens its database for writing)."""
    if not settings.chroma_url and settings.chroma_dir.is_dir() and not can_write(settings.chroma_dir):
        return published_stats(settings)
    store = Store(settings)
    try:
        return corpus_stats(store, settings)
    finally:
        store.close()


def corpus_stats(store: Store, settings: Settings) -> CorpusStats:
    """The statistics of the store's manifest (the articles whose chunks are all written)."""
    entries = [e for e in store.manifest().values() if e.state == EntryState.DONE]
    articles = [(e.source, e.published) for e in entries]
    settings = settle_backend(settings, store.stored_config())
    published = read_version(settings.arrays_dir)  # the stories of the arrays the last ingest published
    grouped = published.stories if published is not None else {}
    copies = sum(1 for e in entries if grouped.get(e.article_id, e.article_id) != e.article_id)
    return _stats(articles, store.chunk_count(), store.version(), settings, store.location, copies)


def published_stats(settings: Settings) -> CorpusStats:
    """`arrays_stats` of the arrays the last ingest published (what a reader serves), read in place."""
    folder = settings.arrays_dir
    file = read_version(folder)
    try:
        arrays = Arrays.open(folder, file) if file is not None else None
    except (OSError, ValueError, KeyError, IndexError):
        arrays = None
    if arrays is None:
        raise StoreError(
            f"{settings.chroma_dir} is read-only here and {folder} holds no readable search arrays; "
            "run `qa ingest` once with write access."
        )
    return arrays_stats(arrays, settings)


def arrays_stats(arrays: Arrays, settings: Settings) -> CorpusStats:
    """`corpus_stats` from the search arrays alone (no Chroma round trip): what a reader serves."""
    articles = [(a.row.source, a.row.published) for a in arrays.articles()]
    location = settings.chroma_url or str(settings.chroma_dir.resolve())
    settings = settle_backend(settings, arrays.file.config)
    copies = sum(1 for a, s in arrays.file.stories.items() if a != s)
    return _stats(articles, arrays.live, arrays.version, settings, location, copies)


def _stats(
    articles: Iterable[tuple[str, str]], chunks: int, version: int, settings: Settings, location: str, copies: int
) -> CorpusStats:
    """``articles``: (outlet, published) of each article; ``copies``: how many are near-duplicates of another."""
    articles = list(articles)
    outlets = Counter(source or "(unknown)" for source, _ in articles)
    dates = sorted(published[:10] for _, published in articles if published)
    return CorpusStats(
        articles=len(articles),
        chunks=chunks,
        outlets=dict(outlets.most_common()),
        date_range=(dates[0], dates[-1]) if dates else None,
        model=MODEL_NAME,
        backend=settings.embed_backend,
        store=location,
        collection=settings.collection,
        mode="server" if settings.chroma_url else "embedded",
        corpus_version=version,
        stories=len(articles) - copies,
        copies=copies,
    )
