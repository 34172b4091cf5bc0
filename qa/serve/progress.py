"""Progress bars on the console, built one way for every long command (ingest, batch answers, eval)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from qa.core.settings import Settings

if TYPE_CHECKING:
    from ingest.index import IngestSummary


def progress_bar(label: str, console: Console, *, unit: str = "", transient: bool = False) -> Progress:
    """``label [bar] 3/10 unit 0:00:02`` on ``console`` (stderr for commands whose stdout is data)."""
    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
    if unit:
        columns.append(TextColumn(unit))
    return Progress(*columns, TimeElapsedColumn(), console=console, transient=transient)


def ingest_with_progress(
    paths: Iterable[Path], settings: Settings, console: Console, *, rebuild: bool = False, transient: bool = True
) -> IngestSummary:
    """Run `ingest.index.ingest`, showing embedded articles against the planned total; returns its summary."""
    from ingest.index import ingest  # the ingest pipeline: not for the batch and eval bars

    progress = progress_bar("Embedding", console, unit="articles", transient=transient)
    task = progress.add_task("embed", total=None)
    with progress:
        return ingest(
            list(paths),
            settings,
            rebuild=rebuild,
            progress=lambda n: progress.advance(task, n),
            on_plan=lambda total: progress.update(task, total=total),
        )
