"""`qa ingest` with a rich progress bar on the console: shared by the CLI and the chat's first start."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.console import Console

from qa.settings import Settings


def ingest_with_progress(
    paths: Iterable[Path], settings: Settings, console: Console, *, rebuild: bool = False, transient: bool = True
):
    """Run `ingest.index.ingest`, showing embedded articles against the planned total; returns its summary."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ingest.index import ingest

    progress = Progress(
        TextColumn("Embedding"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("articles"),
        TimeElapsedColumn(),
        console=console,
        transient=transient,
    )
    task = progress.add_task("embed", total=None)
    with progress:
        return ingest(
            list(paths),
            settings,
            rebuild=rebuild,
            progress=lambda n: progress.advance(task, n),
            on_plan=lambda total: progress.update(task, total=total),
        )
