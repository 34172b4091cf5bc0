"""Adding articles from the page: files dropped or picked in the chat go through the same loaders and the same
`ingest.index.ingest` as ``qa ingest``, then the live assistant swaps to the new index at once.

Where uploads are kept: ``<data dir>/uploads/<content hash>/<file name>``; the ingest is given exactly those
files, so it can never remove anything else, and a later ``qa ingest corpus/`` leaves them alone (``--rebuild``
drops them from the index; the files stay).

When it is off (the control is disabled, with the reason beside it): ``QA_CHAT_UPLOADS=false``; a Chroma
server (``QA_CHROMA_URL``), which the chat treats as read-only because it is shared and a visitor's upload
would land in everyone's index; a data dir this process cannot write.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ingest.index import IngestSummary, ingest
from ingest.load import SUPPORTED_SUFFIXES
from qa.core.errors import NothingToIngestError, QAError, WriterBusyError
from qa.core.settings import Settings
from qa.core.types import Skip
from qa.serve.ui.safe import text

FORMATS = ", ".join(sorted(SUPPORTED_SUFFIXES))
HASH_CHARS = 16  # of the content hash naming an upload's folder: collisions are out of reach


def uploads_blocked(settings: Settings) -> str:
    """Why this app cannot add articles from the page ("" when it can)."""
    if not settings.chat_uploads:
        return "Adding articles from the page is turned off here (QA_CHAT_UPLOADS=false); use `qa ingest`."
    if settings.chroma_url:
        return (
            "This chat reads a shared Chroma server (QA_CHROMA_URL) and does not write to it; "
            "add articles with `qa ingest --chroma-url …`."
        )
    folder = settings.data_dir if settings.data_dir.exists() else settings.data_dir.parent
    if not os.access(folder, os.W_OK):
        return f"The index at {settings.data_dir} is read-only for this server; add articles with `qa ingest`."
    return ""


def upload_help(settings: Settings) -> str:
    limit = settings.max_file_bytes / 1_000_000
    return (
        f"Drop or pick {FORMATS} files (up to {limit:,.0f} MB each; JSON/JSONL: one article per record). "
        "They are indexed here and can be asked about at once."
    )


@dataclass(frozen=True)
class UploadResult:
    summary: IngestSummary | None
    skipped: tuple[Skip, ...]  # with the names the person picked, not server paths
    error: str = ""


def stage(files: list[str], settings: Settings) -> tuple[list[Path], list[Skip]]:
    """Copy the uploaded files to ``uploads/<content hash>/<name>``: the same file dropped twice lands on the same
    path, so ``qa ingest``'s ids (path-based for files without a URL) find it unchanged instead of duplicating it.
    Files no loader reads are skipped by name."""
    staged, skipped = [], []
    for source in map(Path, files):
        name = source.name
        if source.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(Skip(name, f"unsupported file type {source.suffix or '(none)'!r} (use {FORMATS})"))
            continue
        digest = hashlib.sha256()
        with open(source, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        target = settings.data_dir / "uploads" / digest.hexdigest()[:HASH_CHARS] / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        staged.append(target)
    return staged, skipped


def add_files(files: list[str], settings: Settings, progress=None, on_plan=None) -> UploadResult:
    """Index ``files`` as ``qa ingest`` would; never raises for a person's mistake (it is in the result)."""
    staged, skipped = stage(files, settings)
    if not staged:
        return UploadResult(None, tuple(skipped), "None of these files can be read as articles.")
    try:
        summary = ingest(staged, settings, progress=progress, on_plan=on_plan)
    except NothingToIngestError:
        return UploadResult(None, tuple(skipped), "No article could be read from these files.")
    except WriterBusyError:
        return UploadResult(None, tuple(skipped), "Another ingest is writing to the index; try again in a minute.")
    except QAError as exc:
        return UploadResult(None, tuple(skipped), str(exc))
    named = [Skip(_relative(s.path, settings.data_dir / "uploads"), s.reason) for s in summary.skipped]
    return UploadResult(summary, tuple(skipped + named))


def _relative(path: str, folder: Path) -> str:
    """``/data/uploads/<hash>/feed.jsonl:3`` -> ``feed.jsonl:3`` (the person's own file name)."""
    prefix = str(folder) + os.sep
    return path[len(prefix) :].split(os.sep, 1)[-1] if path.startswith(prefix) else Path(path).name


def result_html(result: UploadResult) -> str:
    """The summary beside the upload control: what was added, what was already there, what was skipped and why."""
    parts = []
    if result.error:
        parts.append(f'<p class="qa-field-error" role="alert">{text(result.error)}</p>')
    s = result.summary
    if s is not None:
        new = s.added + s.updated
        line = (
            f"Added {s.added:,} article{'s' if s.added != 1 else ''}"
            + (f", updated {s.updated:,}" if s.updated else "")
            + f" ({s.chunks_written:,} passages) in {s.seconds:.1f} s"
            + ("; ask about them now." if new else ".")
        )
        if s.unchanged:
            line += f" {s.unchanged:,} already indexed."
        parts.append(f'<p class="qa-upload-done" role="status">{text(line)}</p>')
    if result.skipped:
        items = "".join(f"<li><code>{text(s.path)}</code>: {text(s.reason)}</li>" for s in result.skipped)
        parts.append(f'<div class="qa-upload-skips"><p>Skipped {len(result.skipped):,}:</p><ul>{items}</ul></div>')
    return f'<div class="qa-upload-result">{"".join(parts)}</div>'
