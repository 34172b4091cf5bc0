"""`qa watch`: keep the index current. Folders and files are watched for file-system events (`watchfiles`); web
addresses (pages, feeds) are polled every ``--every`` (``QA_WATCH_EVERY``). Each cycle is one incremental
`ingest.index.ingest` of the targets that changed or are due, so it publishes exactly as ``qa ingest`` does (a
running chat swaps to the new index by itself) and is as crash-safe: a cycle killed half-way leaves ``pending``
articles the next run undoes. A cycle that fails (the writer lock held by another ingest, the store unreachable,
every page down) is reported and tried again after at most `MAX_RETRY` seconds.

Stopping: the first Ctrl-C or SIGTERM stops the loop between cycles (a cycle in progress finishes); a second one
abandons that cycle, which is safe for the same reason a kill is."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ingest.index import IngestSummary, ingest
from ingest.load import SUPPORTED_SUFFIXES
from ingest.web import is_url
from qa.core.errors import BadOptionError, NothingToIngestError, QAError
from qa.core.settings import Settings
from qa.serve.terminal import inert, ingest_line, render_ingest_notes

QUIET_MS = 500  # files of one burst (a folder copied in, a sync) arrive closer than this: they make one cycle
MAX_GROUP_MS = 10_000  # a steady trickle of files still starts a cycle within 10 s of its first file
TICK_SECONDS = 0.5  # how often the loop looks at the clock and the stop flag while nothing changes
MAX_RETRY = 60.0  # seconds before a failed cycle is tried again (sooner with a shorter --every)


@dataclass(frozen=True)
class Targets:
    """What one ``qa watch`` keeps current: local files and folders (as resolved paths) and web addresses."""

    local: tuple[Path, ...] = ()
    urls: tuple[str, ...] = ()

    @classmethod
    def parse(cls, items: list[str]) -> Targets:
        """``qa watch``'s arguments; a local path that does not exist is refused at once (exit 2)."""
        local, urls = [], []
        for item in dict.fromkeys(items):
            if is_url(item):
                urls.append(item)
                continue
            path = Path(item).expanduser()
            if not path.exists():
                raise BadOptionError(f"{item} does not exist; `qa watch` takes folders, files and http(s) addresses.")
            local.append(path.resolve())
        return cls(tuple(local), tuple(urls))

    def all(self) -> tuple[Path | str, ...]:
        return (*self.local, *self.urls)


@dataclass(frozen=True)
class Cycle:
    """One cycle: when it started, what it ingested, and its summary or why it failed."""

    started: datetime
    targets: tuple[Path | str, ...]
    summary: IngestSummary | None = None
    error: str = ""
    retry_in: float | None = None  # seconds until it is tried again (None: at the next change or poll)


def covers(target: Path, path: Path) -> bool:
    return path == target or target in path.parents


@dataclass
class Watcher:
    """The watch loop; `run` returns when `stop` is set. ``report`` is called after every cycle."""

    targets: Targets
    settings: Settings
    every: float
    report: Callable[[Cycle], None]
    clock: Callable[[], float] = time.monotonic
    stop: threading.Event = field(default_factory=threading.Event)
    in_cycle: bool = False
    last_error: str = ""  # of the last cycle ("" when it succeeded): the exit code says whether the index is current
    _retry: set = field(default_factory=set)
    _retry_at: float = 0.0
    _next_poll: float = 0.0

    def run(self) -> None:
        first = True  # a cycle of everything at start, once the notifier is listening: no file falls in between
        for changes in self._ticks():
            if self.stop.is_set():
                break
            due = {t for _, changed in changes for t in self.targets.local if covers(t, Path(changed))}
            due |= set(self.targets.all()) if first else self._timed()
            first = False
            if due:
                self._cycle(due)

    def _timed(self) -> set:
        now, due = self.clock(), set()
        if self.targets.urls and now >= self._next_poll:
            due |= set(self.targets.urls)
        if self._retry and now >= self._retry_at:
            due |= self._retry
        return due

    def _cycle(self, due: set) -> None:
        targets = tuple(t for t in self.targets.all() if t in due)  # in the order given
        started, now = datetime.now().astimezone(), self.clock()
        if any(t in due for t in self.targets.urls):
            self._next_poll = now + self.every
        self.in_cycle = True
        try:
            cycle = Cycle(started, targets, ingest(targets, self.settings))
        except NothingToIngestError as exc:  # an empty folder, every page down: waits for the next change or poll
            cycle = Cycle(started, targets, error=str(exc))
        except QAError as exc:  # the lock held by another ingest, the store unreachable: tried again soon
            cycle = Cycle(started, targets, error=str(exc), retry_in=min(self.every, MAX_RETRY))
        finally:
            self.in_cycle = False
        if cycle.retry_in is not None:
            self._retry |= due
            self._retry_at = now + cycle.retry_in
        else:
            self._retry -= due
        self.last_error = cycle.error
        self.report(cycle)

    def _ticks(self) -> Iterator[set[tuple[object, str]]]:
        """Batches of file changes under the local targets (empty every `TICK_SECONDS` when there are none),
        until `stop` is set."""
        if not self.targets.local:
            yield set()
            while not self.stop.wait(TICK_SECONDS):
                yield set()
            return
        import watchfiles  # only a watch of local paths needs its file-system notifier

        folders = {t if t.is_dir() else t.parent for t in self.targets.local}  # a file saved by rename stays seen
        yield from watchfiles.watch(
            *sorted(folders),
            watch_filter=ChangeFilter(self.targets.local, self.settings.data_dir),
            debounce=MAX_GROUP_MS,
            step=QUIET_MS,
            stop_event=self.stop,
            rust_timeout=int(TICK_SECONDS * 1000),
            yield_on_timeout=True,
            raise_interrupt=False,
        )


class ChangeFilter:
    """The changes a cycle is for: files a loader reads (or folders) under a target, not in the data dir (whose own
    writes would start a cycle after every cycle when it lies in a watched folder), not editors' or VCS litter."""

    def __init__(self, targets: tuple[Path, ...], data_dir: Path) -> None:
        from watchfiles import DefaultFilter

        self.targets, self.data_dir = targets, data_dir.resolve()
        self.default = DefaultFilter()

    def __call__(self, change, path: str) -> bool:
        where = Path(path)
        if covers(self.data_dir, where) or not self.default(change, path):
            return False
        if not any(covers(t, where) for t in self.targets):
            return False
        return where.suffix.lower() in SUPPORTED_SUFFIXES or not where.suffix or where.is_dir()


def watch_until_stopped(targets: Targets, settings: Settings, out, err) -> bool:
    """`qa watch`: cycles reported on ``out``/``err`` until Ctrl-C or SIGTERM; whether the last cycle succeeded."""
    watcher = Watcher(targets, settings, settings.watch_every, lambda cycle: render_cycle(cycle, out, err))
    stopping = "Stopping after this cycle (Ctrl-C again abandons it; the next run undoes what it began)."
    with stop_on_signals(watcher, lambda busy: err.print(stopping if busy else "Stopping.", highlight=False)):
        err.print(
            f"Watching {len(targets.all())} input(s) (web addresses every {settings.watch_every:g} s); Ctrl-C stops.",
            highlight=False,
        )
        watcher.run()
    return not watcher.last_error


def render_cycle(cycle: Cycle, out, err) -> None:
    """A cycle: its time and summary line on stdout, or its time and why it failed on stderr."""
    stamp = cycle.started.strftime("%Y-%m-%d %H:%M:%S")
    if cycle.summary is not None:
        render_ingest_notes(cycle.summary, err)
        out.print(f"{stamp} {ingest_line(cycle.summary)}", highlight=False, soft_wrap=True)
        out.file.flush()  # a pipe or a log file sees each cycle as it ends, not when a buffer fills
        return
    again = f"; trying again in {cycle.retry_in:g} s" if cycle.retry_in is not None else ""
    err.print(f"{stamp} [red]cycle failed[/red]: {inert(cycle.error)}{again}", highlight=False, soft_wrap=True)


@contextlib.contextmanager
def stop_on_signals(watcher: Watcher, on_stop: Callable[[bool], None]) -> Iterator[None]:
    """SIGINT and SIGTERM stop ``watcher`` between cycles (``on_stop(in_cycle)`` says so); a second one raises
    `KeyboardInterrupt` and so abandons the cycle in progress (safe: see the module docstring)."""

    def handle(signum, frame) -> None:
        if watcher.stop.is_set():
            raise KeyboardInterrupt
        watcher.stop.set()
        on_stop(watcher.in_cycle)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
