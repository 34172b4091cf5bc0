"""Where the fixture articles are, and corpora built from them: shared by conftest and the test modules
(imported as a plain module; conftest itself is never imported)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ingest.index import ingest
from ingest.load import load_paths
from qa.core.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLES = FIXTURES / "articles"
LOADER_GOOD = FIXTURES / "loaders" / "good"
SHARED = Path(__file__).resolve().parents[2] / "shared"
MULTIHOP = SHARED / "data" / "multihop-rag"


def build_extended_corpus(root: Path) -> Settings:
    """The fixture articles plus qa-extra (a second Coastal Daily story on another topic), ingested."""
    corpus = root / "articles"
    shutil.copytree(FIXTURES / "articles", corpus)
    shutil.copytree(FIXTURES / "qa-extra", corpus / "extra")
    settings = Settings(data_dir=root / "qa-data")
    ingest([corpus], settings)
    return settings


def article_bodies(settings: Settings) -> dict[str, str]:
    """Article id -> body, read back from the source files the way ingest reads them."""
    folder = settings.data_dir.parent / "articles"
    return {a.id: a.body for a in load_paths([folder], 10**7) if hasattr(a, "body")}


def serve_copy(indexed: Settings, root: Path, clock=None, **settings):
    """The chat on its own copy of an indexed data dir (the app writes its snapshots there), on a free port;
    ``clock`` (default: the real one) measures login waits; returns (demo, live, settings) — close the first two."""
    from server_fixtures import free_port  # tests/ modules import one another as plain modules

    from qa.serve.ui.start import serve  # Gradio: only for the modules that serve

    data = root / "qa-data"
    shutil.copytree(indexed.data_dir, data)
    config = Settings(data_dir=data, corpus_dir=data / "no-corpus", port=free_port(), **settings)
    demo, live = serve(config, block=False, **({"clock": clock} if clock else {}))
    return demo, live, config
