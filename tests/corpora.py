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
