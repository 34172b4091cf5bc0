"""Adding articles from the chat by web address: pages (and feeds, which the ingest reads by their content) pasted
into "Add articles" go through the same `ingest.index.ingest` as ``qa ingest URL``, with the rules of files dropped
there (`qa.serve.ui.uploads`): every address gets a line (added, or skipped with why), and nothing a visitor types
can crash the chat.

The rules for addresses: at most ``QA_UPLOAD_MAX_FILES`` at once; only http(s) addresses of public hosts (a host
that is, or resolves to, a loopback, private, link-local or reserved address is refused: a visitor must not make
this server read its own network; ``QA_UPLOAD_LOCAL_URLS=true`` allows them, for a chat on a private network); the
bytes of the pages read count against ``QA_UPLOAD_MAX_BYTES_PER_DAY`` with the files (a line each in
``<data dir>/uploads/pages.jsonl``). A page's article id is its canonical address (``url:<address>``), as with
``qa ingest``: an address already in the index is "already added" and not fetched again (no visitor can make the
server re-read the index's pages), and a page whose canonical link turns out to be indexed is read as a refresh of
it (its text comes from the page itself, so it cannot forge what the index holds the way a file's claimed id could).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urldefrag, urlsplit

from ingest.article import Article
from ingest.index import ingest
from ingest.web import is_url, private_host, resolve_host
from qa.core.errors import NothingToIngestError, QAError, WriterBusyError
from qa.core.settings import Settings
from qa.core.types import Skip
from qa.serve.ui.uploads import PAGES_LEDGER, UploadResult, uploaded_today

SEPARATORS = re.compile(r"[\s,]+")  # addresses pasted one per line, or with spaces or commas between them
MAX_ADDRESS_CHARS = 2_000  # longer than any address browsers share; a paste of something else
SHOWN_CHARS = 80  # of a token that is not an address, in its skip line

LOCAL_NOTE = "; only public pages can be added here (QA_UPLOAD_LOCAL_URLS)"


def refuse_private(host: str, resolve: Callable[[str], list[str]] = resolve_host) -> str:
    """`ingest.web.FetchPolicy.refuse` for a visitor's addresses ("" for a public host): checked before the fetch and
    again before each redirect it leads to."""
    reason = private_host(host, resolve)
    return reason + LOCAL_NOTE if reason else ""


def private_reason(url: str, resolve: Callable[[str], list[str]] = resolve_host) -> str:
    """Why ``url``'s host is not a public one ("" when it is)."""
    return refuse_private(urlsplit(url).hostname or "", resolve)


class PageAdopter:
    """Marks the articles of the pages read as added from the chat, and remembers which address gave which."""

    def __init__(self) -> None:
        self.stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.articles: dict[str, Article] = {}

    def __call__(self, article: Article) -> Article:
        self.articles.setdefault(article.origin, article)
        return replace(article, uploaded=self.stamp)


def read_addresses(raw: str | None, settings: Settings, indexed: Callable[[str], bool]) -> tuple[list[str], list[Skip]]:
    """The addresses in what was typed that may be fetched, and every other token with why not."""
    wanted: list[str] = []
    skipped: list[Skip] = []
    for token in dict.fromkeys(t for t in SEPARATORS.split(raw or "") if t):
        url = urldefrag(token).url
        if len(token) > MAX_ADDRESS_CHARS or not is_url(token) or not urlsplit(url).hostname:
            skipped.append(Skip(token[:SHOWN_CHARS], "not a web address (http:// or https://)"))
        elif reason := "" if settings.upload_local_urls else private_reason(url):
            skipped.append(Skip(url, reason))
        elif indexed(f"url:{url}"):
            skipped.append(Skip(url, "already added (this address is in the index)"))
        else:
            wanted.append(url)
    return wanted, skipped


def add_urls(
    raw: str | None, settings: Settings, indexed: Callable[[str], bool], progress=None, on_plan=None
) -> UploadResult:
    """Index the pages at the addresses in ``raw`` as ``qa ingest URL`` would; never raises for a visitor's
    mistake (each address gets its line in the result)."""
    tokens = [t for t in SEPARATORS.split(raw or "") if t]
    if not tokens:
        return UploadResult(None, (), "Paste one or more web addresses (http:// or https://), one per line.")
    if len(tokens) > settings.upload_max_files:
        return UploadResult(
            None,
            (),
            f"{len(tokens):,} addresses; at most {settings.upload_max_files:,} can be added at once "
            "(QA_UPLOAD_MAX_FILES).",
        )
    wanted, skipped = read_addresses(raw, settings, indexed)
    if wanted and uploaded_today(settings) >= settings.upload_max_bytes_per_day:
        reason = "over this server's upload allowance (QA_UPLOAD_MAX_BYTES_PER_DAY); try again tomorrow"
        skipped += [Skip(url, reason) for url in wanted]
        wanted = []
    if not wanted:
        error = (
            ""
            if skipped and all(s.reason.startswith("already added") for s in skipped)
            else ("None of these addresses can be added.")
        )
        return UploadResult(None, tuple(skipped), error)
    adopter = PageAdopter()
    try:
        refuse = None if settings.upload_local_urls else refuse_private
        summary = ingest(wanted, settings, progress=progress, on_plan=on_plan, adopt=adopter, refuse_host=refuse)
    except NothingToIngestError as exc:
        error = "No article could be read from these addresses; the reason for each is below."
        return UploadResult(None, tuple(skipped + list(exc.skipped)), error)
    except WriterBusyError:
        return UploadResult(None, tuple(skipped), "Another ingest is writing to the index; try again in a minute.")
    except QAError as exc:
        return UploadResult(None, tuple(skipped), str(exc).replace(str(settings.data_dir.resolve()), "the index"))
    _record(settings, adopter.articles.values())
    notes = tuple(_note(url, adopter.articles[url], indexed) for url in wanted if url in adopter.articles)
    return UploadResult(summary, tuple(skipped + summary.skipped), notes=notes)


def _note(url: str, article: Article, indexed: Callable[[str], bool]) -> str:
    title = article.title or article.url
    if indexed(article.id):
        return f"{url}: already indexed as “{title}” ({article.url}); refreshed if the page changed"
    return f"{url}: added “{title}”"


def _record(settings: Settings, articles) -> None:
    """A ledger line per page read (its text's bytes), for the day's allowance; a failed write loses only the count."""
    now = time.time()
    lines = "".join(
        json.dumps({"at": now, "url": a.url, "bytes": len(a.body.encode("utf-8"))}) + "\n" for a in articles
    )
    ledger = settings.data_dir / "uploads" / PAGES_LEDGER
    with contextlib.suppress(OSError):  # the pages are indexed either way
        ledger.parent.mkdir(parents=True, exist_ok=True)
        with open(ledger, "a", encoding="utf-8") as handle:
            handle.write(lines)
