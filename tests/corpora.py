"""Where the fixture articles are, and corpora built from them: shared by conftest and the test modules
(imported as a plain module; conftest itself is never imported)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path

from ingest.index import ingest
from ingest.plan import load
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
    return current_bodies(settings.data_dir.parent / "articles")


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


# the search-side invariant does not depend on the embedding backend: ONNX fp32 embeds an update in a fraction of a
# second (torch-bf16, the default, is several times slower on CPUs without bf16 units) and is the model questions
# already use, so tests that ingest many times load one model
QUICK_INGEST = {"QA_EMBED_BACKEND": "onnx"}


def index_fixtures(folder: Path, root: Path) -> Settings:
    """The fixture articles of ``folder`` copied under ``root`` and ingested with the `QUICK_INGEST` backend."""
    shutil.copytree(folder, root / "articles")
    quick = {key.removeprefix("QA_").lower(): value for key, value in QUICK_INGEST.items()}
    settings = Settings(data_dir=root / "qa-data", **quick)
    ingest([root / "articles"], settings)
    return settings


def qa_ingest(folder: Path, settings: Settings) -> dict:
    """`qa ingest FOLDER --json` through the CLI, in this process (the model loads once per session): its summary.
    Other settings (backend, chunk size) come from the ``QA_*`` environment, as for a user."""
    from typer.testing import CliRunner

    from qa.serve.cli import app

    args = ["ingest", str(folder), "--json", "--data-dir", str(settings.data_dir), "--collection", settings.collection]
    if settings.chroma_url:
        args += ["--chroma-url", settings.chroma_url]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout.strip().splitlines()[-1])


def current_bodies(folder: Path) -> dict[str, str]:
    """Article id -> body of every article in ``folder`` now, read the way ingest reads them (furniture removed)."""
    return {a.id: a.body for a in load([folder], 10**7).articles.values()}


def assert_quotes_current(answer, bodies: dict[str, str], removed: Iterable[str] = ()) -> None:
    """The verbatim promise (issue 18): every passage and every quoted sentence of ``answer`` is the text of
    the *current* body of its article (``bodies``: article id -> body) at the offsets it states, and no text of
    ``removed`` that no current body holds is ever shown. The one place this invariant is written."""
    removed = [text for text in removed if not any(text in body for body in bodies.values())]
    shown = [(p, p.text, p.start, p.end) for p in answer.passages]
    shown += [(c.passage, c.passage.text, c.passage.start, c.passage.end) for c in answer.citations]
    shown += [(c.passage, c.sentence, c.start, c.end) for c in answer.citations]
    for passage, text, start, end in shown:
        assert passage.article_id in bodies, f"{passage.article_id} is not in the corpus any more: {text!r}"
        body = bodies[passage.article_id]
        assert body[start:end] == text, f"not the current body of {passage.article_id} at {start}:{end}: {text!r}"
        for gone in removed:
            assert gone not in text, f"removed text {gone!r} quoted: {text!r}"
    for gone in removed:  # nor in the answer's own text, which quotes the cited sentences
        assert gone not in answer.text, f"removed text {gone!r} in the answer: {answer.text!r}"
    for c in answer.citations:  # the sentence sits inside its excerpt where the highlight says
        assert c.passage.start <= c.start <= c.end <= c.passage.end, (c.start, c.end, c.passage.start, c.passage.end)


def ask_json(data: Path, question: str) -> dict:
    """``qa ask QUESTION --json --data-dir DATA`` in this process: the answer as JSON."""
    from typer.testing import CliRunner

    from qa.serve.cli import app

    result = CliRunner().invoke(app, ["ask", question, "--json", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])
