"""Adding articles from the page, without a browser: when it is refused and why, and what a drop of files does to
the index (the browser test does the same through a real upload)."""

from __future__ import annotations

import os
import shutil

import pytest
from corpora import FIXTURES

from qa.core.settings import Settings
from qa.core.types import Skip
from qa.serve.ui.uploads import add_files, result_html, uploads_blocked

UPLOADS = FIXTURES / "upload"


def test_uploads_are_refused_with_a_reason_on_a_read_only_or_shared_index(tmp_path):
    writable = Settings(data_dir=tmp_path / "qa-data")
    assert uploads_blocked(writable) == ""
    assert "QA_CHAT_UPLOADS=false" in uploads_blocked(writable.model_copy(update={"chat_uploads": False}))
    shared = writable.model_copy(update={"chroma_url": "http://127.0.0.1:9"})
    assert "QA_CHROMA_URL" in uploads_blocked(shared) and "qa ingest" in uploads_blocked(shared)
    if os.geteuid() != 0:  # root may write anywhere: a read-only folder cannot be shown to it
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        try:
            assert "read-only" in uploads_blocked(Settings(data_dir=locked))
        finally:
            locked.chmod(0o755)


def test_the_page_disables_the_upload_control_and_says_why():
    import gradio as gr

    from qa.serve.ui.blocks import side_column

    shared = Settings(chroma_url="http://127.0.0.1:9")
    with gr.Blocks():
        _, files, note = side_column(shared)
    assert files.interactive is False
    assert "QA_CHROMA_URL" in note.value


@pytest.mark.slow
def test_a_drop_is_indexed_like_qa_ingest_and_skips_are_named(tmp_path):
    settings = Settings(data_dir=tmp_path / "qa-data")
    dropped = tmp_path / "gradio-cache"
    dropped.mkdir()
    for name in ("lantern-festival.txt", "ferry-news.jsonl", "minutes.pdf"):
        shutil.copy(UPLOADS / name, dropped)
    result = add_files([str(p) for p in sorted(dropped.iterdir())], settings)
    assert result.error == "" and result.summary.added == 2 and result.summary.chunks_written >= 2
    assert {s.path.split(":")[0] for s in result.skipped} == {"minutes.pdf", "ferry-news.jsonl"}
    html = result_html(result)
    assert "Added 2 articles" in html and "minutes.pdf" in html and "unsupported file type" in html
    kept = sorted(p.name for p in (settings.data_dir / "uploads").rglob("*") if p.is_file())
    assert kept == ["ferry-news.jsonl", "lantern-festival.txt"]
    again = add_files([str(dropped / "lantern-festival.txt")], settings)  # the same file again: nothing new
    assert again.summary is None and again.error == ""
    assert again.skipped == (Skip("lantern-festival.txt", "already added as lantern-festival.txt"),)
    nothing = add_files([str(dropped / "minutes.pdf")], settings)
    assert nothing.summary is None and "None of these files" in nothing.error
