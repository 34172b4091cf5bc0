"""The index configuration: everything that must match for vectors and offsets from two runs to mix.

The store records it when an ingest writes and refuses to open the index with other settings
(`Store.check_config`), so a changed model, backend or chunking is never silently mixed in.

The embedding backend ``auto`` (the default) is settled here: an index keeps the backend it was built with,
and a new one gets the backend this CPU runs best (`qa.store.embeddings.cpu`); an explicit backend is taken as
given, and refused by the check when the index was built with another."""

from __future__ import annotations

from qa.core.errors import IndexMismatchError
from qa.core.settings import AUTO_BACKEND, Settings
from qa.store.embeddings.cpu import concrete_backend, cpu_backend
from qa.store.embeddings.model import MODEL_NAME

CHUNKER_VERSION = 1  # bump when chunk boundaries change for the same settings


def settle_backend(settings: Settings, stored: dict | None) -> Settings:
    """``settings`` with the backend the index uses: ``auto`` becomes the backend ``stored`` (the index's
    recorded configuration, None for a new index) names, else this CPU's; an explicit one stays."""
    if settings.embed_backend != AUTO_BACKEND:
        return settings
    backend = (stored or {}).get("backend") or cpu_backend()
    return settings.model_copy(update={"embed_backend": backend})


def index_config(settings: Settings) -> dict:
    """What the index was (or is about to be) built with."""
    return {
        "model": MODEL_NAME,
        "backend": concrete_backend(settings.embed_backend),
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
    back = "change the settings back"
    if stored.get("backend") != config.get("backend"):
        back += f" (QA_EMBED_BACKEND={AUTO_BACKEND} uses the backend an index was built with)"
    return IndexMismatchError(
        f"The index in {location} was built differently ({differences}). "
        f"Run `qa ingest --rebuild ...` to rebuild it, or {back}."
    )
