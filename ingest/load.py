"""Turn files and datasets into `Article` records; anything unreadable becomes a `Skip`, never an exception."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from ingest import feeds as feed
from ingest import walk
from ingest.article import UPLOAD_ID_PREFIX, Article
from ingest.build import clean_line, make_article
from ingest.decode import BOMS, decode
from ingest.feedstate import FeedBook
from ingest.html import parse_html
from ingest.text import parse_markdown, parse_text
from ingest.web import Fetcher, FetchPolicy, Page, Validators
from qa.core.types import Skip

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = (
    TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES | feed.FEED_SUFFIXES
)

# Field names used by common news datasets (NewsAPI, MultiHop-RAG, CC-News, ...), in order of preference.
TITLE_KEYS = ("title", "headline", "name")
BODY_KEYS = ("body", "text", "content", "article", "maintext", "description")
URL_KEYS = ("url", "link", "href")
SOURCE_KEYS = ("source", "outlet", "publisher", "site_name", "sitename", "domain")
AUTHOR_KEYS = ("author", "authors", "byline", "creator")
DATE_KEYS = ("published_at", "publishedAt", "published", "date", "pubDate", "date_publish", "datetime")
ID_KEYS = ("doc_id", "id", "article_id", "uuid", "guid")
LIST_KEYS = ("articles", "data", "items", "records", "results", "documents")
_SNIFF_BYTES = 8192  # enough to see a byte-order mark or the NUL bytes of binary data
_TOO_DEEP = "JSON nested too deeply to read"


def iter_input_files(paths: Iterable[Path | str]) -> Iterator[Path | str | Skip]:
    """Expand folders (recursively, hidden entries left out) into files, in a stable order; every path
    not read is a `Skip` naming why (see `ingest.walk`); web addresses pass through."""
    return walk.iter_input_files(paths, SUPPORTED_SUFFIXES)


def load_paths(
    paths: Iterable[Path | str],
    max_file_bytes: int,
    fetch: FetchPolicy | None = None,
    feeds: FeedBook | None = None,
) -> Iterator[Article | Skip | feed.FeedNote]:
    """Every article found under ``paths`` (files, folders, web pages and feeds fetched under ``fetch``, feeds
    remembered in ``feeds``); unreadable inputs come out as `Skip` and the rest goes on; each feed read ends with
    a `ingest.feeds.FeedNote`."""
    book = feeds or FeedBook()
    with contextlib.ExitStack() as stack:
        fetcher: Fetcher | None = None

        def fetch_url(url: str, validators: Validators | None = None) -> Page | Skip | str:
            nonlocal fetcher
            if fetcher is None:  # one client, and its per-host turns, for the run
                fetcher = stack.enter_context(Fetcher(fetch or FetchPolicy()))
            return fetcher.fetch(url, validators)

        for item in iter_input_files(paths):
            if isinstance(item, Skip):
                yield item
            elif isinstance(item, str):  # a web address (`ingest.web.is_url`): a page or a feed
                yield from feed.read_url(item, fetch_url, book)
            elif item.suffix.lower() in feed.FEED_SUFFIXES:
                yield from feed.read_feed_file(item, max_file_bytes, fetch_url, book)
            else:
                yield from load_file(item, max_file_bytes)


def load_file(path: Path, max_file_bytes: int) -> Iterator[Article | Skip]:
    """The articles of one file, chosen by its extension. JSON Lines are read one record at a time."""
    name = str(path)
    handle = walk.open_regular(path, max_file_bytes)
    if isinstance(handle, Skip):
        yield handle
        return
    suffix = path.suffix.lower()
    with handle:
        try:
            head = handle.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
            if suffix in JSONL_SUFFIXES and not head.startswith(tuple(b for b, _ in BOMS)) and b"\x00" not in head:
                yield from _records_from_jsonl(handle, name)
                return
            data = handle.read()
        except OSError as exc:
            yield Skip(name, f"cannot read: {exc.strerror or exc}")
            return
    text = decode(data)
    if isinstance(text, str) and not text.strip():
        yield Skip(name, "empty file")
        return
    if text is None:
        yield Skip(name, "binary or undecodable content")
        return
    if suffix in JSONL_SUFFIXES:  # UTF-16/32 lines, decoded as a whole first
        yield from _records_from_jsonl(io.BytesIO(text.encode("utf-8")), name)
    elif suffix in JSON_SUFFIXES:
        yield from _records_from_json(text, name)
    else:
        yield _article_from_document(text, suffix, name)


def _article_from_document(text: str, suffix: str, name: str) -> Article | Skip:
    if suffix in HTML_SUFFIXES:
        fields = parse_html(text)
    elif suffix in MARKDOWN_SUFFIXES:
        fields = parse_markdown(text)
    else:
        fields = parse_text(text)
    if fields is None or not fields.get("body", "").strip():
        return Skip(name, "no article text found")
    url = clean_line(fields.get("url", ""))
    article_id = f"url:{url}" if url else f"file:{Path(name).resolve()}"  # a URL survives moves and renames
    return make_article(fields, article_id=article_id, origin=name, record="")


def _records_from_jsonl(handle: BinaryIO, name: str) -> Iterator[Article | Skip]:
    """One record per line, read as it comes: memory holds one line, not the file. Only "\\n" ends a
    record (U+2028, U+0085, ... are legal inside JSON strings); a line that is not UTF-8 is decoded alone."""
    seen_text = False
    for number, raw in enumerate(handle, start=1):
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        if not raw.strip():
            continue
        seen_text = True
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            line = decode(raw)
        if line is None:
            yield Skip(f"{name}:{number}", "binary or undecodable content")
            continue
        del raw
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Skip(f"{name}:{number}", f"malformed JSON ({exc.msg})")
            continue
        except RecursionError:
            yield Skip(f"{name}:{number}", _TOO_DEEP)
            continue
        del line
        yield _article_from_record(record, name, number)
    if not seen_text:
        yield Skip(name, "empty file")


def _records_from_json(text: str, name: str) -> Iterator[Article | Skip]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Skip(name, f"malformed JSON at line {exc.lineno} ({exc.msg})")
        return
    except RecursionError:
        yield Skip(name, _TOO_DEEP)
        return
    if isinstance(data, dict):
        nested = next((data[k] for k in LIST_KEYS if isinstance(data.get(k), list)), None)
        records = nested if nested is not None else [data]
    elif isinstance(data, list):
        records = data
    else:
        yield Skip(name, "JSON is neither an object nor a list of objects")
        return
    if not records:
        yield Skip(name, "JSON holds no records")
        return
    for number, record in enumerate(records, start=1):
        yield _article_from_record(record, name, number)


def _article_from_record(record: Any, name: str, number: int) -> Article | Skip:
    where = f"{name}:{number}"
    if not isinstance(record, dict):
        return Skip(where, "record is not a JSON object")
    body = _first_text(record, BODY_KEYS)
    if not body.strip():
        return Skip(where, "record has no body text (body/text/content)")
    fields = {
        "title": _first_text(record, TITLE_KEYS),
        "body": body,
        "url": _first_text(record, URL_KEYS),
        "source": _first_text(record, SOURCE_KEYS),
        "author": _first_text(record, AUTHOR_KEYS),
        "published": _first_text(record, DATE_KEYS),
    }
    record_id = _first_text(record, ID_KEYS)
    if record_id.startswith(UPLOAD_ID_PREFIX):
        return Skip(where, f"record id {record_id[:80]!r}: ids starting {UPLOAD_ID_PREFIX!r} are reserved for uploads")
    if record_id:
        article_id = record_id
    elif fields["url"]:
        article_id = f"url:{fields['url']}"
    else:
        article_id = f"file:{Path(name).resolve()}#{number}"
    return make_article(fields, article_id=article_id, origin=name, record=str(number))


def _first_text(record: dict, keys: tuple[str, ...]) -> str:
    """The first non-empty value among ``keys``, flattened to text (lists joined, {"name": ...} unwrapped)."""
    for key in keys:
        value = record.get(key)
        if isinstance(value, dict):
            value = value.get("name") or value.get("title") or value.get("id")
        if isinstance(value, list):
            value = ", ".join(str(v.get("name", "") if isinstance(v, dict) else v) for v in value if v)
        if value is not None and not isinstance(value, dict | list) and str(value).strip():
            return str(value)
    return ""
