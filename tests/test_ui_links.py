"""The chat's "Add articles" takes web addresses (issue 21, item 5): pages served on 127.0.0.1 are read through the
same ingest as ``qa ingest URL``, each address gets its line, an address already indexed is not fetched again, local
hosts are refused unless allowed, the day's allowance counts pages, and nothing typed crashes the chat."""

from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from corpora import ARTICLES

from ingest.index import ingest
from qa.core.settings import Settings
from qa.serve.live import LiveAssistant
from qa.serve.ui.links import add_urls, private_reason
from qa.serve.ui.uploads import result_html, uploaded_today

KILN = """<html><head><title>Brick kiln at Marsh End fired again</title>
<meta property="og:site_name" content="Marsh Herald"></head><body><article>
<h1>Brick kiln at Marsh End fired again</h1>
<p>The Victorian brick kiln at Marsh End was fired on Saturday for the first time since 1961, and its first load of
two thousand bricks will repair the village chapel, the kiln trust said.</p>
<p>Volunteers spent three years rebuilding the kiln's chimney from bricks salvaged from the old works.</p>
</article></body></html>"""


class Site(BaseHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        if self.path != "/kiln":
            self.send_error(404)
            return
        page = KILN.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture()
def live(tmp_path):
    """A chat's assistant over a one-article index that may add pages of 127.0.0.1 (the test site)."""
    news = tmp_path / "news"
    news.mkdir()
    shutil.copy(ARTICLES / "harbor-bridge.txt", news)
    settings = Settings(data_dir=tmp_path / "qa-data", embed_backend="onnx", upload_local_urls=True, fetch_interval=0)
    ingest([news], settings)
    assistant = LiveAssistant(settings).start(watch=False)
    yield assistant
    assistant.close()


def test_an_address_is_added_once_and_each_gets_its_line(live, site):
    settings = live.settings
    typed = f"  {site}/kiln#comments\n{site}/missing, not-a-page"
    result = add_urls(typed, settings, live.has_article)
    assert result.error == "" and result.summary.added == 1
    assert result.notes == (f"{site}/kiln: added “Brick kiln at Marsh End fired again”",)
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons[f"{site}/missing"].startswith("HTTP 404")
    assert reasons["not-a-page"] == "not a web address (http:// or https://)"
    html = result_html(result)
    assert "Added 1 article" in html and "Marsh End" in html and "HTTP 404" in html
    assert uploaded_today(settings) > 200  # the page's text counts against the day's allowance
    live.reload(force=True)  # what the callback does
    with live.generation() as assistant:
        answer = assistant.ask("When was the Marsh End kiln last fired before Saturday?")
    cited = answer.citations[0].passage
    assert cited.article_id == f"url:{site}/kiln" and cited.uploaded
    fetched = len(Site.requests)
    again = add_urls(f"{site}/kiln", settings, live.has_article)
    assert again.summary is None and again.error == "" and len(Site.requests) == fetched  # not fetched again
    assert again.skipped[0].reason == "already added (this address is in the index)"


def test_bad_input_and_local_hosts_are_refused_without_a_fetch(live, site, tmp_path):
    before = len(Site.requests)
    for typed in ("", "   ", "javascript:alert(1)", "ftp://example.org/a", "http://", "x" * 5000, "<script>"):
        result = add_urls(typed, live.settings, live.has_article)
        assert result.summary is None and result.error, typed
        assert "<script>" not in result_html(result)
    many = add_urls(" ".join(f"{site}/p{n}" for n in range(21)), live.settings, live.has_article)
    assert "at most 20" in many.error
    public_only = live.settings.model_copy(update={"upload_local_urls": False})
    local = add_urls(f"{site}/kiln", public_only, live.has_article)
    assert "local or private network address" in local.skipped[0].reason
    assert "intranet.example (10.1.2.3) is a local" in private_reason(
        "http://intranet.example/", resolve=lambda host: ["10.1.2.3"]
    )
    assert private_reason("http://[::1]:8080/") and not private_reason("https://93.184.215.14/")
    spent = live.settings.model_copy(update={"upload_max_bytes_per_day": 1})
    (spent.data_dir / "uploads").mkdir(parents=True, exist_ok=True)
    (spent.data_dir / "uploads" / "pages.jsonl").write_text('{"at": 9e99, "url": "x", "bytes": 5}\nbroken line\n')
    over = add_urls(f"{site}/kiln?again", spent, live.has_article)
    assert "allowance" in over.skipped[0].reason
    assert len(Site.requests) == before


def test_the_address_box_is_disabled_with_the_upload_control():
    import gradio as gr

    from qa.serve.ui.blocks import link_box

    with gr.Blocks():
        links, add = link_box(Settings(chroma_url="http://127.0.0.1:9"))
    assert links.interactive is False and add.interactive is False
