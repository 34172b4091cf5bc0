"""Issue 23: each command imports only the heavy libraries it uses, and ``QA_EMBED_BACKEND=auto`` picks the
backend per CPU for a new index while an existing index keeps its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from corpora import ARTICLES
from typer.testing import CliRunner

from ingest.index import ingest
from qa.core.settings import Settings
from qa.serve.cli import app
from qa.store.arrays import read_version
from qa.store.chroma import Store
from qa.store.config import settle_backend
from qa.store.embeddings.cpu import backend_note, choose_backend, cpu_backend, parse_flags

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "gradio", "chromadb", "spacy", "onnxruntime", "openai", "langchain_openai")
WRITERS_ONLY = ("datasketch", "scipy")  # near-duplicate signatures: computed when an index is written, not read
# a cue that an embedding backend was built: `Embeddings` subclasses import it
EMBEDDINGS_BASE = "langchain_core.embeddings.embeddings"

LAYERS = ("qa.answer.assistant", "qa.search.searcher", "ingest.index", "qa.store.chroma", "qa.serve.ui.start")

# runs the CLI in a fresh interpreter, then prints its exit code and every module it loaded
RUN_AND_LIST_MODULES = """
import json, sys
from qa.serve.cli import app
try:
    app(sys.argv[1:], prog_name="qa")
    code = 0
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded_by(*args: str, data_dir: Path, also: tuple[str, ...] = ()) -> list[str]:
    env = {**os.environ, "QA_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST_MODULES, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, result.stderr[-2000:]
    return sorted(set(report["modules"]) & {*HEAVY, *LAYERS, EMBEDDINGS_BASE, *also})


def test_help_loads_no_layer_and_no_heavy_library(tmp_path):
    assert loaded_by("--help", data_dir=tmp_path) == []


def test_a_question_loads_the_search_and_answers_only(indexed_corpus):
    question = "Why is Nimbus recalling e-bikes?"
    loaded = loaded_by("ask", question, "--json", data_dir=indexed_corpus.data_dir, also=WRITERS_ONLY)
    assert "qa.answer.assistant" in loaded
    # ONNX Runtime embeds the question; spaCy loads when a typed answer needs it; Chroma only for a server
    for module in ("torch", "transformers", "gradio", "chromadb", "ingest.index", "datasketch", "scipy"):
        assert module not in loaded, module


def test_stats_loads_the_store_only(indexed_corpus):
    loaded = loaded_by("stats", "--json", data_dir=indexed_corpus.data_dir)
    assert loaded == ["chromadb", "qa.store.chroma"]


def test_ingest_with_a_cached_onnx_model_loads_neither_torch_nor_the_chat_nor_the_answers(tmp_path, indexed_corpus):
    # the session corpus was built with auto: on a CPU whose choice is ONNX, the question model is cached now
    if cpu_backend() != "onnx":
        pytest.skip(f"this CPU's backend is {cpu_backend()}, which runs on torch")
    article = str(ARTICLES / "harbor-bridge.txt")
    first = loaded_by("ingest", article, data_dir=tmp_path)
    assert first == sorted(["chromadb", "ingest.index", EMBEDDINGS_BASE, "onnxruntime", "qa.store.chroma"])
    # nothing changed: no model at all (nor LangChain's Embeddings class)
    assert loaded_by("ingest", article, data_dir=tmp_path) == ["chromadb", "ingest.index", "qa.store.chroma"]


def test_no_command_loads_the_openai_client_without_generation(indexed_corpus):
    for args in (("--help",), ("ask", "Why is Nimbus recalling e-bikes?"), ("stats",)):
        loaded = loaded_by(*args, data_dir=indexed_corpus.data_dir)
        assert not {"openai", "langchain_openai"} & set(loaded), args


X86_WITHOUT_BF16 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu sse2 avx2 fma\n"
SAPPHIRE_RAPIDS = "flags\t\t: avx2 avx512f avx512_bf16 amx_bf16 amx_tile amx_int8\n"
COOPER_LAKE = "flags\t\t: avx2 avx512f avx512_bf16\n"
ARM = "processor\t: 0\nFeatures\t: fp asimd evtstrm aes bf16\nCPU implementer\t: 0x41\n"


@pytest.mark.parametrize(
    ("cpuinfo", "backend"),
    [
        (X86_WITHOUT_BF16, "onnx"),
        (SAPPHIRE_RAPIDS, "torch-bf16"),
        (COOPER_LAKE, "torch-bf16"),
        (ARM, "onnx"),  # no "flags" line: unknown, so fp32
        ("", "onnx"),
    ],
)
def test_the_backend_follows_the_cpu_bf16_units(cpuinfo, backend):
    assert choose_backend(parse_flags(cpuinfo)) == backend


def test_only_flags_every_core_reports_count():
    mixed = "flags\t: avx2 avx512_bf16\n\nflags\t: avx2\n"
    assert parse_flags(mixed) == frozenset({"avx2"})


def test_auto_keeps_an_index_backend_and_an_explicit_backend_stays():
    auto, explicit = Settings(), Settings(embed_backend="torch")
    assert settle_backend(auto, None).embed_backend == cpu_backend()
    assert settle_backend(auto, {"backend": "onnx-int8"}).embed_backend == "onnx-int8"
    assert settle_backend(explicit, {"backend": "onnx-int8"}).embed_backend == "torch"
    assert backend_note("auto", cpu_backend()) == backend_note("torch", "onnx-int8") == ""
    other = "torch" if cpu_backend() != "torch" else "onnx"
    assert "--rebuild" in backend_note("auto", other)


def test_auto_records_this_cpu_backend_in_a_new_index(indexed_corpus):
    assert indexed_corpus.embed_backend == "auto"
    assert Store(indexed_corpus).stored_config()["backend"] == cpu_backend()
    assert read_version(indexed_corpus.arrays_dir).config["backend"] == cpu_backend()


def cli(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_an_index_keeps_its_backend_under_auto_until_rebuilt(tmp_path, monkeypatch):
    """Built with another backend than this CPU's choice: ``auto`` ingests, answers and reports with the index's
    backend and says how to switch; ``--rebuild`` switches."""
    other = "torch" if cpu_backend() != "torch" else "onnx"
    data = tmp_path / "qa-data"
    article = ARTICLES / "harbor-bridge.txt"
    ingest([article], Settings(data_dir=data, embed_backend=other))
    monkeypatch.delenv("QA_EMBED_BACKEND", raising=False)

    again = cli("ingest", str(ARTICLES), "--json", "--data-dir", str(data))
    summary = json.loads(again.stdout.strip().splitlines()[-1])
    assert summary["backend"] == other and summary["added"] > 0
    assert f"keeps the {other} backend" in again.stderr and "--rebuild" in again.stderr
    stats = json.loads(cli("stats", "--json", "--data-dir", str(data)).stdout)
    assert stats["backend"] == other
    answer = json.loads(cli("ask", "Why is Nimbus recalling e-bikes?", "--json", "--data-dir", str(data)).stdout)
    assert answer["citations"]

    rebuilt = cli("ingest", str(ARTICLES), "--json", "--rebuild", "--data-dir", str(data))
    assert json.loads(rebuilt.stdout.strip().splitlines()[-1])["backend"] == cpu_backend()
    assert "keeps the" not in rebuilt.stderr
    assert Store(Settings(data_dir=data)).stored_config()["backend"] == cpu_backend()
