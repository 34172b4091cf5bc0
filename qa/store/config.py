"""The index configuration: everything that must match for vectors and offsets from two runs to mix.

The store records it when an ingest writes and refuses to open the index with other settings
(`Store.check_config`), so a changed model, backend or chunking is never silently mixed in."""

from __future__ import annotations

from qa.core.errors import IndexMismatchError
from qa.core.settings import Settings
from qa.store.embeddings.model import MODEL_NAME

CHUNKER_VERSION = 1  # bump when chunk boundaries change for the same settings


def index_config(settings: Settings) -> dict:
    """What the index was (or is about to be) built with."""
    return {
        "model": MODEL_NAME,
        "backend": settings.embed_backend,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap_sentences": settings.chunk_overlap_sentences,
        "title_prefix_tokens": settings.title_prefix_tokens,
        "chunker": CHUNKER_VERSION,
    }


def mismatch(location: str, stored: dict, config: dict) -> IndexMismatchError:
    """The refusal to read an index built with ``stored`` using settings that say ``config``, with the fix."""
    differences = ", ".join(
        f"{key}: index has {stored.get(key)!r}, settings say {config.get(key)!r}"
        for key in sorted(set(stored) | set(config))
        if stored.get(key) != config.get(key)
    )
    return IndexMismatchError(
        f"The index in {location} was built differently ({differences}). "
        "Run `qa ingest --rebuild ...` to rebuild it, or change the settings back."
    )
