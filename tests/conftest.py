"""Shared fixtures: every test gets its own data dir; one indexed copy of the fixture corpus per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from corpora import ARTICLES, LOADER_GOOD, MULTIHOP

from ingest.index import ingest
from qa.core.settings import Settings, get_settings


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """Point QA_DATA_DIR at a fresh folder so no test touches a real index."""
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "qa-data"))
    monkeypatch.delenv("QA_CHROMA_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def indexed_corpus(tmp_path_factory) -> Settings:
    """The fixture articles ingested once into an embedded store; tests must not write to it."""
    root = tmp_path_factory.mktemp("indexed")
    corpus = root / "articles"
    shutil.copytree(ARTICLES, corpus)
    settings = Settings(data_dir=root / "qa-data")
    ingest([corpus], settings)
    return settings


@pytest.fixture()
def multihop() -> Path:
    """The MultiHop-RAG folder in ../shared, or a skip saying it is absent."""
    if not (MULTIHOP / "corpus.jsonl").exists():
        pytest.skip(f"MultiHop-RAG data not found at {MULTIHOP} (../shared is absent)")
    return MULTIHOP


@pytest.fixture()
def corpus(tmp_path) -> Path:
    """A private copy of the well-formed loader fixtures (one article per supported format)."""
    folder = tmp_path / "corpus"
    shutil.copytree(LOADER_GOOD, folder)
    return folder
