"""``qa ingest FEED``: RSS and Atom feeds served by a real HTTP server on 127.0.0.1 (started here, in a thread) or
read from a local file; entries with their full text read from the feed, the others' pages fetched; conditional
requests (ETag / Last-Modified) so an unchanged feed costs one 304; entries indexed already never fetched again."""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from corpora import QUICK_INGEST
from corpora import ask_json as ask
from typer.testing import CliRunner

from qa.core.settings import Settings
from qa.serve.cli import app

RSS_TYPE = "application/rss+xml"
START = datetime(2024, 5, 6, 7, 0, tzinfo=UTC)
WORDS = [
    "harbour",
    "council",
    "ferry",
    "bridge",
    "orchard",
    "quarry",
    "museum",
    "school",
    "library",
    "river",
    "market",
    "station",
    "tunnel",
    "lighthouse",
    "vineyard",
    "stadium",
    "hospital",
    "airport",
    "forest",
    "castle",
    "canal",
    "factory",
    "bakery",
    "theatre",
    "garden",
    "village",
    "island",
    "valley",
]
VERBS = [
    "reopened",
    "rebuilt",
    "closed",
    "expanded",
    "repaired",
    "repainted",
    "sold",
    "restored",
    "flooded",
    "inspected",
]


def story(number: int) -> str:
    """About 500 characters of news prose, different in every sentence from every other number's (the same
    sentence in many articles would be taken for page furniture and left out)."""
    pick = random.Random(number).choice
    sentences = [
        f"The {pick(WORDS)} of district {number} was {pick(VERBS)} on Monday after {number % 11 + 2} months of work.",
        f"Officials said the {pick(WORDS)} and the {pick(WORDS)} near plot {number * 7} would follow by {pick(WORDS)}.",
        f"About {number * 13 + 40} residents came to see the {pick(WORDS)} {pick(VERBS)} in district {number}.",
        f"A report numbered {number * 101} put the cost of the {pick(WORDS)} at {number + 3} million euros.",
        f"Work on the {pick(WORDS)} of district {number} resumes in spring, with {number % 5 + 2} crews on site.",
        f"Neighbours of the {pick(WORDS)} on road {number * 3 + 1} asked for a {pick(WORDS)} of their own.",
    ]
    return "<p>" + "</p><p>".join(sentences) + "</p>"


LIGHTHOUSE = """<p>The keeper of the Port Avel lighthouse, Maren Ostby, finished restoring its nineteenth-century
Fresnel lens on Monday after eleven months of work, the harbour board said.</p><p>Ostby cleaned and reset all 312
glass prisms by hand and replaced the brass frame that salt had eaten through. The restored lens throws its beam 22
nautical miles, four more than before the repair.</p><p>The lamp will be lit again on Friday night.</p>"""

PAGE = """<!doctype html><html><head><title>{title} | Valley Post</title>
<meta property="og:site_name" content="Valley Post"></head><body><nav>Home Sport Weather</nav>
<article><h1>{title}</h1>{body}</article><footer>Contact</footer></body></html>"""


def rss(title: str, items: list[dict]) -> bytes:
    """An RSS 2.0 feed; an item carries ``content`` (content:encoded) or only a ``summary`` (description)."""
    parts = []
    for item in items:
        text = f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>" if "content" in item else ""
        parts.append(
            f"<item><title>{escape(item['title'])}</title><link>{item['link']}</link>"
            f"<pubDate>{format_datetime(item['date'])}</pubDate><guid>{item['link']}</guid>"
            f"<description>{escape(item.get('summary', 'A short teaser.'))}</description>{text}</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title><link>http://example.invalid/</link><description>News</description>"
        f"{''.join(parts)}</channel></rss>"
    ).encode()


def atom(title: str, entries: list[dict]) -> bytes:
    parts = "".join(
        f'<entry><title>{escape(e["title"])}</title><link rel="alternate" href="{e["link"]}"/><id>{e["link"]}</id>'
        f"<updated>{e['date'].isoformat()}</updated><author><name>Ana Ruiz</name></author>"
        f'<content type="html">{escape(e["content"])}</content></entry>'
        for e in entries
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{escape(title)}'
        f"</title><id>urn:feed</id><updated>{START.isoformat()}</updated>{parts}</feed>"
    ).encode()


def items(base: str, numbers, *, full: bool = True) -> list[dict]:
    return [
        {
            "title": f"District {n} {random.Random(n).choice(WORDS)} reopens",
            "link": f"{base}/news/{n}",
            "date": START + timedelta(hours=n),
            **({"content": story(n)} if full else {"summary": f"District {n} news in brief."}),
        }
        for n in numbers
    ]


class Site(BaseHTTPRequestHandler):
    """Serves ``routes`` (path -> (content type, body, extra headers)), answering 304 to a request whose
    If-None-Match / If-Modified-Since matches the route's ETag / Last-Modified; records every request."""

    routes: dict[str, tuple[str, bytes, dict[str, str]]] = {}
    requests: list[tuple[str, int, dict[str, str]]] = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        route = self.routes.get(self.path)
        status = 200 if route else 404
        if route and self._unchanged(route[2]):
            status = 304
        type(self).requests.append((self.path, status, dict(self.headers)))
        if status == 304:
            self.send_response(304)
            self.end_headers()
            return
        kind, body, extra = route or ("text/html", b"<p>not here</p>", {})
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _unchanged(self, extra: dict[str, str]) -> bool:
        etag, since = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        if etag is not None:
            return etag == extra.get("ETag")
        return since is not None and since == extra.get("Last-Modified")


@pytest.fixture()
def site(monkeypatch, tmp_path):
    """The test site on a free port of 127.0.0.1 (no proxy, no rate limit); yields its base address."""
    for name, value in {**QUICK_INGEST, "QA_FETCH_INTERVAL": "0", "QA_FETCH_TIMEOUT": "5"}.items():
        monkeypatch.setenv(name, value)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    Site.routes, Site.requests = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def serve_pages(base: str, numbers) -> None:
    for n in numbers:
        html = PAGE.format(title=f"District {n} page", body=story(n))
        Site.routes[f"/news/{n}"] = ("text/html; charset=utf-8", html.encode(), {})


def qa(*args, data) -> tuple[dict, str]:
    """``qa ingest ... --json`` in this process: its summary and its stderr."""
    result = CliRunner().invoke(app, ["ingest", *map(str, args), "--data-dir", str(data), "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def test_rss_and_atom_entries_with_their_full_text_are_read_from_the_feed(site, tmp_path):
    Site.routes["/rss"] = (RSS_TYPE, rss("Valley Post", items(site, [1, 2])), {})
    lighthouse = {**items(site, [3])[0], "title": "Keeper restores the Fresnel lens", "content": LIGHTHOUSE}
    # served as plain XML: recognised by its <feed> root
    Site.routes["/atom"] = ("application/xml", atom("Coast Wire", [lighthouse, *items(site, [4])]), {})
    summary, stderr = qa(f"{site}/rss", f"{site}/atom", data=tmp_path / "data")
    assert (summary["added"], summary["skipped"]) == (4, [])
    assert [path for path, _, _ in Site.requests] == ["/rss", "/atom"]  # full text: no page fetched
    assert [(f["entries"], f["kept"]) for f in summary["feeds"]] == [(2, 0), (2, 0)]
    assert f"FEED {site}/rss: 2 entries" in stderr

    cited = ask(tmp_path / "data", "How many glass prisms did the lighthouse keeper reset?")["citations"][0]
    assert cited["url"] == f"{site}/news/3" and cited["article_id"] == f"url:{site}/news/3"
    assert "312 glass prisms" in cited["sentence"]
    assert cited["source"] == "Coast Wire" and cited["title"] == "Keeper restores the Fresnel lens"
    assert cited["published_at"].startswith("2024-05-06T10:00")


def test_summary_only_entries_have_their_pages_fetched_from_a_url_or_a_local_file(site, tmp_path):
    serve_pages(site, [5, 6, 7])
    Site.routes["/brief"] = (RSS_TYPE, rss("Valley Post Briefs", items(site, [5, 6, 404], full=False)), {})
    summary, _ = qa(f"{site}/brief", data=tmp_path / "data")
    assert summary["added"] == 2
    assert summary["skipped"] == [{"path": f"{site}/news/404", "reason": "HTTP 404 Not Found"}]
    assert [path for path, _, _ in Site.requests] == ["/brief", "/news/5", "/news/6", "/news/404"]

    local = tmp_path / "saved.rss"  # a feed saved to disk: its entries' pages are fetched all the same
    local.write_bytes(rss("Valley Post Briefs", items(site, [5, 7], full=False)))
    Site.requests = []
    summary, stderr = qa(local, data=tmp_path / "data")
    assert (summary["added"], summary["unchanged"]) == (1, 1)  # entry 5 is indexed: not fetched again
    assert [path for path, _, _ in Site.requests] == ["/news/7"]
    assert "1 of them indexed already" in stderr

    cited = ask(tmp_path / "data", "How many residents came to see it in district 7?")["citations"][0]
    assert cited["url"] == f"{site}/news/7" and "Contact" not in cited["excerpt"]
    assert cited["title"] == items(site, [7])[0]["title"]  # the entry's title, not the page's "... | Valley Post"
    assert cited["source"] == "Valley Post Briefs"


def test_a_malformed_feed_or_other_xml_is_a_named_skip(site, tmp_path):
    Site.routes["/broken"] = (RSS_TYPE, b'<?xml version="1.0"?>\n<rss version="2.0"><channel <<< &&& </rss>', {})
    Site.routes["/good"] = (RSS_TYPE, rss("Valley Post", items(site, [8])), {})
    sitemap = tmp_path / "sitemap.xml"
    sitemap.write_text('<?xml version="1.0"?><urlset><url><loc>http://example.invalid/</loc></url></urlset>')
    summary, stderr = qa(f"{site}/broken", sitemap, f"{site}/good", data=tmp_path / "data")
    assert summary["added"] == 1
    reasons = {s["path"]: s["reason"] for s in summary["skipped"]}
    assert reasons[f"{site}/broken"].startswith("malformed feed (") and "not well-formed" in reasons[f"{site}/broken"]
    assert reasons[str(sitemap)] == "not an RSS or Atom feed"
    assert f"skipped {site}/broken: malformed feed" in stderr


def test_an_unchanged_feed_costs_one_request_answered_304(site, tmp_path):
    feed = rss("Valley Post", items(site, [9, 10]))
    Site.routes["/etag"] = (RSS_TYPE, feed, {"ETag": '"v1"'})
    Site.routes["/dated"] = (RSS_TYPE, rss("Coast Wire", items(site, [11])), {"Last-Modified": "Mon, 06 May 2024"})
    first, _ = qa(f"{site}/etag", f"{site}/dated", data=tmp_path / "data")
    assert first["added"] == 3

    Site.requests = []
    again, stderr = qa(f"{site}/etag", f"{site}/dated", data=tmp_path / "data")
    assert [(path, status) for path, status, _ in Site.requests] == [("/etag", 304), ("/dated", 304)]
    assert Site.requests[0][2]["If-None-Match"] == '"v1"'
    assert Site.requests[1][2]["If-Modified-Since"] == "Mon, 06 May 2024"
    assert (again["added"], again["updated"], again["chunks_written"]) == (0, 0, 0)
    assert [f["not_modified"] for f in again["feeds"]] == [True, True]
    assert f"FEED {site}/etag: unchanged (304)" in stderr

    Site.requests = []  # --rebuild forgets the validators: the new index must get the entries again
    rebuilt, _ = qa(f"{site}/etag", "--rebuild", data=tmp_path / "data")
    assert rebuilt["added"] == 2 and "If-None-Match" not in Site.requests[0][2]


def test_a_200_entry_feed_is_read_whole_then_polled_for_one_304_then_only_new_entries_embedded(site, tmp_path):
    data = tmp_path / "data"
    pages, missing = range(190, 195), range(195, 200)  # summary-only entries: pages served, pages missing
    serve_pages(site, pages)
    entries = items(site, range(190)) + items(site, [*pages, *missing], full=False)
    Site.routes["/big"] = (RSS_TYPE, rss("Valley Post", entries), {"ETag": '"200"'})
    first, _ = qa(f"{site}/big", data=data)
    skipped = {s["path"]: s["reason"] for s in first["skipped"]}
    assert first["added"] + len(skipped) == 200 and first["added"] == 195
    assert skipped == {f"{site}/news/{n}": "HTTP 404 Not Found" for n in missing}

    Site.requests = []
    polled, _ = qa(f"{site}/big", data=data)
    assert [(path, status) for path, status, _ in Site.requests] == [("/big", 304)]
    assert (polled["added"], polled["chunks_written"]) == (0, 0)

    Site.routes["/big"] = (RSS_TYPE, rss("Valley Post", items(site, range(200, 210)) + entries), {"ETag": '"210"'})
    Site.requests = []
    grown, _ = qa(f"{site}/big", data=data)
    assert (grown["added"], grown["updated"], grown["unchanged"]) == (10, 0, 195)
    assert 10 <= grown["chunks_written"] <= 20  # only the new entries embedded (one or two chunks each)
    # the feed, and the pages that failed last time (tried again); never a page indexed already
    assert [path for path, _, _ in Site.requests] == ["/big", *(f"/news/{n}" for n in missing)]


def test_the_feed_state_is_written_whole_and_a_damaged_one_costs_only_a_full_request(site, tmp_path):
    data = tmp_path / "data"
    serve_pages(site, [12])
    Site.routes["/state"] = (RSS_TYPE, rss("Valley Post", items(site, [12], full=False)), {"ETag": '"s1"'})
    qa(f"{site}/state", data=data)
    state = Settings(data_dir=data).feed_state_file
    saved = json.loads(state.read_text())["feeds"][f"{site}/state"]
    assert saved["etag"] == '"s1"' and saved["entries"][f"{site}/news/12"]["id"] == f"url:{site}/news/12"
    assert [p.name for p in state.parent.iterdir() if p.name.endswith(".tmp")] == []

    state.write_text('{"version": 1, "feeds": {')  # cut short (a disk filled up, a copy interrupted)
    Site.requests = []
    again, _ = qa(f"{site}/state", data=data)
    assert [(path, status) for path, status, _ in Site.requests] == [("/state", 200)]  # entry 12 indexed: not fetched
    assert (again["added"], again["unchanged"]) == (0, 1)
    assert json.loads(state.read_text())["feeds"][f"{site}/state"]["etag"] == '"s1"'  # whole again

    remembered = json.loads(state.read_text())  # an entry remembered whose article is not indexed (a run undone)
    remembered["feeds"][f"{site}/state"]["entries"]["lost"] = {"id": "url:lost", "stamp": ""}
    state.write_text(json.dumps(remembered))
    Site.requests = []
    qa(f"{site}/state", data=data)
    assert [(path, status) for path, status, _ in Site.requests] == [("/state", 200)]  # not asked conditionally
