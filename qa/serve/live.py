"""A long-running reader beside `qa ingest`: answer from a private snapshot, swap to a new one after each ingest.

Chroma's embedded client is not process-safe: a server that kept the shared data dir open while
`qa ingest` writes to it would mix an old in-memory vector index with new rows in SQLite. So the
server never reads the shared ``chroma/`` folder directly: it answers every question from a snapshot
(`qa.store.snapshots`: the search arrays linked under the writer lock). A watcher polls the arrays'
version file that every changing ingest replaces atomically as its last step; when it changes and the
writer lock is free, a new snapshot is taken, warmed up and swapped in. Questions already running
finish on the old snapshot, which is then closed and deleted. During an ingest nothing changes for
readers. With a Chroma server (``QA_CHROMA_URL``) the server is the consistent shared state: no snapshot.

Files added from the chat are indexed in this process (`adding`), and their snapshot is swapped in before the
upload's callback returns; a question asked meanwhile waits for them (`wait_for_uploads`), so it is answered from
the articles just dropped, not from the index before them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from qa.answer.assistant import Assistant
from qa.answer.llm import Generator
from qa.core.errors import QAError, StoreError
from qa.core.memory import give_back
from qa.core.settings import Settings
from qa.store.snapshots import IngestRunning, Snapshot, corpus_signature, remove_stale, take_snapshot
from qa.store.stats import CorpusStats, arrays_stats
from qa.text.language import pipeline

log = logging.getLogger(__name__)
# `warm_up_later` builds the article texts after the first answer, or after this long without a question: about
# what a first visitor takes to read the page and type a question; the texts' seconds of work are done by then
TEXTS_WAIT = 10.0


@dataclass
class Generation:
    """One consistent copy of the index, the assistant reading it, and what it holds."""

    assistant: Assistant
    signature: tuple[int, int] | None
    snapshot: Snapshot | None  # None when reading the shared store directly (a Chroma server)
    stats: CorpusStats
    articles: tuple[tuple[str, str, str], ...]  # (title, outlet, published) of every article
    users: int = 0
    retired: bool = False
    ids: frozenset[str] = frozenset()  # every article's id


class LiveAssistant:
    """Always one consistent, current-enough `Assistant`: ``with live.generation() as assistant:`` answers
    from it, kept alive until the block ends even if a newer one is swapped in meanwhile."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.snapshots = settings.chroma_url is None
        self._swap = threading.Lock()
        self._reload = threading.Lock()
        self._current: Generation | None = None
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._failed: tuple[int, int] | None = None  # an ingest whose index could not be opened: not retried
        self._uploads = threading.Condition()
        self._uploading = 0  # files added from the chat that are being indexed now
        self._answered = threading.Event()  # a question was answered (or failed): `warm_up_later` may build texts
        self.generator = Generator(settings)  # one model client for every snapshot: QA_LLM_CONCURRENCY in total

    # ---- lifecycle ----------------------------------------------------------------------------

    def start(self, watch: bool = True, *, defer: bool = False) -> LiveAssistant:
        """Open the first snapshot (waiting for a running ingest) and start watching for new ones. With ``defer``
        (the chat), the English pipeline and the article texts wait for `warm_up_later` (once it listens)."""
        remove_stale(self.settings)
        if not self.reload(force=True, defer=defer):
            log.warning("`qa ingest` is writing to %s: waiting for it to finish.", self.settings.data_dir)
            while not self.reload(force=True, defer=defer):
                time.sleep(0.5)
        if watch and self.snapshots:
            self._watcher = threading.Thread(target=self._watch, name="qa-index-watcher", daemon=True)
            self._watcher.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        with self._swap:
            old, self._current = self._current, None
        if old is not None:
            self._retire(old)

    def _watch(self) -> None:
        while not self._stop.wait(self.settings.reload_interval):
            signature = corpus_signature(self.settings)
            if signature == self._failed:
                continue
            try:
                self.reload()
            except Exception:  # noqa: BLE001 - keep serving the current snapshot until the next ingest
                self._failed = signature
                log.exception("Could not open the new index; still answering from the previous one.")

    # ---- reading ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def generation(self) -> Iterator[Assistant]:
        """The current generation's assistant, kept alive (not deleted) until the caller is done with it."""
        with self._swap:
            gen = self._current
            if gen is None:
                raise StoreError("The assistant is shutting down.")
            gen.users += 1
        try:
            yield gen.assistant
        finally:
            self._answered.set()
            with self._swap:
                gen.users -= 1
                done = gen.retired and gen.users == 0
            if done:
                self._dispose(gen)

    def _now(self) -> Generation:
        with self._swap:
            if self._current is None:
                raise StoreError("The assistant is shutting down.")
            return self._current

    def warm_up_later(self) -> threading.Thread:
        """What `start` deferred, in a background thread, once the chat listens: the English pipeline (a second,
        which a question asked meanwhile waits for: `qa.text.language.pipeline`), then, once the first question is
        answered (or after `TEXTS_WAIT` s), the current generation's article texts (`Searcher.prepare_windows`:
        seconds of pure-Python work that, beside the first question, slowed its answer from 0.5 to 2-3 s)."""

        def run() -> None:
            try:
                pipeline()
                self._answered.wait(TEXTS_WAIT)
                if not self._stop.is_set():
                    self._now().assistant.searcher.prepare_windows()
            except QAError:  # a broken install (the first question says so) or the chat closing
                log.warning("Could not finish warming up.", exc_info=True)

        thread = threading.Thread(target=run, name="qa-warm-up", daemon=True)
        thread.start()
        return thread

    def stats(self) -> CorpusStats:
        """What the current generation holds (read when it was opened)."""
        return self._now().stats

    def articles(self) -> list[tuple[str, str, str]]:
        """(title, outlet, published) of every article of the current generation."""
        return list(self._now().articles)

    def has_article(self, article_id: str) -> bool:
        """Whether the current generation holds the article ``article_id``."""
        return article_id in self._now().ids

    # ---- files added from the chat -------------------------------------------------------------

    @contextlib.contextmanager
    def adding(self, files: int) -> Iterator[None]:
        """Around indexing ``files`` dropped in the chat and swapping in their snapshot: questions wait for it."""
        with self._uploads:
            self._uploading += files
        try:
            yield
        finally:
            with self._uploads:
                self._uploading -= files
                self._uploads.notify_all()

    def uploading(self) -> int:
        """How many files added from the chat are being indexed now (0: the current snapshot has them all)."""
        with self._uploads:
            return self._uploading

    def wait_for_uploads(self, timeout: float) -> bool:
        """Wait until no file added from the chat is being indexed; False if some still are after ``timeout`` s."""
        with self._uploads:
            return self._uploads.wait_for(lambda: self._uploading == 0, timeout=timeout)

    # ---- swapping -----------------------------------------------------------------------------

    def reload(self, force: bool = False, *, defer: bool = False) -> bool:
        """Swap in a fresh snapshot if an ingest finished since the last one; False while an ingest is running."""
        with self._reload:
            signature = corpus_signature(self.settings)
            current = self._current
            if not force and current is not None and current.signature == signature:
                return True
            try:
                gen = self._open(signature, defer=defer)
            except IngestRunning:
                return False
            with self._swap:
                old, self._current = self._current, gen
            if old is not None:
                self._retire(old)
            log.info("Answering from corpus version %s.", gen.stats.corpus_version)
            return True

    def _open(self, signature: tuple[int, int] | None, *, defer: bool = False) -> Generation:
        snapshot = take_snapshot(self.settings) if self.snapshots else None
        assistant = Assistant(snapshot.settings if snapshot else self.settings, self.generator)
        try:
            corpus = assistant.searcher.current()
            stats = arrays_stats(corpus.arrays, assistant.settings)
            articles = tuple(corpus.articles)
            ids = frozenset(a.row.article_id for a in corpus.arrays.articles())
            if stats.chunks:
                # the vectors and BM25 now, not on a user's question; the rest (spaCy, texts) may wait: `warm_up_later`
                assistant.warm_up(long_lived=not defer)
                if not defer:
                    assistant.searcher.prepare_windows()
        except Exception:
            _close(assistant)
            if snapshot is not None:
                snapshot.drop()
            raise
        signature = snapshot.signature if snapshot else signature
        return Generation(assistant, signature, snapshot, stats, articles, ids=ids)

    def _retire(self, gen: Generation) -> None:
        with self._swap:
            gen.retired = True
            done = gen.users == 0
        if done:
            self._dispose(gen)

    @staticmethod
    def _dispose(gen: Generation) -> None:
        _close(gen.assistant)
        if gen.snapshot is not None:
            gen.snapshot.drop()
        give_back()  # its corpus is freed: the pages go back to the system, else RSS grows with every swap


def _close(assistant: Assistant) -> None:
    """Release the snapshot's Chroma client (its SQLite handles and in-memory vectors)."""
    try:
        assistant.close()
    except QAError:  # the snapshot is being thrown away: a failed close only delays freeing memory
        log.warning("Could not close a retired snapshot's store cleanly.", exc_info=True)
