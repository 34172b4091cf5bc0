"""Adding articles from the page: files dropped or picked in the chat go through the same loaders and the same
`ingest.index.ingest` as ``qa ingest``, then the live assistant swaps to the new index at once.

Where uploads are kept: ``<data dir>/uploads/<content hash>/<file name>``; the ingest is given exactly those
files, so it can never remove anything else, and a later ``qa ingest corpus/`` leaves them alone (``--rebuild``
drops them from the index; the files stay).

Uploads only add: an uploaded article's id is ``upload:<content hash>[#record]`` (`ingest.article.UPLOAD_ID_PREFIX`,
which `qa ingest` refuses in its own records), so a file carrying an indexed article's ``doc_id``, URL and outlet is
indexed beside it, never over it (``QA_UPLOAD_REPLACES=true`` restores replacement). Every uploaded article carries
when it was added (``uploaded``), shown on its source cards, in the JSON and in the export. The same bytes under
another name are "already added"; a drop holds at most ``QA_UPLOAD_MAX_FILES`` files, and all drops together at most
``QA_UPLOAD_MAX_BYTES_PER_DAY`` bytes a day (counted from the files kept here, so a restart does not reset it).
Messages name the person's own file names, never a path on this server.

When it is off (the control is disabled, with the reason beside it): ``QA_CHAT_UPLOADS=false``; a Chroma
server (``QA_CHROMA_URL``), which the chat treats as read-only because it is shared and a visitor's upload
would land in everyone's index; a data dir this process cannot write.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from ingest.article import UPLOAD_ID_PREFIX, Article
from ingest.index import IngestSummary, ingest
from ingest.load import SUPPORTED_SUFFIXES
from qa.core.errors import NothingToIngestError, QAError, WriterBusyError
from qa.core.settings import Settings
from qa.core.types import Skip
from qa.serve.ui.safe import text

FORMATS = ", ".join(sorted(SUPPORTED_SUFFIXES))
HASH_CHARS = 16  # of the content hash naming an upload's folder: collisions are out of reach
DAY_SECONDS = 24 * 3600  # the window of QA_UPLOAD_MAX_BYTES_PER_DAY: a rolling day, not a calendar one
PAGES_LEDGER = "pages.jsonl"  # under uploads/: a line per web page added from the chat (`qa.serve.ui.links`)


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
    notes: tuple[str, ...] = ()  # a line per web address read (`qa.serve.ui.links`)


@dataclass(frozen=True)
class Staged:
    """One dropped file kept for ingest: where it is on this server, the name the person gave it, its content hash."""

    path: Path
    name: str
    digest: str

    def forms(self) -> tuple[str, ...]:
        """The ways the loader may spell its path (as given, resolved)."""
        return tuple(dict.fromkeys((str(self.path), str(self.path.resolve()))))


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


def uploaded_today(settings: Settings, now: float | None = None) -> int:
    """Bytes of the files kept under ``uploads/`` that arrived within the last day, and of the web pages added."""
    since = (now if now is not None else time.time()) - DAY_SECONDS
    folder = settings.data_dir / "uploads"
    total = _pages_since(folder / PAGES_LEDGER, since)
    for path in folder.glob("*/*") if folder.is_dir() else ():
        try:
            info = path.stat()
        except OSError:
            continue
        total += info.st_size if info.st_mtime >= since else 0
    return total


def _pages_since(ledger: Path, since: float) -> int:
    try:
        lines = ledger.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0
    total = 0
    for line in lines:
        try:
            entry = json.loads(line)
            total += int(entry["bytes"]) if float(entry["at"]) >= since else 0
        except (ValueError, KeyError, TypeError):  # a line cut by a crash: its bytes lost to the count, not the chat
            continue
    return total


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:HASH_CHARS]


def _kept_as(folder: Path) -> str:
    """The name a file with this content hash was first added under ("" when none was)."""
    kept = sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    return kept[0] if kept else ""


def _refusal(source: Path, settings: Settings, used: int) -> str:
    """Why ``source`` cannot be taken ("" when it can), before a byte of it is copied."""
    if source.suffix.lower() not in SUPPORTED_SUFFIXES:
        return f"unsupported file type {source.suffix or '(none)'!r} (use {FORMATS})"
    try:
        size = source.stat().st_size
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if size > settings.max_file_bytes:
        return f"larger than the {_megabytes(settings.max_file_bytes)} a file may have"
    allowance = settings.upload_max_bytes_per_day
    if used + size > allowance:
        left = _megabytes(max(0, allowance - used))
        return f"over this server's upload allowance ({_megabytes(allowance)} a day, {left} left); try again tomorrow"
    return ""


def stage(files: list[str], settings: Settings) -> tuple[list[Staged], list[Skip]]:
    """Copy the uploaded files to ``uploads/<content hash>/<name>``. Files no loader reads, files over the size or
    the day's allowance and files whose bytes were added before (under any name) are skipped by name, with why."""
    staged: list[Staged] = []
    skipped: list[Skip] = []
    used = uploaded_today(settings)
    for source in map(Path, files):
        if reason := _refusal(source, settings, used):
            skipped.append(Skip(source.name, reason))
            continue
        digest = _digest(source)
        folder = settings.data_dir / "uploads" / digest
        earlier = next((s.name for s in staged if s.digest == digest), "") or _kept_as(folder)
        if earlier:
            skipped.append(Skip(source.name, f"already added as {earlier}"))
            continue
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / source.name
        shutil.copyfile(source, target)
        used += target.stat().st_size
        staged.append(Staged(target, source.name, digest))
    return staged, skipped


class Adopter:
    """Claims the articles read from staged files: ids in the upload namespace (unless ``QA_UPLOAD_REPLACES``),
    the time they were added, and how many each file gave (a file that gave none is not kept)."""

    def __init__(self, staged: list[Staged], settings: Settings) -> None:
        self.by_path = {form: s for s in staged for form in s.forms()}
        self.replaces = settings.upload_replaces
        self.stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.articles: Counter[str] = Counter()

    def __call__(self, article: Article) -> Article:
        source = self.by_path.get(article.origin) or self.by_path.get(str(Path(article.origin).resolve()))
        if source is None:  # only staged files are ingested; kept for safety, never in the index's namespace
            raise QAError("An uploaded article came from a file that was not uploaded.")
        self.articles[source.digest] += 1
        own = f"{UPLOAD_ID_PREFIX}{source.digest}" + (f"#{article.record}" if article.record else "")
        return replace(article, id=article.id if self.replaces else own, uploaded=self.stamp)


def add_files(files: list[str], settings: Settings, progress=None, on_plan=None) -> UploadResult:
    """Index ``files`` as ``qa ingest`` would, in the upload namespace; never raises for a person's mistake (it is
    in the result, each file with its own reason)."""
    if len(files) > settings.upload_max_files:
        return UploadResult(None, (), _too_many(len(files), settings))
    staged, skipped = stage(files, settings)
    if not staged:
        error = "" if skipped and all(_is_duplicate(s) for s in skipped) else "None of these files can be added."
        return UploadResult(None, tuple(skipped), error)
    adopter = Adopter(staged, settings)
    try:
        summary = ingest([s.path for s in staged], settings, progress=progress, on_plan=on_plan, adopt=adopter)
    except QAError as exc:
        _discard(staged)  # nothing of this drop is indexed: the same files may be dropped again
        named = [_named(s, staged) for s in getattr(exc, "skipped", ())]
        return UploadResult(None, tuple(skipped + named), _error(exc, staged, settings))
    _discard([s for s in staged if not adopter.articles[s.digest]])  # files that gave no article are not kept
    summary.skipped = [_named(s, staged) for s in summary.skipped]
    summary.warnings = [_scrub(w, staged, settings) for w in summary.warnings]
    return UploadResult(summary, tuple(skipped + summary.skipped))


def _too_many(count: int, settings: Settings) -> str:
    return (
        f"{count:,} files dropped; at most {settings.upload_max_files:,} can be added at once "
        "(QA_UPLOAD_MAX_FILES): drop them in smaller groups, or index a folder with `qa ingest`."
    )


def _is_duplicate(skip: Skip) -> bool:
    return skip.reason.startswith("already added as ")


def _error(exc: QAError, staged: list[Staged], settings: Settings) -> str:
    if isinstance(exc, NothingToIngestError):
        return "No article could be read from these files; the reason for each is below."
    if isinstance(exc, WriterBusyError):
        return "Another ingest is writing to the index; try again in a minute."
    return _scrub(str(exc), staged, settings)


def _discard(staged: list[Staged]) -> None:
    for s in staged:
        s.path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # another file of the same content is kept there
            s.path.parent.rmdir()


def _named(skip: Skip, staged: list[Staged]) -> Skip:
    """``/data/uploads/<hash>/feed.jsonl:3`` -> ``feed.jsonl:3`` (the person's own file name), the reason too."""
    for s in staged:
        for form in s.forms():
            if skip.path == form or skip.path.startswith(form + ":"):
                return Skip(s.name + skip.path[len(form) :], _scrub(skip.reason, staged))
    return Skip(Path(skip.path).name, _scrub(skip.reason, staged))


def _scrub(message: str, staged: list[Staged], settings: Settings | None = None) -> str:
    """``message`` with every server path of this drop replaced by the person's file name (the data dir by
    "the index")."""
    for s in staged:
        for form in s.forms():
            message = message.replace(form, s.name)
    if settings is not None:
        message = message.replace(str(settings.data_dir.resolve()), "the index")
    return message


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
        if result.notes:
            parts.append(f'<ul class="qa-upload-pages">{"".join(f"<li>{text(n)}</li>" for n in result.notes)}</ul>')
        for warning in s.warnings:  # look-alike outlets: indexed under their own name, flagged
            parts.append(f'<p class="qa-upload-warn" role="alert">⚠ {text(warning[:1].upper() + warning[1:])}</p>')
    if result.skipped:
        items = "".join(f"<li><code>{text(s.path)}</code>: {text(s.reason)}</li>" for s in result.skipped)
        parts.append(f'<div class="qa-upload-skips"><p>Skipped {len(result.skipped):,}:</p><ul>{items}</ul></div>')
    return f'<div class="qa-upload-result">{"".join(parts)}</div>'
