"""Corpus statistics: what is indexed, from where, over which dates."""

from __future__ import annotations

from collections import Counter

from qa.core.settings import Settings
from qa.store.arrays import Arrays
from qa.store.chroma import Store
from qa.store.embeddings.model import MODEL_NAME


def corpus_stats(store: Store, settings: Settings) -> dict:
    """Articles, chunks, outlets with counts, date range, model and store location."""
    entries = [e for e in store.manifest().values() if e.state == "done"]
    outlets = Counter(e.source or "(unknown)" for e in entries)
    dates = sorted(e.published[:10] for e in entries if e.published)
    return {
        "articles": len(entries),
        "chunks": store.chunk_count(),
        "outlets": dict(outlets.most_common()),
        "date_range": [dates[0], dates[-1]] if dates else None,
        "model": MODEL_NAME,
        "backend": settings.embed_backend,
        "store": store.location,
        "collection": settings.collection,
        "mode": "server" if settings.chroma_url else "embedded",
        "corpus_version": store.version(),
    }


def arrays_stats(arrays: Arrays, settings: Settings) -> dict:
    """`corpus_stats` from the search arrays alone (no Chroma round trip): what a reader serves."""
    tables = [segment.articles[int(segment.owner[first])] for segment, _, first, _ in arrays.articles()]
    outlets = Counter(table[3] or "(unknown)" for table in tables)
    dates = sorted(table[6][:10] for table in tables if table[6])
    return {
        "articles": len(tables),
        "chunks": arrays.live,
        "outlets": dict(outlets.most_common()),
        "date_range": [dates[0], dates[-1]] if dates else None,
        "model": MODEL_NAME,
        "backend": settings.embed_backend,
        "store": settings.chroma_url or str(settings.chroma_dir.resolve()),
        "collection": settings.collection,
        "mode": "server" if settings.chroma_url else "embedded",
        "corpus_version": arrays.version,
    }
