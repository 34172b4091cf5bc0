"""Memory of a reader at archive size (issue 23): per-process row caches are bounded by what a few questions read,
not by the corpus; segment files read at random are mapped without read-ahead."""

from __future__ import annotations

from pathlib import Path

from test_scale_search import opened, planted, segment_of

from qa.search.corpus import ROW_CACHE, Cached


def test_row_cache_keeps_the_rows_used_last_and_no_more():
    built: list[int] = []

    def build(row: int) -> str:
        built.append(row)
        return f"row {row}"

    rows = Cached(None, build)
    for row in range(2 * ROW_CACHE):
        assert rows[row] == f"row {row}"
    assert rows.cached == ROW_CACHE
    built.clear()
    recent = range(ROW_CACHE, 2 * ROW_CACHE)
    assert [rows[row] for row in recent] == [f"row {row}" for row in recent]
    assert built == []  # the last ROW_CACHE rows are kept ...
    assert rows[0] == "row 0" and built == [0]  # ... and an old one is built again
    assert rows.cached == ROW_CACHE


def advice(path: Path) -> set[str]:
    """The VmFlags of this process's mapping of ``path`` (``rr``: read at random, no read-ahead)."""
    flags, current = set(), None
    with open("/proc/self/smaps", encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            if not fields[0].endswith(":"):
                current = fields[5] if len(fields) > 5 else None
            elif fields[0] == "VmFlags:" and current == str(path):
                flags |= set(fields[1:])
    return flags


def test_rows_read_at_random_are_mapped_without_read_ahead(tmp_path):
    """Texts, ids, sentence terms and postings are read a few rows at a time: MADV_RANDOM, so a page fault on an
    uncached file reads its page, not ~128 KB around it; the vectors, scanned whole, keep read-ahead."""
    vectors, _ = planted(64, 1)
    name = segment_of(tmp_path, vectors)
    arrays = opened(tmp_path, [name])
    folder = tmp_path / "segments" / name
    assert arrays.passage(3).text == "text"  # the mappings are live and read
    for random in ("text.bin", "ids.bin", "sentence_terms.npy", "docs.npy", "tfs.npy", "numbers.npy"):
        assert "rr" in advice(folder / random), random
    assert advice(folder / "vectors.npy") and "rr" not in advice(folder / "vectors.npy")
