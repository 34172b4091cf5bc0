"""Incremental ingestion: only what changed is embedded, what is gone is removed, and the result always
equals a clean build of the same input."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.index import ingest
from qa.core.errors import NothingToIngestError, StoreError
from qa.core.settings import Settings
from qa.store.arrays import Arrays, read_version
from qa.store.chroma import Store
from qa.store.lock import writer_lock

LOADERS = Path(__file__).parent / "fixtures" / "loaders"
GOOD = LOADERS / "good"
NASTY = LOADERS / "nasty"
ALL_GOOD = 11  # articles in fixtures/loaders/good


@dataclass(frozen=True)
class Snapshot:
    """What an index holds: every chunk id, and the manifest as article id -> (hash, state, chunk ids)."""

    chunk_ids: frozenset[str]
    manifest: dict[str, tuple[str, str, tuple[str, ...]]]
    chunk_count: int

    def chunks_of(self, article_id: str) -> set[str]:
        return set(self.manifest[article_id][2])


def snapshot(settings: Settings) -> Snapshot:
    store = Store(settings)
    manifest = {e.article_id: (e.content_hash, e.state, e.chunk_ids) for e in store.manifest().values()}
    return Snapshot(frozenset(store.chunk_ids()), manifest, store.chunk_count())


def assert_consistent(snap: Snapshot) -> None:
    """No pending entry, no orphan chunk, no missing chunk, no chunk claimed twice."""
    assert all(state == "done" for _, state, _ in snap.manifest.values())
    claimed = [chunk_id for _, _, ids in snap.manifest.values() for chunk_id in ids]
    assert len(claimed) == len(set(claimed)), "a chunk id belongs to two articles"
    assert set(claimed) == snap.chunk_ids, "manifest and chunks disagree (orphans or missing chunks)"
    assert snap.chunk_count == len(snap.chunk_ids)


def clean_build(paths: list[Path], root: Path) -> Snapshot:
    """The index a fresh data dir gets from ``paths``."""
    settings = Settings(data_dir=root / "clean-build")
    ingest(paths, settings)
    return snapshot(settings)


def published(settings: Settings) -> Arrays:
    """The search arrays a reader would open now."""
    file = read_version(settings.arrays_dir)
    assert file is not None, "no search arrays published"
    return Arrays.open(settings.arrays_dir, file)


@pytest.fixture()
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def test_first_run_adds_everything_and_second_run_embeds_nothing(corpus, settings):
    first = ingest([corpus], settings)
    assert (first.added, first.updated, first.unchanged, first.removed) == (ALL_GOOD, 0, 0, 0)
    before = snapshot(settings)
    assert_consistent(before)
    assert first.chunks_written == before.chunk_count >= ALL_GOOD
    version = Store(settings).version()

    second = ingest([corpus], settings)
    assert (second.added, second.updated, second.unchanged, second.removed) == (0, 0, ALL_GOOD, 0)
    assert second.chunks_written == 0 and second.chunks_deleted == 0 and not second.skipped
    assert snapshot(settings) == before
    assert Store(settings).version() == version, "a no-op run leaves the corpus version alone"


def test_changed_file_is_reembedded_alone(corpus, settings, tmp_path):
    ingest([corpus], settings)
    before = snapshot(settings)
    plain = corpus / "plain.txt"
    plain.write_text(plain.read_text() + "\nThe school will defend its title in Leeds next spring.\n")
    plain_id = f"file:{plain.resolve()}"

    summary = ingest([corpus], settings)
    assert (summary.added, summary.updated, summary.unchanged, summary.removed) == (0, 1, ALL_GOOD - 1, 0)
    after = snapshot(settings)
    assert_consistent(after)
    assert summary.chunks_written == len(after.chunks_of(plain_id))
    assert after.manifest[plain_id][0] != before.manifest[plain_id][0]
    assert not (before.chunks_of(plain_id) - after.chunks_of(plain_id)) & after.chunk_ids, "old version gone"
    for article_id, entry in before.manifest.items():
        if article_id != plain_id:
            assert after.manifest[article_id] == entry, f"{article_id} was touched"
    assert after == clean_build([corpus], tmp_path)


def test_removed_file_has_its_chunks_removed(corpus, settings, tmp_path):
    ingest([corpus], settings)
    before = snapshot(settings)
    html_id = "url:https://valleyvoice.example/news/river-cleanup"
    (corpus / "page.html").unlink()

    summary = ingest([corpus], settings)
    assert (summary.removed, summary.unchanged, summary.chunks_written) == (1, ALL_GOOD - 1, 0)
    after = snapshot(settings)
    assert html_id not in after.manifest
    assert not before.chunks_of(html_id) & after.chunk_ids
    assert after.chunk_ids == before.chunk_ids - before.chunks_of(html_id)
    assert after == clean_build([corpus], tmp_path)


def test_record_dropped_from_a_jsonl_is_removed(corpus, settings, tmp_path):
    ingest([corpus], settings)
    before = snapshot(settings)
    records = corpus / "records.jsonl"
    lines = [line for line in records.read_text().splitlines() if '"jl-2"' not in line]
    records.write_text("\n".join(lines) + "\n")

    summary = ingest([corpus], settings)
    assert (summary.removed, summary.added, summary.updated, summary.chunks_written) == (1, 0, 0, 0)
    after = snapshot(settings)
    assert "jl-2" not in after.manifest and not before.chunks_of("jl-2") & after.chunk_ids
    assert after.manifest["jl-1"] == before.manifest["jl-1"] and after.manifest["jl-3"] == before.manifest["jl-3"]
    assert after == clean_build([corpus], tmp_path)


def test_ingesting_one_file_leaves_the_rest_of_the_index_alone(corpus, settings):
    ingest([corpus], settings)
    before = snapshot(settings)
    summary = ingest([corpus / "records.jsonl"], settings)
    assert (summary.unchanged, summary.removed, summary.chunks_written) == (3, 0, 0)
    assert snapshot(settings) == before


def test_moved_but_identical_files_are_not_reembedded(corpus, settings):
    ingest([corpus], settings)
    before = snapshot(settings)
    (corpus / "moved").mkdir()
    for name in ("records.jsonl", "list.json", "seed-layout.txt"):
        (corpus / name).rename(corpus / "moved" / name)

    summary = ingest([corpus], settings)
    assert summary.chunks_written == 0 and summary.removed == 0 and summary.added == 0
    assert summary.unchanged == ALL_GOOD
    after = snapshot(settings)
    assert after == before
    origins = {e.article_id: e.origin for e in Store(settings).manifest().values()}
    assert origins["jl-1"] == str((corpus / "moved" / "records.jsonl").resolve()), "the manifest follows the move"


def test_rebuild_starts_over(corpus, settings, tmp_path):
    ingest([corpus], settings)
    (corpus / "plain.txt").unlink()
    summary = ingest([corpus], settings, rebuild=True)
    assert (summary.added, summary.unchanged, summary.removed) == (ALL_GOOD - 1, 0, 0)
    after = snapshot(settings)
    assert summary.chunks_written == after.chunk_count
    assert after == clean_build([corpus], tmp_path)


def test_many_changes_at_once_end_equal_to_a_clean_build(corpus, settings, tmp_path):
    """Add, update, remove and move in one run, with several write batches."""
    settings = settings.model_copy(update={"write_batch_articles": 2})
    ingest([corpus], settings)
    (corpus / "object.json").unlink()
    (corpus / "no-front-matter.md").write_text("# Apple harvest revised\n\nThe growers now count 49,000 tonnes.\n")
    shutil.copy(NASTY / "cp1252.txt", corpus / "cafe.txt")
    (corpus / "sub").mkdir()
    (corpus / "list.json").rename(corpus / "sub" / "list.json")

    summary = ingest([corpus], settings)
    assert (summary.added, summary.updated, summary.removed) == (1, 1, 1)
    after = snapshot(settings)
    assert_consistent(after)
    assert after == clean_build([corpus], tmp_path)


def test_search_arrays_follow_every_change(corpus, settings):
    ingest([corpus], settings)
    (corpus / "page.html").unlink()
    ingest([corpus], settings)
    store = Store(settings)
    arrays = published(settings)
    assert arrays.version == store.version()
    assert set(arrays.bm25().chunk_ids) == store.chunk_ids()


def test_skips_are_listed_with_reasons_and_the_rest_is_indexed(corpus, settings):
    for name in ("image.txt", "empty.txt", "broken-line.jsonl", "bare-string.json"):
        shutil.copy(NASTY / name, corpus / name)
    summary = ingest([corpus], settings)
    assert summary.added == ALL_GOOD + 2  # the two good lines of broken-line.jsonl
    reasons = {Path(s.path).name: s.reason for s in summary.skipped}
    assert reasons["image.txt"] == "binary or undecodable content"
    assert reasons["empty.txt"] == "empty file"
    assert reasons["broken-line.jsonl:2"].startswith("malformed JSON")
    assert "neither an object nor a list" in reasons["bare-string.json"]
    listed = json.loads(json.dumps(summary.to_json()["skipped"]))  # plain data for --json
    assert {Path(item["path"]).name: item["reason"] for item in listed} == reasons


def test_the_same_article_twice_is_indexed_once(corpus, settings):
    shutil.copy(corpus / "records.jsonl", corpus / "zz-copy.jsonl")
    summary = ingest([corpus], settings)
    assert summary.added == ALL_GOOD
    duplicates = [s for s in summary.skipped if "duplicate article id" in s.reason]
    assert len(duplicates) == 3 and all("zz-copy.jsonl" in s.path for s in duplicates)
    assert_consistent(snapshot(settings))


def test_nothing_readable_is_an_error_naming_the_reasons(tmp_path, settings):
    folder = tmp_path / "bad"
    folder.mkdir()
    for name in ("image.txt", "empty.txt"):
        shutil.copy(NASTY / name, folder / name)
    with pytest.raises(NothingToIngestError, match="No article could be read") as error:
        ingest([folder], settings)
    assert "binary or undecodable content" in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(NothingToIngestError, match="no such file or folder"):
        ingest([tmp_path / "missing"], settings)


def test_a_second_writer_is_refused_at_once(corpus, settings):
    with writer_lock(settings), pytest.raises(StoreError, match="Another `qa ingest` is writing"):
        ingest([corpus], settings)
    assert ingest([corpus], settings).added == ALL_GOOD, "the lock is released with its holder"


# ---- interrupted runs -------------------------------------------------------------------------


def test_a_run_interrupted_after_its_writes_still_refreshes_the_arrays_next_time(corpus, settings):
    """Ctrl-C (or a kill) after the last article is written but before the run ends: the next run,
    which has nothing left to embed, must still bring the search arrays in line with the store."""
    ingest([corpus], settings)
    shutil.copy(NASTY / "cp1252.txt", corpus / "cafe.txt")

    def interrupt(done: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest([corpus], settings, progress=interrupt)
    rerun = ingest([corpus], settings)
    assert rerun.chunks_written == 0 and rerun.unchanged == ALL_GOOD + 1
    store = Store(settings)
    arrays = published(settings)
    assert arrays.version == store.version()
    assert set(arrays.bm25().chunk_ids) == store.chunk_ids()


def test_a_rebuild_killed_between_dropping_chunks_and_manifest_is_repaired_by_a_plain_run(corpus, settings, tmp_path):
    """`--rebuild` drops the chunk collection, then the manifest; a kill between the two leaves every
    article marked done with no chunks. The next run, even without `--rebuild`, must embed them again."""
    ingest([corpus], settings)
    Store(settings)._client.delete_collection(settings.collection)  # the state such a kill leaves
    summary = ingest([corpus], settings)
    assert summary.recovered == ALL_GOOD and summary.added == ALL_GOOD
    after = snapshot(settings)
    assert_consistent(after)
    assert after == clean_build([corpus], tmp_path)


def test_orphan_chunks_are_deleted_and_articles_missing_chunks_embedded_again(corpus, settings, tmp_path):
    ingest([corpus], settings)
    store = Store(settings)
    manifest = store.manifest()
    store.forget(["jl-1"])  # its chunks are now claimed by no article
    orphaned = ingest([corpus], settings)
    assert (orphaned.recovered, orphaned.added, orphaned.unchanged) == (1, 1, ALL_GOOD - 1)
    assert snapshot(settings) == clean_build([corpus], tmp_path)

    store.delete_chunks(list(manifest["jl-2"].chunk_ids))  # jl-2 is marked done without its chunks
    missing = ingest([corpus], settings)
    assert (missing.recovered, missing.added, missing.unchanged) == (1, 1, ALL_GOOD - 1)
    assert snapshot(settings) == clean_build([corpus], tmp_path / "again")


# ---- kill -9, in real processes ---------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]
TOWNS = ("Ashby", "Millbrook", "Elm Valley", "Harbor City", "Oak Island", "Gull Point", "Kessel", "Northgate")
TOPICS = ("bridge repairs", "school budget", "flood defences", "tram line", "hospital ward", "bus fares")
CHUNK_SETTINGS = {"chunk_tokens": 32, "title_prefix_tokens": 0, "write_batch_articles": 6}
SYNC_THRESHOLD = 1000  # Chroma's default hnsw:sync_threshold: vectors beyond it live in the WAL until a flush

# Run in a fresh interpreter: ingest, then die by SIGKILL without any clean shutdown of Chroma.
INGEST_THEN_KILL = """
import json, os, signal, sys
from pathlib import Path
from ingest.index import ingest
from qa.core.settings import Settings
summary = ingest([Path(p) for p in sys.argv[1:]], Settings())
print(json.dumps(summary.to_json()), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""

# Run in a fresh interpreter: what the store holds, and whether a query finds every chunk by its own vector.
INSPECT = """
import json
from qa.core.settings import Settings
from qa.store.chroma import Store
import chromadb
settings = Settings()
store = Store(settings)  # the manifest, through our own code; the vectors, straight from Chroma
no_telemetry = chromadb.Settings(anonymized_telemetry=False)
client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=no_telemetry)
chunks = client.get_collection(settings.collection)
found = chunks.get(include=["embeddings"])
ids, vectors = found["ids"], found["embeddings"]
missing = []
for first in range(0, len(ids), 256):
    hits = chunks.query(query_embeddings=vectors[first:first + 256], n_results=min(10, len(ids)), include=[])
    missing += [own for own, near in zip(ids[first:first + 256], hits["ids"]) if own not in near]
manifest = {e.article_id: [e.content_hash, e.state, list(e.chunk_ids)] for e in store.manifest().values()}
print(json.dumps({"count": chunks.count(), "ids": ids, "missing": missing, "manifest": manifest}))
"""


def generated_corpus(folder: Path, articles: int) -> Path:
    """A JSONL of template-written articles, about ten one-sentence chunks each at 32 word pieces."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in range(articles):
        town, topic = TOWNS[n % len(TOWNS)], TOPICS[(n // len(TOWNS)) % len(TOPICS)]
        body = " ".join(
            f"In {town}, officials said part {k} of {topic} plan {n} would cost {(n * 7 + k * 3) % 90 + 2} million."
            for k in range(10)
        )
        rows.append({"id": f"gen-{n:04d}", "title": f"{town} approves {topic} plan {n}", "body": body, "source": "Gen"})
    path = folder / "generated.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    return path


def child_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update({"QA_DATA_DIR": str(settings.data_dir), "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"})
    env.update({f"QA_{key.upper()}": str(value) for key, value in CHUNK_SETTINGS.items()})
    return env


def python(code: str, args: list[str], settings: Settings, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env=child_env(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def qa_ingest(paths: list[Path], settings: Settings) -> dict:
    """``qa ingest --json`` in its own process, to completion; its summary."""
    result = python("from qa.serve.cli import app; app()", ["ingest", *map(str, paths), "--json"], settings)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def inspect(settings: Settings) -> dict:
    """The store as a fresh process sees it."""
    result = python(INSPECT, [], settings)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def expected_index(paths: list[Path], settings: Settings) -> dict[str, list]:
    """The manifest a clean build of ``paths`` has (chunk ids are deterministic; no embedding needed)."""
    from ingest.article import Article
    from ingest.load import load_paths
    from ingest.write import Indexer

    indexer = Indexer(settings, store=None)
    articles = [a for a in load_paths(paths, settings.max_file_bytes) if isinstance(a, Article)]
    return {a.id: [a.content_hash, "done", [c.id for c in indexer.prepare(a).chunks]] for a in articles}


def assert_same_as_clean_build(seen: dict, expected: dict[str, list]) -> None:
    """Same manifest, every chunk present once, none extra, every one found by a query."""
    assert seen["manifest"] == expected
    wanted = [chunk_id for _, _, ids in expected.values() for chunk_id in ids]
    assert sorted(seen["ids"]) == sorted(wanted), "orphans, duplicates or missing chunks"
    assert seen["count"] == len(wanted)
    assert seen["missing"] == [], "chunks the vector index does not return"


# Run in a fresh interpreter: ingest, and once at least THRESHOLD articles are done while others are pending (seen
# through our own Store, in the writing process, where Chroma may be read safely), print both counts and die by
# SIGKILL. The watcher starts with the first batch written (after a --rebuild has dropped the collections).
KILL_WHEN_HALF_WRITTEN = """
import os, signal, sys, threading, time
from pathlib import Path
from ingest.index import ingest
from qa.core.settings import Settings
from qa.store.chroma import Store
settings, threshold, rebuild = Settings(), int(sys.argv[1]), sys.argv[2] == "rebuild"
def watch():
    store = Store(settings)
    while True:
        states = [e.state for e in store.manifest().values()]
        if states.count("done") >= threshold and "pending" in states:
            print(states.count("pending"), states.count("done"), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.01)
watcher = threading.Thread(target=watch, daemon=True)
def progress(done):
    if not watcher.is_alive():
        watcher.start()
ingest([Path(p) for p in sys.argv[3:]], settings, rebuild=rebuild, progress=progress)
"""


def kill_mid_run(paths: list[Path], settings: Settings, rebuild: bool = False, timeout: float = 300) -> tuple[int, int]:
    """Run an ingest that kills itself by SIGKILL once some articles are done and others pending; the counts."""
    threshold = str(2 * CHUNK_SETTINGS["write_batch_articles"])
    args = [threshold, "rebuild" if rebuild else "plain", *map(str, paths)]
    process = python(KILL_WHEN_HALF_WRITTEN, args, settings, timeout=timeout)
    assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    pending, done = map(int, process.stdout.split())
    return pending, done


@pytest.mark.slow
def test_kill_9_mid_ingest_then_rerun_equals_a_clean_build_above_the_hnsw_sync_threshold(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", **CHUNK_SETTINGS)
    paths = [generated_corpus(tmp_path / "corpus", 110)]
    expected = expected_index(paths, settings)
    assert sum(len(ids) for _, _, ids in expected.values()) > SYNC_THRESHOLD

    pending, done = kill_mid_run(paths, settings)
    assert pending and done < len(expected), "killed mid-run, with articles half-written"

    # The re-run recovers, finishes, and dies by SIGKILL itself: no clean shutdown after >1000 writes.
    rerun = python(INGEST_THEN_KILL, list(map(str, paths)), settings)
    assert rerun.returncode == -9, rerun.stderr[-2000:]
    resumed = json.loads(rerun.stdout.strip().splitlines()[-1])
    assert resumed["recovered"] >= 1 and resumed["unchanged"] >= 1, "the re-run resumed instead of starting over"
    assert_same_as_clean_build(inspect(settings), expected)

    again = qa_ingest(paths, settings)
    assert (again["chunks_written"], again["unchanged"], again["added"]) == (0, len(expected), 0)
    assert_same_as_clean_build(inspect(settings), expected)
    assert sorted(published(settings).bm25().chunk_ids) == sorted(inspect(settings)["ids"])


@pytest.mark.slow
def test_small_index_survives_a_kill_after_writing_and_a_clean_exit(tmp_path):
    """Below Chroma's sync threshold every vector is only in the write-ahead log: a fresh process must see it."""
    settings = Settings(data_dir=tmp_path / "data", **CHUNK_SETTINGS)
    corpus = tmp_path / "corpus"
    shutil.copytree(GOOD, corpus)
    expected = expected_index([corpus], settings)
    assert sum(len(ids) for _, _, ids in expected.values()) < SYNC_THRESHOLD

    killed = python(INGEST_THEN_KILL, [str(corpus)], settings)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert_same_as_clean_build(inspect(settings), expected)

    (corpus / "plain.txt").unlink()
    del expected[f"file:{(corpus / 'plain.txt').resolve()}"]
    summary = qa_ingest([corpus], settings)
    assert (summary["removed"], summary["chunks_written"]) == (1, 0)
    assert_same_as_clean_build(inspect(settings), expected)


@pytest.mark.slow
def test_kill_9_during_a_rebuild_then_a_plain_run_equals_a_clean_build(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", **CHUNK_SETTINGS)
    paths = [generated_corpus(tmp_path / "corpus", 24)]
    expected = expected_index(paths, settings)
    first = python(INGEST_THEN_KILL, list(map(str, paths)), settings)
    assert first.returncode == -9, first.stderr[-2000:]

    pending, done = kill_mid_run(paths, settings, rebuild=True)
    assert pending and done < len(expected), "killed mid-rebuild, with articles half-written"
    rerun = qa_ingest(paths, settings)
    assert rerun["recovered"] >= 1 and rerun["added"] + rerun["unchanged"] == len(expected)
    assert_same_as_clean_build(inspect(settings), expected)
