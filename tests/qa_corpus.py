"""The fixture articles plus qa-extra (a second Coastal Daily story on another topic), ingested once per module."""

from __future__ import annotations

import shutil
from pathlib import Path

from qa.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"


def build_extended_corpus(root: Path) -> Settings:
    from ingest.index import ingest

    corpus = root / "articles"
    shutil.copytree(FIXTURES / "articles", corpus)
    shutil.copytree(FIXTURES / "qa-extra", corpus / "extra")
    settings = Settings(data_dir=root / "qa-data")
    ingest([corpus], settings)
    return settings


def article_bodies(settings: Settings) -> dict[str, str]:
    """Article id -> body, read back from the source files the way ingest reads them."""
    from ingest.load import load_paths

    folder = settings.data_dir.parent / "articles"
    return {a.id: a.body for a in load_paths([folder], 10**7) if hasattr(a, "body")}
