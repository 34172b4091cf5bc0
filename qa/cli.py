"""The ``qa`` command line: ingest, stats, ask, eval, serve. Renders results; never touches Chroma itself."""

from __future__ import annotations

import json
import sys
from functools import wraps
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from qa.errors import QAError
from qa.settings import Settings, get_settings

app = typer.Typer(help="Answer questions about news articles, with cited excerpts.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Index folder [env QA_DATA_DIR, default .qa]")]
Collection = Annotated[str | None, typer.Option("--collection", help="Collection name [env QA_COLLECTION]")]
ChromaUrl = Annotated[
    str | None, typer.Option("--chroma-url", help="Chroma server, e.g. http://localhost:8000 [env QA_CHROMA_URL]")
]


def settings_from(data_dir: Path | None, collection: str | None, chroma_url: str | None, **more) -> Settings:
    """The environment's settings with this command's options on top."""
    update = {"data_dir": data_dir, "collection": collection, "chroma_url": chroma_url, **more}
    update = {k: v for k, v in update.items() if v is not None}
    try:
        return Settings(**{**get_settings().model_dump(), **update})
    except ValueError as exc:
        raise typer.BadParameter(str(exc).splitlines()[-1] if str(exc) else "invalid setting") from exc


def handle_errors(command):
    """Expected failures become one line on stderr and an exit code, not a traceback."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except QAError as exc:
            err.print(f"[red]Error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("Interrupted.")
            raise typer.Exit(130) from None

    return wrapper


@app.command()
@handle_errors
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of articles (.txt .md .html .json .jsonl)")],
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the index and start over")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit non-zero when any input was skipped")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on the last line")] = False,
    data_dir: DataDir = None,
    collection: Collection = None,
    chroma_url: ChromaUrl = None,
) -> None:
    """Index articles; re-running embeds only what changed and removes what is gone."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ingest.index import ingest as run_ingest

    settings = settings_from(data_dir, collection, chroma_url)
    progress = Progress(
        TextColumn("Embedding"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("articles"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = progress.add_task("embed", total=None)
    with progress:
        summary = run_ingest(
            paths,
            settings,
            rebuild=rebuild,
            progress=lambda n: progress.advance(task, n),
            on_plan=lambda total: progress.update(task, total=total),
        )
    for skip in summary.skipped:
        err.print(f"[yellow]skipped[/yellow] {escape(str(skip))}", highlight=False, soft_wrap=True)
    data = summary.to_json()
    line = (
        f"{data['added']} added, {data['updated']} updated, {data['unchanged']} unchanged, "
        f"{data['removed']} removed, {len(data['skipped'])} skipped; {data['chunks_written']} chunks written "
        f"in {data['seconds']:.1f} s ({data['chunks_per_second']} chunks/s)"
    )
    if summary.recovered:
        line += f"; recovered {summary.recovered} articles left half-written by an interrupted run"
    if as_json:
        err.print(line, soft_wrap=True)
        sys.stdout.write(json.dumps(data) + "\n")
    else:
        out.print(line, soft_wrap=True)
    if strict and summary.skipped:
        raise typer.Exit(1)


@app.command()
@handle_errors
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    data_dir: DataDir = None,
    collection: Collection = None,
    chroma_url: ChromaUrl = None,
) -> None:
    """What is indexed: articles, chunks, outlets, dates, model, store."""
    from qa.stats import corpus_stats
    from qa.store import Store

    settings = settings_from(data_dir, collection, chroma_url)
    data = corpus_stats(Store(settings), settings)
    if as_json:
        sys.stdout.write(json.dumps(data) + "\n")
        return
    from rich.table import Table

    dates = " to ".join(data["date_range"]) if data["date_range"] else "unknown"
    out.print(
        f"[bold]{data['articles']}[/bold] articles, [bold]{data['chunks']}[/bold] chunks, "
        f"{len(data['outlets'])} outlets, dates {dates}"
    )
    out.print(f"model {data['model']} ({data['backend']}); store {data['store']} ({data['mode']})")
    table = Table("outlet", "articles")
    for name, count in data["outlets"].items():
        table.add_row(name, str(count))
    if data["outlets"]:
        out.print(table)


@app.command()
@handle_errors
def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="Interface to listen on [env QA_HOST, default 127.0.0.1]")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port [env QA_PORT, default 7860]")] = None,
    data_dir: DataDir = None,
    collection: Collection = None,
    chroma_url: ChromaUrl = None,
) -> None:
    """Start the web chat (same as `python app.py`); indexes the corpus folder first when the index is empty."""
    from qa.ui.serve import configure_logging
    from qa.ui.serve import serve as run_server

    configure_logging()
    run_server(settings_from(data_dir, collection, chroma_url, host=host, port=port))


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
