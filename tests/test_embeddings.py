"""Embedding backends against the reference (sentence-transformers, fp32), the ONNX export cache, and
the refusal to mix vectors from two backends in one index. Real model, no mocks; a few seconds each."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from qa.core.errors import IndexMismatchError, QAError
from qa.core.settings import Settings
from qa.store.embeddings.factory import make_embeddings
from qa.store.embeddings.model import DIMENSION, Tokenizer, model_path
from qa.store.embeddings.torch_backend import MiniLMEmbeddings

ARTICLES = Path(__file__).parent / "fixtures" / "articles"

SENTENCES = [
    "The Harbor City council voted 7 to 2 on Tuesday to approve a $40 million plan to repair the Old Mill Bridge.",
    "Nimbus is recalling 12,000 e-bikes after reports that their batteries overheat while charging.",
    "Who won the match?",
    "Sam Bankman-Fried was found guilty on all seven counts of fraud and conspiracy by a jury in Manhattan. " * 6,
    "Les résultats trimestriels d'OpenAI dépassent les attentes — 東京 also reported strong growth.",
    "",
]
# Lowest cosine to the fp32 PyTorch vectors over 256 real MultiHop-RAG chunks (bench measurements):
# torch-bf16 0.99997, onnx 1.00000, onnx-int8 0.983. The bounds leave a margin under those.
BOUNDS = {"torch": 0.99999, "torch-bf16": 0.9995, "onnx": 0.9999, "onnx-int8": 0.97}


@pytest.fixture(scope="session")
def reference() -> np.ndarray:
    """What sentence-transformers itself returns for ``SENTENCES`` (fp32, the tutorial's path)."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_path(), device="cpu", local_files_only=True)
    return model.encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True)


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("onnx-models")


def embeddings_for(backend: str, cache: Path):
    if backend.startswith("onnx"):
        from qa.store.embeddings.onnx_backend import OnnxMiniLMEmbeddings

        return OnnxMiniLMEmbeddings(batch_size=4, threads=2, int8=backend == "onnx-int8", cache_dir=cache)
    return MiniLMEmbeddings(batch_size=4, threads=2, bf16=backend == "torch-bf16")


@pytest.mark.parametrize("backend", list(BOUNDS))
def test_backend_vectors_match_sentence_transformers(backend, reference, onnx_cache):
    vectors = embeddings_for(backend, onnx_cache).encode(SENTENCES)
    assert vectors.shape == (len(SENTENCES), DIMENSION)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() >= BOUNDS[backend], f"{backend}: cosines {np.round(cosines, 5)}"


def test_vectors_come_back_in_input_order_whatever_the_batching():
    embeddings = MiniLMEmbeddings(batch_size=2, threads=2)
    together = embeddings.encode(SENTENCES)
    alone = np.stack([embeddings.encode([text])[0] for text in SENTENCES])
    assert (together * alone).sum(axis=1).min() > 0.99999
    assert embeddings.encode([]).shape == (0, DIMENSION)
    assert embeddings.embed_query(SENTENCES[0]) == pytest.approx(together[0].tolist(), abs=1e-5)


def test_onnx_export_is_cached_and_reused(onnx_cache):
    from qa.store.embeddings.onnx_backend import onnx_model_file

    first = onnx_model_file(onnx_cache, int8=False)
    stamp = first.stat().st_mtime_ns
    assert onnx_model_file(onnx_cache, int8=False) == first
    assert first.stat().st_mtime_ns == stamp  # not exported again
    assert not [p for p in onnx_cache.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_racing_writers_leave_one_complete_file(tmp_path):
    """Two writers exporting at once (threads here; processes behave the same, each writes its own temporary
    file): both are made to be half-way through at the same moment, and the target ends up as one writer's
    complete output, never a mix of both."""
    from qa.store.embeddings.onnx_backend import _atomic

    target = tmp_path / "model.onnx"
    halfway = threading.Barrier(2, timeout=30)

    def writer(byte: bytes):
        def write(path: Path) -> None:
            with open(path, "wb") as handle:
                handle.write(byte * 10_000)
                handle.flush()
                halfway.wait()  # both temporary files exist and are half written
                handle.write(byte * 10_000)

        return write

    threads = [threading.Thread(target=_atomic, args=(target, writer(b))) for b in (b"a", b"b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    content = target.read_bytes()
    assert content in (b"a" * 20_000, b"b" * 20_000)
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_tokenizer_counts_and_offsets_match_transformers():
    """Chunk ids depend on these: the fast path must cut exactly where the transformers tokenizer did."""
    from transformers import AutoTokenizer

    ours, theirs = Tokenizer(), AutoTokenizer.from_pretrained(model_path())
    texts = [p.read_text(encoding="utf-8") for p in sorted(ARTICLES.iterdir())] + SENTENCES
    expected = [len(ids) for ids in theirs(texts, add_special_tokens=False, verbose=False)["input_ids"]]
    assert ours.count(texts) == expected
    for text in texts:
        mapping = theirs(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)["offset_mapping"]
        assert ours.offsets(text) == [tuple(pair) for pair in mapping]


def test_unknown_backend_lists_the_choices():
    with pytest.raises(QAError, match="torch-bf16"):
        make_embeddings("tensorflow")


def test_index_built_with_one_backend_refuses_the_other(indexed_corpus, tmp_path):
    """Vectors from two backends never mix: querying or ingesting with another backend says how to fix it."""
    from ingest.index import ingest
    from qa.answer.assistant import Assistant
    from qa.store.chroma import Store

    built_with = Store(indexed_corpus).stored_config()["backend"]  # QA_EMBED_BACKEND=auto: this CPU's choice
    other_backend = "torch" if built_with != "torch" else "torch-bf16"
    other = Settings(**{**indexed_corpus.model_dump(), "embed_backend": other_backend})
    expected = rf"backend: index has '{built_with}', settings say '{other_backend}'.*--rebuild"
    with pytest.raises(IndexMismatchError, match=expected):
        Assistant(other).ask("Why is Nimbus recalling e-bikes?")

    copy = tmp_path / "copy"
    shutil.copytree(indexed_corpus.data_dir, copy)
    copied = Settings(**{**other.model_dump(), "data_dir": copy})
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        ingest([ARTICLES], copied)
    rebuilt = ingest([ARTICLES], copied, rebuild=True)
    assert rebuilt.added > 0 and rebuilt.chunks_written > 0
    assert Assistant(copied).ask("Why is Nimbus recalling e-bikes?").citations
