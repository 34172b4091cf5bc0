"""RSS and Atom feeds named on ``qa ingest`` (a web address or a local .xml/.rss/.atom file), read with
``feedparser``. A feed is recognised by its content: a feed content type, or an ``rss``/``feed``/``rdf:RDF`` root
element. Each entry becomes an article: title, outlet (the entry's ``<source>``, else the feed's title), date
(published, else updated), URL (the entry's link, its id ``url:<link>`` like a page's). An entry carrying its full
text (``content:encoded`` / Atom ``content`` of at least `MIN_CONTENT_CHARS` once extracted, the same trafilatura
extraction as pages) is read from the feed; an entry with only a summary has its page fetched with the run's polite
client (`ingest.web.Fetcher`, the same skips as a page named directly) unless it is indexed already
(`ingest.feedstate.FeedBook.known`). A feed asked again sends its validators; a 304 reads nothing."""

from __future__ import annotations

import contextlib
import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from ingest import walk
from ingest.article import Article
from ingest.build import clean_line, make_article
from ingest.decode import decode
from ingest.feedstate import FeedBook, Remembered
from ingest.html import parse_html
from ingest.web import FEED_TYPES, HTML_TYPES, NOT_MODIFIED, Page, Validators, canonical_url, is_url
from qa.core.types import Skip

FEED_ROOTS = frozenset({"rss", "feed", "rdf"})  # RSS 0.9x/2.0, Atom, RSS 1.0 (rdf:RDF), lower-cased local names
# an entry's content shorter than this once extracted is a teaser (a sentence or two, as feeds put in
# content:encoded when they keep the story on their site), and its page is fetched instead
MIN_CONTENT_CHARS = 400
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom"})
_SNIFF_BYTES = 4096  # the root element follows an XML declaration, comments and a doctype: well within this
_PROLOG = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", re.S | re.I)
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")

FetchUrl = Callable[..., "Page | Skip | str"]  # (url, validators=None): the run's `ingest.web.Fetcher.fetch`


@dataclass(frozen=True)
class FeedNote:
    """What one feed gave in a run, for the summary: its entries, how many were indexed already (not fetched
    again), or that it was unchanged (HTTP 304, nothing read)."""

    feed: str
    entries: int = 0
    kept: int = 0
    not_modified: bool = False

    def __str__(self) -> str:
        if self.not_modified:
            return f"{self.feed}: unchanged (304)"
        return f"{self.feed}: {self.entries} entries, {self.kept} of them indexed already (not fetched again)"

    def to_json(self) -> dict:
        return {"feed": self.feed, "entries": self.entries, "kept": self.kept, "not_modified": self.not_modified}


@dataclass(frozen=True)
class Entry:
    """One feed entry: its link (""), date stamp as given (to see it change), metadata fields and full text ("")."""

    number: int
    link: str
    stamp: str
    fields: dict[str, str]
    text: str
    guid: str = ""


def is_feed(data: bytes, kind: str) -> bool:
    """Whether a document is a feed: served with a feed content type, or with an rss, feed or rdf:RDF root."""
    if kind in FEED_TYPES:
        return True
    head = _PROLOG.sub(b"", data[:_SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf"))
    root = _ROOT.search(head)
    return root is not None and root.group(1).decode("ascii").lower() in FEED_ROOTS


def read_url(url: str, fetch: FetchUrl, book: FeedBook) -> Iterator[Article | Skip | FeedNote]:
    """A web address named on ``qa ingest``: a page, a feed (its entries), or why neither."""
    got = fetch(url, book.validators(url))
    if got is NOT_MODIFIED:  # the book keeps the feed's record as it was
        yield FeedNote(url, not_modified=True)
    elif isinstance(got, Skip):
        yield got
    elif is_feed(got.data, got.kind):
        yield from read_feed(got.data, url, fetch, book, base=got.url, validators=got.validators)
    elif got.kind in HTML_TYPES:
        yield article_from_page(got, url)
    else:
        yield Skip(url, f"not HTML or a feed ({got.kind})")


def read_feed_file(path: Path, max_bytes: int, fetch: FetchUrl, book: FeedBook) -> Iterator[Article | Skip | FeedNote]:
    """A local feed file (.xml, .rss, .atom); its entries' pages are fetched like a web feed's."""
    handle = walk.open_regular(path, max_bytes)
    if isinstance(handle, Skip):
        yield handle
        return
    try:
        with handle:
            data = handle.read()
    except OSError as exc:
        yield Skip(str(path), f"cannot read: {exc.strerror or exc}")
        return
    if not is_feed(data, ""):
        yield Skip(str(path), "not an RSS or Atom feed")
        return
    yield from read_feed(data, str(path), fetch, book, key=str(path.resolve()))


def read_feed(
    data: bytes,
    where: str,
    fetch: FetchUrl,
    book: FeedBook,
    *,
    base: str = "",
    validators: Validators | None = None,
    key: str = "",
) -> Iterator[Article | Skip | FeedNote]:
    """The articles of a feed's entries (a `Skip` for each that cannot be read), then a `FeedNote`; the ``book``
    (under ``key``, default ``where``) learns the feed's validators and the entries read."""
    key = key or where
    parsed = parse_feed(data, where, base)
    if isinstance(parsed, Skip):
        yield parsed
        return
    title, entries = parsed
    read: dict[str, Remembered] = {}
    kept = 0
    for entry in entries:
        if isinstance(entry, Skip):
            yield entry
            continue
        known = None if entry.text else book.known(key, entry.link, entry.stamp)
        if known is not None:
            read[entry.link], kept = known, kept + 1
            continue
        article = entry_article(entry, title, where, fetch)
        if isinstance(article, Article):
            read[entry.link or article.id] = Remembered(article.id, entry.stamp)
        yield article
    book.remember(key, validators, read)
    yield FeedNote(where, len(entries), kept)


def article_from_page(page: Page, named: str, given: dict[str, str] | None = None) -> Article | Skip:
    """The article of a fetched web page, read like an HTML file (``given`` fields, a feed entry's title, date and
    outlet, win over the page's own); its id is its canonical address (`ingest.web.canonical_url`), so fetching it
    again finds it unchanged or updated."""
    text = _page_text(page)
    if text is None:
        return Skip(named, "binary or undecodable content")
    fields = parse_html(text, url=page.url)
    if fields is None or not fields.get("body", "").strip():
        return Skip(named, "no article text found")
    fields |= {name: value for name, value in (given or {}).items() if value and name not in ("body", "url")}
    fields["url"] = canonical_url(clean_line(fields.get("url", "")), page.url)
    return make_article(fields, article_id=f"url:{fields['url']}", origin=named, record="")


def _page_text(page: Page) -> str | None:
    """The page decoded with the charset its headers declare, else as a file is (`decode`)."""
    if page.charset:
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            return page.data.decode(page.charset)
    return decode(page.data)


def parse_feed(data: bytes, where: str, base: str = "") -> tuple[str, list[Entry | Skip]] | Skip:
    """The feed's title and entries, or why it is no feed. A feed ``feedparser`` reads only loosely (``bozo``)
    is still read when it yields entries; one that yields none is skipped with the parser's reason."""
    import feedparser  # only when a feed is read

    # a stream, never the bytes: feedparser would take a string that looks like an address or a path and open it
    parsed = feedparser.parse(io.BytesIO(data), response_headers={"content-location": base} if base else None)
    if not parsed.entries:
        if parsed.get("bozo"):
            return Skip(where, f"malformed feed ({_reason(parsed.get('bozo_exception'))})")
        if not parsed.get("version"):
            return Skip(where, "not an RSS or Atom feed")
    about = parsed.feed
    title = about.get("title", "") or urlsplit(about.get("link", "") or base).hostname or ""
    return title, [_entry(raw, number, where) for number, raw in enumerate(parsed.entries, start=1)]


def _reason(exc: object) -> str:
    text = " ".join(str(exc or "").split())
    return text[:200] or type(exc).__name__


def _entry(raw: dict, number: int, where: str) -> Entry | Skip:
    link = str(raw.get("link", "")).strip()
    link = urldefrag(link).url if is_url(link) else ""
    # plain dict reads: feedparser's own get() maps a missing "updated" to "published" with a warning
    dated = dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed")
    fields = {
        "title": raw.get("title", ""),
        "author": raw.get("author", ""),
        "published": time.strftime("%Y-%m-%dT%H:%M:%SZ", dated) if dated else "",
        "source": (raw.get("source") or {}).get("title", ""),
    }
    text = _full_text(raw, link)
    if not link and not text:
        name = fields["title"][:80] or f"number {number}"
        return Skip(f"{where}: entry {name!r}", "only a summary, and no link to the article")
    stamp = str(dict.get(raw, "updated") or dict.get(raw, "published") or "")
    return Entry(number, link, stamp, fields, text, str(raw.get("id", "")))


def _full_text(raw: dict, link: str) -> str:
    """The entry's content as text when it is the whole story (at least `MIN_CONTENT_CHARS`), else ""."""
    for content in raw.get("content") or ():
        value = content.get("value", "")
        if "html" in content.get("type", "html"):
            page = f"<html><body><article>{value}</article></body></html>"
            fields = parse_html(page, url=link or None, metadata=False)
            value = fields["body"] if fields else ""
        if len(value.strip()) >= MIN_CONTENT_CHARS:
            return value
    return ""


def entry_article(entry: Entry, feed_title: str, where: str, fetch: FetchUrl) -> Article | Skip:
    """The article of one entry: from its own text, else from its page (fetched)."""
    given = {name: value for name, value in entry.fields.items() if value}
    if feed_title:
        given.setdefault("source", feed_title)
    if entry.text:
        fields = {**given, "body": entry.text, "url": entry.link}
        if entry.link:
            return make_article(fields, article_id=f"url:{entry.link}", origin=entry.link, record="")
        article_id = f"feed:{where}#{entry.guid or entry.number}"
        return make_article(fields, article_id=article_id, origin=where, record=str(entry.number))
    page = fetch(entry.link)
    if isinstance(page, Skip):
        return page
    if page.kind not in HTML_TYPES or is_feed(page.data, page.kind):
        return Skip(entry.link, f"not HTML ({page.kind})")
    return article_from_page(page, entry.link, given)
