"""The one place an `Article` is built from the fields any reader found (files, records, pages, feed entries)."""

from __future__ import annotations

import re

from ingest.article import Article
from ingest.clean import decode_entities
from qa.text.dates import to_iso
from qa.text.outlets import outlet_name

_SPACES = re.compile(r"\s+")


def clean_line(value: str) -> str:
    """Single-line metadata: whitespace folded, control characters gone."""
    return _SPACES.sub(" ", "".join(ch for ch in value if ch.isprintable() or ch.isspace())).strip()


def make_article(fields: dict[str, str], *, article_id: str, origin: str, record: str) -> Article:
    """The one place an `Article` is built from any format: HTML entities the source left encoded are decoded here
    (`ingest.clean.decode_entities`), in the body, title, outlet and author alike."""
    body = decode_entities(fields["body"].replace("\r\n", "\n").replace("\r", "\n")).strip()
    title = clean_line(decode_entities(fields.get("title", ""))) or clean_line(body[:80])
    return Article(
        id=article_id,
        title=title[:500],
        body=body,
        source=outlet_name(decode_entities(fields.get("source", "")))[:200],
        author=clean_line(decode_entities(fields.get("author", "")))[:300],
        published=to_iso(fields.get("published", "")),
        url=clean_line(fields.get("url", ""))[:2000],
        origin=origin,
        record=record,
    )
