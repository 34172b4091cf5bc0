"""The options the ``qa`` commands share (index, filters, ``--k``, ``--llm``) and the settings they make: one home
for `qa.serve.cli` and `qa.serve.chat`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qa.core.errors import BadOptionError
from qa.core.settings import Settings, get_settings, parse_duration
from qa.search.validate import check_k

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Index folder [env QA_DATA_DIR, default .qa]")]
Collection = Annotated[str | None, typer.Option("--collection", help="Collection name [env QA_COLLECTION]")]
ChromaUrl = Annotated[
    str | None, typer.Option("--chroma-url", help="Chroma server, e.g. http://localhost:8000 [env QA_CHROMA_URL]")
]


def parse_every(raw: str) -> float:
    """``--every`` as ``QA_WATCH_EVERY`` reads it, with its own message for a bad one."""
    try:
        return parse_duration(raw)
    except ValueError as exc:
        raise BadOptionError(f"--every: {exc}.") from None


Every = Annotated[
    float | None,
    typer.Option(
        "--every",
        parser=parse_every,
        metavar="DURATION",
        help="Poll web addresses this often: 90s, 15m, 1h [env QA_WATCH_EVERY, default 15m]",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object")]
Since = Annotated[
    str | None,
    typer.Option("--since", help="Only articles published on or after this date (2023-10-01, 'October 2023')"),
]
Until = Annotated[str | None, typer.Option("--until", help="Only articles published on or before this date")]
Outlets = Annotated[list[str] | None, typer.Option("--outlet", help="Only this outlet (repeatable)")]
UseLLM = Annotated[
    bool | None,
    typer.Option("--llm/--no-llm", help="Generate the answer with the model server [default: when QA_LLM_URL is set]"),
]
Continue = Annotated[
    bool, typer.Option("--continue", "-c", help="Continue the last conversation (kept in the data dir)")
]


def parse_k(raw: str) -> int | None:
    """``--k`` read as the chat's ``/ask`` reads ``k``: "2.5", "-1" and "100000" get `check_k`'s message."""
    try:
        value: object = float(raw) if any(c in raw for c in ".eE") else int(raw)
    except ValueError:
        value = raw
    return check_k(value)


TopK = Annotated[
    int | None, typer.Option("--k", parser=parse_k, metavar="N", help="Passages retrieved, 1 to 100 [default 10]")
]


def settings_from(data_dir: Path | None, collection: str | None, chroma_url: str | None, **more) -> Settings:
    """The environment's settings with this command's options on top."""
    update = {"data_dir": data_dir, "collection": collection, "chroma_url": chroma_url, **more}
    update = {k: v for k, v in update.items() if v is not None}
    try:
        return Settings(**{**get_settings().model_dump(), **update})
    except ValueError as exc:
        raise BadOptionError(str(exc).splitlines()[-1] if str(exc) else "invalid setting") from exc
