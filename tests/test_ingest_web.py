"""``qa ingest https://...``: web pages fetched from a real HTTP server on 127.0.0.1 (started here, in a thread),
read like HTML files, every failure named; the client is polite (User-Agent, per-host interval, caps)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from corpora import QUICK_INGEST
from corpora import ask_json as ask
from typer.testing import CliRunner

from ingest.load import load_paths
from ingest.web import USER_AGENT, FetchPolicy
from qa.serve.cli import app

TIMEOUT = 0.6  # QA_FETCH_TIMEOUT of these tests; the slow page answers after SLOW seconds
SLOW = 1.5
MAX_BYTES = 200_000  # QA_FETCH_MAX_BYTES of these tests; the huge pages are far past it
INTERVAL = 0.2  # QA_FETCH_INTERVAL of these tests

LIGHTHOUSE = """<!doctype html><html><head>
<title>Lighthouse keeper restores the Fresnel lens | Harbor Gazette</title>
<meta property="og:site_name" content="Harbor Gazette">
<meta property="og:title" content="Lighthouse keeper restores the Fresnel lens">
<meta property="article:published_time" content="2024-03-05T08:00:00Z">
<link rel="canonical" href="{base}/news/lighthouse">
</head><body><nav><a href="/">Home</a> <a href="/sport">Sport</a></nav><article>
<h1>Lighthouse keeper restores the Fresnel lens</h1>
<p>The keeper of the Port Avel lighthouse, Maren Ostby, finished restoring its nineteenth-century Fresnel lens on
Monday after eleven months of work, the harbour board said.</p>
<p>Ostby cleaned and reset all 312 glass prisms by hand and replaced the brass frame that salt had eaten through.
The restored lens throws its beam 22 nautical miles, four more than before the repair.</p>
<p>{extra}</p>
</article><footer>Contact us</footer></body></html>"""

ORCHARD = """<html><body><div>
<p>Volunteers planted four hundred apple trees in the old quarry at Tellin on Saturday, turning the dusty floor
into the town's first community orchard.</p>
<p>The saplings, all heritage varieties grafted at the village nursery, will bear their first fruit in about
five years, the organisers said. Anyone may pick from them.</p>
</div></body></html>"""


class Site(BaseHTTPRequestHandler):
    """The pages of the test site; records each request's path, User-Agent and time."""

    pages: dict[str, str] = {}
    requests: list[tuple[str, str, float]] = []

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        type(self).requests.append((self.path, self.headers.get("User-Agent", ""), time.monotonic()))
        base = f"http://127.0.0.1:{self.server.server_port}"
        if self.path in self.pages:
            self._send(200, "text/html; charset=utf-8", self.pages[self.path].replace("{base}", base).encode())
        elif self.path == "/slow":
            time.sleep(SLOW)
            self._send(200, "text/html", ORCHARD.encode())
        elif self.path.startswith("/loop"):  # /loop1 -> /loop2 -> /loop1 ...
            self.send_response(302)
            self.send_header("Location", "/loop2" if self.path == "/loop1" else "/loop1")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/away":  # to another host name of this machine
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{self.server.server_port}/orchard")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/report.pdf":
            self._send(200, "application/pdf", b"%PDF-1.7\n" + b"x" * 100)
        elif self.path == "/huge":  # no declared length: the cap must hold while it streams
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"<p>" + b"filler " * 10_000 + b"</p>")
            except OSError:  # the client hung up at the cap
                pass
        elif self.path == "/huge-declared":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(10**9))
            self.end_headers()
        else:
            self._send(404, "text/html", b"<p>not here</p>")

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def site():
    """The test site on a free port of 127.0.0.1; yields its base address."""
    Site.pages = {
        "/news/lighthouse": LIGHTHOUSE.replace("{extra}", "The lamp is lit again tonight."),
        "/orchard": ORCHARD,
    }
    Site.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture()
def env(monkeypatch, tmp_path):
    for name, value in {
        **QUICK_INGEST,
        "QA_FETCH_TIMEOUT": str(TIMEOUT),
        "QA_FETCH_MAX_BYTES": str(MAX_BYTES),
        "QA_FETCH_INTERVAL": str(INTERVAL),
    }.items():
        monkeypatch.setenv(name, value)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    return tmp_path / "data"


def qa(*args) -> tuple[dict, str]:
    """``qa ingest ... --json`` in this process: its summary and its stderr (the skip lines)."""
    result = CliRunner().invoke(app, ["ingest", *map(str, args), "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def test_pages_are_indexed_with_their_metadata_and_every_failure_is_named(site, env):
    failures = {
        f"{site}/missing": "HTTP 404 Not Found",
        f"{site}/slow": f"timed out after {TIMEOUT:g} s (QA_FETCH_TIMEOUT)",
        f"{site}/loop1": "too many redirects (more than 5)",
        f"{site}/report.pdf": "not HTML or a feed (application/pdf)",
        f"{site}/huge": f"larger than {MAX_BYTES:,} bytes (QA_FETCH_MAX_BYTES)",
        f"{site}/huge-declared": f"larger than {MAX_BYTES:,} bytes (QA_FETCH_MAX_BYTES)",
    }
    summary, stderr = qa(f"{site}/news/lighthouse#top", f"{site}/orchard", *failures, "--data-dir", env)
    assert summary["added"] == 2
    assert {s["path"]: s["reason"] for s in summary["skipped"]} == failures
    for url, reason in failures.items():
        assert f"skipped {url}: {reason}" in stderr

    cited = ask(env, "How many glass prisms did the lighthouse keeper reset?")["citations"][0]
    assert cited["url"] == f"{site}/news/lighthouse" and "312 glass prisms" in cited["sentence"]
    assert cited["title"] == "Lighthouse keeper restores the Fresnel lens"
    assert cited["source"] == "Harbor Gazette" and cited["published_at"].startswith("2024-03-05")
    assert "Home" not in cited["excerpt"] and "Contact us" not in cited["excerpt"]
    plain = ask(env, "How many apple trees did volunteers plant in the quarry?")["citations"][0]
    assert plain["url"] == f"{site}/orchard" and plain["article_id"] == f"url:{site}/orchard"
    assert plain["title"].startswith("Volunteers planted four hundred apple trees")


def test_the_client_is_polite(site, env):
    urls = [f"{site}/orchard", f"{site}/missing", f"{site}/news/lighthouse"]
    policy = FetchPolicy(max_bytes=MAX_BYTES, timeout=TIMEOUT, interval=INTERVAL)
    read = list(load_paths(urls, 10**6, policy))
    assert [type(item).__name__ for item in read] == ["Article", "Skip", "Article"]
    assert [path for path, _, _ in Site.requests] == ["/orchard", "/missing", "/news/lighthouse"]
    assert {agent for _, agent, _ in Site.requests} == {USER_AGENT} and USER_AGENT.startswith("newsqa/")
    times = [at for _, _, at in Site.requests]
    assert all(later - earlier >= INTERVAL * 0.95 for earlier, later in zip(times, times[1:], strict=False))


def test_a_refused_host_is_refused_at_every_redirect(site):
    """The chat refuses private hosts (`FetchPolicy.refuse`): a page that redirects to one is refused too."""
    refuse = lambda host: "localhost is not allowed" if host == "localhost" else ""  # noqa: E731
    policy = FetchPolicy(max_bytes=MAX_BYTES, timeout=TIMEOUT, interval=0, refuse=refuse)
    plain, away = list(load_paths([f"{site}/orchard", f"{site}/away"], 10**6, policy))
    assert type(plain).__name__ == "Article"
    assert type(away).__name__ == "Skip" and away.reason == "localhost is not allowed"
    assert [path for path, _, _ in Site.requests] == ["/orchard", "/away"]  # the redirect's target never asked


def test_a_page_again_is_unchanged_or_updated_and_a_folder_run_keeps_it(site, env, corpus):
    page = f"{site}/news/lighthouse"
    first, _ = qa(page, "--data-dir", env)
    assert first["added"] == 1
    again, _ = qa(page, "--data-dir", env)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 1)
    Site.pages["/news/lighthouse"] = LIGHTHOUSE.replace("{extra}", "A museum will show the old brass frame.")
    changed, _ = qa(page, "--data-dir", env)
    assert (changed["added"], changed["updated"]) == (0, 1)

    folder, _ = qa(corpus, "--data-dir", env)  # only a folder named: the page is not in it, and stays
    assert folder["removed"] == 0 and folder["added"] > 0
    del Site.pages["/news/lighthouse"]  # now a 404: skipped, and its article kept (a fetch may fail for a while)
    failed, _ = qa(page, corpus, "--data-dir", env)
    assert failed["removed"] == 0 and failed["unchanged"] == folder["added"]
    assert [s["reason"] for s in failed["skipped"]] == ["HTTP 404 Not Found"]
    answer = ask(env, "What will a museum show from the Port Avel lighthouse?")
    assert any(c["url"] == page and "museum will show" in c["excerpt"] for c in answer["citations"]), answer
