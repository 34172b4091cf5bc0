"""Progress bars on the console, built one way for every long command (ingest, batch answers, eval)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from qa.core.settings import Settings

if TYPE_CHECKING:
    from ingest.index import IngestSummary


def progress_bar(label: str, console: Console, *, unit: str = "", transient: bool = False) -> Progress:
    """``label [bar] 3/10 unit 0:00:02 eta 0:00:05`` on ``console`` (stderr for commands whose stdout is data)."""
    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
    if unit:
        columns.append(TextColumn(unit))
    eta = [TextColumn("eta"), TimeRemainingColumn()]
    return Progress(*columns, TimeElapsedColumn(), *eta, console=console, transient=transient)


def ingest_with_progress(
    paths: Iterable[Path], settings: Settings, console: Console, *, rebuild: bool = False, transient: bool = True
) -> IngestSummary:
    """Run `ingest.index.ingest`, showing embedded articles against a total: the articles counted in the inputs
    (`expected_articles`) while they are read, then the planned ones (unchanged articles left out); returns the
    summary."""
    from ingest.index import ingest  # the ingest pipeline: not for the batch and eval bars

    paths = list(paths)
    progress = progress_bar("Embedding", console, unit="articles", transient=transient)
    task = progress.add_task("embed", total=expected_articles(paths, settings) or None)
    with progress:
        return ingest(
            paths,
            settings,
            rebuild=rebuild,
            progress=lambda n: progress.advance(task, n),
            on_plan=lambda total: progress.update(task, total=total),
        )


def expected_articles(paths: list[Path], settings: Settings) -> int:
    """How many articles ``paths`` hold, counted cheaply before anything is parsed (`ingest.walk.count_records`)."""
    from ingest.load import JSONL_SUFFIXES, SUPPORTED_SUFFIXES
    from ingest.walk import count_records

    return count_records(paths, SUPPORTED_SUFFIXES, JSONL_SUFFIXES, settings.max_file_bytes)
