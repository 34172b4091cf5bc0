"""Throughput of the web path of ``qa ingest``: pages and feed entries per second against a local server.

Usage: ``python -P bench/fetch.py [--pages 200] [--embed] [--json]`` (``-P``: the script would otherwise shadow
the ``ingest`` package it times).

A ``ThreadingHTTPServer`` on 127.0.0.1 serves the first ``--pages`` MultiHop-RAG articles as news pages (title,
``og:`` metadata, navigation and footer around the paragraphs), and three feeds of them: RSS with the full text in
``content:encoded``, RSS with only a summary per entry, and Atom with full content. The rate limit is off
(``QA_FETCH_INTERVAL=0``); client and server share this machine's cores, so the figures are the client's and the
server's work together. Rows, each a fresh in-memory feed state (no entry known):
1. ``fetch only``: `ingest.web.Fetcher.fetch` of every page (HTTP, the checks, the body), nothing parsed;
2. ``pages``: ``load_paths`` of every page URL: fetch + trafilatura extraction into an `Article`;
3. ``RSS full text`` / ``Atom full text``: the feed fetched and parsed, every entry's content extracted (no page
   fetched);
4. ``RSS summaries``: the feed, then every entry's page fetched and extracted;
5. with ``--embed``: ``ingest()`` of the summary-only feed into a temporary data dir (ONNX backend), embedding
   included, then the same feed again (a 304: one request).
Embedding is excluded from rows 1-4.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ingest.article import Article
from ingest.feedstate import FeedBook
from ingest.load import load_paths
from ingest.web import Fetcher, FetchPolicy, Page
from qa.text.dates import to_iso

# not `common.MULTIHOP`: run with -P, this script cannot import its neighbours
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "multihop-rag" / "corpus.jsonl"
RSS_TYPE = "application/rss+xml"
PAGE = """<!doctype html><html><head><title>{title} | {source}</title>
<meta property="og:site_name" content="{source}"><meta property="og:title" content="{title}">
<meta property="article:published_time" content="{date}"></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<article><h1>{title}</h1>{body}</article><footer>About us. Contact. Privacy.</footer></body></html>"""


@dataclass
class Row:
    """One timed pass: how many items (pages or entries) went through, and how many became articles."""

    path: str
    items: int
    articles: int
    wall_s: float
    cpu_s: float

    @property
    def per_s(self) -> float:
        return self.items / self.wall_s if self.wall_s else 0.0


class Site(BaseHTTPRequestHandler):
    """Serves ``routes`` (path -> (content type, body)); answers 304 to a matching If-None-Match."""

    routes: dict[str, tuple[str, bytes]] = {}
    etag = '"bench"'

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        kind, body = self.routes.get(self.path, ("text/html", b"<p>not here</p>"))
        if self.headers.get("If-None-Match") == self.etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200 if self.path in self.routes else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", self.etag)
        self.end_headers()
        self.wfile.write(body)


def read_articles(count: int) -> list[dict]:
    with open(CORPUS, encoding="utf-8") as handle:
        return [json.loads(line) for _, line in zip(range(count), handle, strict=False)]


def paragraphs(body: str) -> str:
    return "".join(f"<p>{escape(part)}</p>" for part in body.split("\n") if part.strip())


def build_site(records: list[dict], base: str) -> None:
    """The pages and the three feeds of ``records``, into `Site.routes`."""
    routes: dict[str, tuple[str, bytes]] = {}
    items_full, items_brief, entries = [], [], []
    for number, record in enumerate(records):
        title, source, body = escape(record["title"]), escape(record["source"] or "Bench News"), record["body"]
        date = to_iso(record.get("published_at") or "") or "2023-11-27T08:00:00+00:00"
        page = PAGE.format(title=title, source=source, date=date, body=paragraphs(body))
        routes[f"/news/{number}"] = ("text/html; charset=utf-8", page.encode())
        link, stamp = f"{base}/news/{number}", format_datetime(datetime.fromisoformat(date))
        head = f"<title>{title}</title><link>{link}</link><guid>{link}</guid><pubDate>{stamp}</pubDate>"
        summary = f"<description>{escape(body[:200])}</description>"
        items_full.append(f"<item>{head}{summary}<content:encoded>{escape(paragraphs(body))}</content:encoded></item>")
        items_brief.append(f"<item>{head}{summary}</item>")
        entries.append(
            f'<entry><title>{title}</title><link href="{link}"/><id>{link}</id><updated>{date}</updated>'
            f'<content type="html">{escape(paragraphs(body))}</content></entry>'
        )
    routes["/full.rss"] = (RSS_TYPE, rss(items_full))
    routes["/brief.rss"] = (RSS_TYPE, rss(items_brief))
    atom = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>Bench Wire</title><id>urn:bench</id>{"".join(entries)}'
    routes["/full.atom"] = ("application/atom+xml", f'<?xml version="1.0"?>{atom}</feed>'.encode())
    Site.routes = routes


def rss(items: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/'
        f'content/"><channel><title>Bench News</title><link>http://bench.invalid/</link>{"".join(items)}'
        "</channel></rss>"
    ).encode()


def timed(path: str, items: int, run) -> Row:
    wall, cpu = time.perf_counter(), time.process_time()
    articles = run()
    return Row(path, items, articles, time.perf_counter() - wall, time.process_time() - cpu)


def loaded(urls: list[str], policy: FetchPolicy) -> int:
    return sum(isinstance(item, Article) for item in load_paths(urls, 10**8, policy, FeedBook()))


def fetch_only(urls: list[str], policy: FetchPolicy) -> int:
    with Fetcher(policy) as fetcher:
        return sum(isinstance(fetcher.fetch(url), Page) for url in urls)


def measure(count: int, embed: bool) -> list[Row]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    records = read_articles(count)
    build_site(records, base)
    policy = FetchPolicy(interval=0.0)
    pages = [f"{base}/news/{n}" for n in range(len(records))]
    loaded([pages[0]], policy)  # trafilatura and httpx imported outside the timings
    rows = [
        timed("fetch only (pages)", len(pages), lambda: fetch_only(pages, policy)),
        timed("pages: fetch + extract", len(pages), lambda: loaded(pages, policy)),
        timed("RSS full text: feed + extract", len(pages), lambda: loaded([f"{base}/full.rss"], policy)),
        timed("Atom full text: feed + extract", len(pages), lambda: loaded([f"{base}/full.atom"], policy)),
        timed("RSS summaries: feed + pages + extract", len(pages), lambda: loaded([f"{base}/brief.rss"], policy)),
    ]
    if embed:
        rows += embedded(f"{base}/brief.rss", len(pages))
    server.shutdown()
    server.server_close()
    return rows


def embedded(feed: str, count: int) -> list[Row]:
    from ingest.index import ingest
    from qa.core.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), embed_backend="onnx", fetch_interval=0.0)
        first = timed("RSS summaries: ingest() incl. embedding (onnx)", count, lambda: ingest([feed], settings).added)
        again = timed("the same feed again (304)", 1, lambda: ingest([feed], settings).added)
    return [first, again]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200, help="pages, and entries per feed (default 200)")
    parser.add_argument("--embed", action="store_true", help="also time ingest() of a feed, embedding included")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    rows = measure(args.pages, args.embed)
    if args.json:
        print(json.dumps([asdict(row) | {"per_s": round(row.per_s, 1)} for row in rows]))
        return
    print(f"python -P bench/fetch.py --pages {args.pages}{' --embed' if args.embed else ''}", file=sys.stderr)
    print("| path | items | articles | wall s | CPU s | items/s |\n|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row.path} | {row.items} | {row.articles} | {row.wall_s:.2f} | {row.cpu_s:.2f} | {row.per_s:.1f} |")


if __name__ == "__main__":
    main()
