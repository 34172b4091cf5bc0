"""Memory of a reader at archive size (issue 23): per-process row caches are bounded by what a few questions read,
not by the corpus."""

from __future__ import annotations

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
