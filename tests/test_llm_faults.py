"""Issue 24, generation faults: whatever a model server sends — a body trickled a byte a second, only SSE
keep-alive comments, invalid JSON, an HTML page, a 5 MB answer — `qa ask --llm`, ``/ask`` and the chat give the
extractive answer with one notice line within QA_LLM_TIMEOUT (plus a little); slow model calls do not hold up
plain questions; ``llm="false"`` means false; and importing the CLI does not load the model client."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from corpora import ARTICLES, serve_copy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage

from ingest.index import ingest
from qa.answer.assistant import Assistant
from qa.answer.llm import Generator
from qa.core.errors import BadQuestionError, LLMError
from qa.core.settings import Settings
from qa.search.validate import check_options

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
BRIDGE = "How much money did the Harbor City council approve to repair the Old Mill Bridge?"
ANSWER = "[1] The Harbor City council approved $40 million to repair the Old Mill Bridge."
CLI_TIMEOUT = 3.0  # QA_LLM_TIMEOUT of the CLI runs
SERVED_TIMEOUT = 5.0  # of the served app: long enough for plain questions to be seen answered beside slow ones
SLACK = 5.0  # seconds beyond the timeout for retrieval, the checker and two shared, busy cores
TRICKLE_EVERY = 1.0  # seconds between the bytes of a trickled reply
PING_EVERY = 0.5  # seconds between keep-alive comments
HUGE_BYTES = 5 * 1024 * 1024
FAULTS = ("trickle", "trickle-headers", "ping", "invalid-json", "html", "huge")
NOTICE = {
    "trickle": f"did not answer within {CLI_TIMEOUT:g} s",
    "trickle-headers": f"did not answer within {CLI_TIMEOUT:g} s",
    "ping": f"did not answer within {CLI_TIMEOUT:g} s",
    "invalid-json": "sent a reply that could not be read",
    "html": "sent a reply that could not be read",
    "huge": "larger than an answer of",
}


def completion(text: str) -> bytes:
    message = {"role": "assistant", "content": text}
    choice = {"index": 0, "message": message, "finish_reason": "stop"}
    data = {"id": "c1", "object": "chat.completion", "created": 0, "model": "fake", "choices": [choice]}
    return json.dumps(data).encode()


def event(text: str) -> bytes:
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": None}
    data = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "fake", "choices": [choice]}
    return f"data: {json.dumps(data)}\n\n".encode()


class FakeModel:
    """An OpenAI-compatible server on 127.0.0.1 that lists one model and answers chat completions as ``mode``
    says: ``ok``, one of `FAULTS`, or ``scripted`` (``script``: status, content type, body pieces, delay)."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.script: tuple[int, str, list[bytes], float] = (200, "application/json", [completion(ANSWER)], 0.0)
        self.completions = 0
        self.stopping = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                self.reply(200, "application/json", json.dumps({"object": "list", "data": [{"id": "fake"}]}).encode())

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.completions += 1
                with contextlib.suppress(OSError):  # the client gave up: that is the point
                    getattr(fake, "reply_" + fake.mode.replace("-", "_"))(self, bool(body.get("stream")))
                self.close_connection = True

            def reply(self, status: int, kind: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def events(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                pass  # a client hanging up on a trickle is expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeModel:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def reply_ok(self, handler, stream: bool) -> None:
        if not stream:
            handler.reply(200, "application/json", completion(ANSWER))
            return
        handler.events()
        for word in ANSWER.split(" "):
            handler.wfile.write(event(word + " "))
        handler.wfile.write(b"data: [DONE]\n\n")

    def reply_trickle(self, handler, stream: bool) -> None:
        body = completion(ANSWER)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.flush()
        self._drip(handler, body)

    def reply_trickle_headers(self, handler, stream: bool) -> None:
        self._drip(handler, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: " + b"a" * 1000)

    def _drip(self, handler, data: bytes) -> None:
        for i in range(len(data)):
            if self.stopping.wait(TRICKLE_EVERY):
                return
            handler.wfile.write(data[i : i + 1])
            handler.wfile.flush()

    def reply_ping(self, handler, stream: bool) -> None:
        handler.events()
        while not self.stopping.wait(PING_EVERY):
            handler.wfile.write(b": ping\n\n")
            handler.wfile.flush()

    def reply_invalid_json(self, handler, stream: bool) -> None:
        handler.reply(200, "application/json", b'{"choices": [{"message": {"content": "[1] The council')

    def reply_html(self, handler, stream: bool) -> None:
        handler.reply(200, "text/html; charset=utf-8", b"<html><body><h1>Welcome to nginx!</h1></body></html>")

    def reply_huge(self, handler, stream: bool) -> None:
        sentence = "The Harbor City council approved the repairs. "
        if not stream:
            handler.reply(200, "application/json", completion(sentence * (HUGE_BYTES // len(sentence))))
            return
        handler.events()
        piece = event(sentence * 1000)
        for _ in range(HUGE_BYTES // len(piece)):
            handler.wfile.write(piece)
        handler.wfile.write(b"data: [DONE]\n\n")

    def reply_scripted(self, handler, stream: bool) -> None:
        status, kind, pieces, delay = self.script
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(sum(len(p) for p in pieces)))
        handler.end_headers()
        for piece in pieces:
            if self.stopping.wait(delay):
                return
            handler.wfile.write(piece)
            handler.wfile.flush()


@pytest.fixture(scope="module")
def fake():
    with FakeModel() as server:
        yield server


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Settings:
    """The fixture articles, embedded with ONNX (quick on a CPU without bf16)."""
    root = tmp_path_factory.mktemp("llm-faults")
    shutil.copytree(ARTICLES, root / "articles")
    settings = Settings(data_dir=root / "qa-data", embed_backend="onnx")
    ingest([root / "articles"], settings)
    return settings


@pytest.fixture(scope="module")
def extractive(corpus) -> dict:
    answer = Assistant(corpus).ask(BRIDGE, llm=False).to_json()
    assert not answer["abstained"] and answer["citations"]
    return answer


def assert_fallback(answer: dict, extractive: dict, notice: str) -> None:
    """The extractive answer, with one notice line saying what the model did."""
    assert answer["mode"] == "extractive" and answer["model"] is None
    assert answer["answer"] == extractive["answer"] and answer["citations"] == extractive["citations"]
    assert notice in answer["notice"] and "showing the extractive answer" in answer["notice"]
    assert "\n" not in answer["notice"] and answer["notice"].count("The language model") == 1


# ---- the CLI: a subprocess, as a user runs it (a stuck worker must not keep it from exiting) -------------------


def run_cli(corpus: Settings, fake: FakeModel, *flags: str, limit: float) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "QA_LLM_URL": fake.url, "QA_LLM_TIMEOUT": str(CLI_TIMEOUT), "QA_EMBED_BACKEND": "onnx"}
    env.update(PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    command = [sys.executable, "-m", "qa.serve.cli", "ask", BRIDGE, "--json", "--data-dir", str(corpus.data_dir)]
    started = time.monotonic()
    result = subprocess.run(
        [*command, *flags], env=env, cwd=REPO, capture_output=True, text=True, timeout=limit, check=False
    )
    return result, time.monotonic() - started


@pytest.fixture(scope="module")
def cli_startup(corpus, fake) -> float:
    """Seconds `qa ask --no-llm` takes here (imports, model load): the CLI's time beside the model's."""
    result, seconds = run_cli(corpus, fake, "--no-llm", limit=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return seconds


@pytest.mark.parametrize("fault", ["trickle", "trickle-headers", "ping"])
def test_cli_falls_back_within_the_timeout(corpus, fake, extractive, cli_startup, fault):
    """A subprocess: the call is abandoned at the deadline and the process still exits at once."""
    fake.mode = fault
    result, seconds = run_cli(corpus, fake, "--llm", limit=cli_startup + CLI_TIMEOUT + 60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert_fallback(json.loads(result.stdout.strip().splitlines()[-1]), extractive, NOTICE[fault])
    assert seconds < cli_startup + CLI_TIMEOUT + SLACK, f"{fault}: {seconds:.1f} s (startup {cli_startup:.1f} s)"


@pytest.mark.parametrize("fault", ["invalid-json", "html", "huge"])
def test_cli_falls_back_on_a_malformed_reply(corpus, fake, extractive, fault, monkeypatch):
    """In process (quick): exit 0, the extractive answer and one notice line, not a traceback."""
    from typer.testing import CliRunner

    from qa.serve.cli import app

    monkeypatch.setenv("QA_LLM_URL", fake.url)
    monkeypatch.setenv("QA_LLM_TIMEOUT", str(CLI_TIMEOUT))
    monkeypatch.setenv("QA_EMBED_BACKEND", "onnx")
    fake.mode = fault
    started = time.monotonic()
    run = CliRunner().invoke(app, ["ask", BRIDGE, "--json", "--llm", "--data-dir", str(corpus.data_dir)])
    seconds = time.monotonic() - started
    assert run.exit_code == 0, (run.output, run.exception)
    assert_fallback(json.loads(run.stdout.strip().splitlines()[-1]), extractive, NOTICE[fault])
    assert seconds < CLI_TIMEOUT + SLACK, f"{fault}: {seconds:.1f} s"


IMPORTS = "import json, sys; import qa.serve.cli; print(json.dumps([m for m in ('openai', 'langchain_openai') if m in sys.modules]))"  # noqa: E501


def test_importing_the_cli_does_not_load_the_model_client():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", IMPORTS], env=env, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


# ---- the served app: /ask and the chat ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(corpus, fake, tmp_path_factory):
    root = tmp_path_factory.mktemp("llm-faults-app")
    demo, live, config = serve_copy(
        corpus,
        root,
        reload_interval=60,
        chat_uploads=False,
        embed_backend="onnx",
        llm_url=fake.url,
        llm_timeout=SERVED_TIMEOUT,
    )
    yield demo, live
    demo.close()
    live.close()


@pytest.fixture(scope="module")
def client(served):
    from gradio_client import Client

    return Client(f"http://127.0.0.1:{served[1].settings.port}/", verbose=False)


def served_notice(fault: str) -> str:
    return NOTICE[fault].replace(f"{CLI_TIMEOUT:g} s", f"{SERVED_TIMEOUT:g} s")


@pytest.mark.parametrize("fault", ["trickle", "ping", "invalid-json", "html", "huge"])
def test_ask_falls_back_within_the_timeout(client, fake, extractive, fault):
    fake.mode = fault
    started = time.monotonic()
    answer = client.submit(BRIDGE, llm=True, api_name="/ask").result(timeout=SERVED_TIMEOUT + 60)
    seconds = time.monotonic() - started
    assert_fallback(answer, extractive, served_notice(fault))
    assert seconds < SERVED_TIMEOUT + SLACK, f"{fault}: {seconds:.1f} s"


@pytest.mark.parametrize("fault", ["trickle", "ping"])
def test_the_chat_falls_back_within_the_timeout(served, fake, fault):
    from qa.serve.ui.callbacks import DONE, OUTPUTS

    fake.mode = fault
    started = time.monotonic()
    replies = list(served[0].handlers.respond(BRIDGE, [], [], [], [], "", "", 4, True))
    seconds = time.monotonic() - started
    final = replies[-1][OUTPUTS.index("chat")][-1]["content"]
    assert final.endswith(DONE) and 'class="qa-cite"' in final
    assert served_notice(fault) in final and "showing the extractive answer" in final
    assert seconds < SERVED_TIMEOUT + SLACK, f"{fault}: {seconds:.1f} s"


def test_plain_questions_are_answered_while_slow_model_calls_run(client, fake, extractive):
    fake.mode = "trickle"
    slow = [client.submit(BRIDGE, llm=True, api_name="/ask") for _ in range(4)]
    time.sleep(0.5)  # the four are running (two of them writing, two told the model is busy)
    plain = [client.submit(BRIDGE, llm=False, api_name="/ask").result(timeout=SERVED_TIMEOUT + 60) for _ in range(2)]
    still_running = sum(not job.done() for job in slow)
    assert [p["answer"] for p in plain] == [extractive["answer"]] * 2
    assert still_running, "the plain questions waited for the slow model calls"
    answers = [job.result(timeout=SERVED_TIMEOUT + 60) for job in slow]
    assert all(a["mode"] == "extractive" and "showing the extractive answer" in a["notice"] for a in answers)
    assert sum("is already writing" in a["notice"] for a in answers) >= 2  # QA_LLM_CONCURRENCY is 2


@pytest.mark.parametrize("value", [False, "false", "FALSE", "no", " No ", "0", 0])
def test_ask_llm_false_in_any_spelling_asks_no_model(client, fake, extractive, value):
    fake.mode = "ok"
    before = fake.completions
    answer = client.predict(BRIDGE, llm=value, api_name="/ask")
    assert answer["mode"] == "extractive" and answer["notice"] == extractive["notice"]
    assert fake.completions == before


@pytest.mark.parametrize("value", [True, "true", "Yes", "1", 1])
def test_ask_llm_true_in_any_spelling_asks_the_model(client, fake, value):
    fake.mode = "ok"
    before = fake.completions
    client.predict(BRIDGE, llm=value, api_name="/ask")
    assert fake.completions == before + 1


@pytest.mark.parametrize("value", ["maybe", "", "2", 2, 0.5, [], {}])
def test_ask_refuses_any_other_llm_value(client, value):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="llm must be true or false"):
        client.predict(BRIDGE, llm=value, api_name="/ask")
    with pytest.raises(BadQuestionError, match="llm must be true or false"):
        check_options(llm=value)


# ---- the generator itself: slots, and whatever a reply holds -------------------------------------------------------


@pytest.mark.parametrize("fault", ["trickle-headers", "ping"])
def test_a_slow_call_holds_its_slot_until_the_deadline_and_no_longer(fake, fault):
    """One slot: a second call meanwhile is refused at once (never queued); at the deadline the abandoned
    worker stops (its socket is shut, even inside a trickle of headers) and the slot is free again."""
    generator = Generator(Settings(llm_url=fake.url, llm_model="fake", llm_timeout=1.5, llm_concurrency=1))
    fake.mode = "ok"
    assert generator.complete([HumanMessage("hi")]) == ANSWER  # the client imported, not timed below
    fake.mode = fault
    failures: list[str] = []

    def slow_call() -> None:
        try:
            generator.complete([HumanMessage("hi")])
        except LLMError as exc:
            failures.append(str(exc))

    slow = threading.Thread(target=slow_call)
    slow.start()
    time.sleep(0.3)
    started = time.monotonic()
    with pytest.raises(LLMError, match="already writing 1 answers"):
        generator.complete([HumanMessage("hi")])
    assert time.monotonic() - started < 0.5
    slow.join()
    assert len(failures) == 1 and "did not answer within 1.5 s" in failures[0]
    time.sleep(0.3)  # the worker's blocked read returns as its socket is shut
    fake.mode = "ok"
    assert generator.complete([HumanMessage("hi")]) == ANSWER


BODY_PARTS = [
    b'{"choices": [{"message": {"content": "',
    b'{"id": "c", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": ',
    b'"[1] The bridge cost $40 million."',
    b"null",
    b"}]}",
    b"}",
    b"data: ",
    b"data: [DONE]\n\n",
    b": ping\n\n",
    b"\n\n",
    event("[1] The council voted. "),
    completion(ANSWER),
    "\u00e9\u2028\U0001f600".encode(),
    b"\xff\xfe\x00",
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    status=st.sampled_from([200, 200, 200, 201, 301, 400, 404, 429, 500, 503]),
    kind=st.sampled_from(["application/json", "text/event-stream", "text/html", "text/plain", "application/x-ndjson"]),
    body=st.lists(st.one_of(st.sampled_from(BODY_PARTS), st.binary(max_size=64)), max_size=8),
    pieces=st.integers(1, 4),
    delay=st.sampled_from([0.0, 0.0, 0.05, 0.4]),
    stream=st.booleans(),
)
def test_any_reply_is_an_answer_or_one_line_within_the_timeout(fake, status, kind, body, pieces, delay, stream):
    """Whatever the server sends, at whatever pace: text within the size cap, or one `LLMError` line, in time."""
    data = b"".join(body)
    step = max(1, -(-len(data) // pieces))
    fake.mode = "scripted"
    fake.script = (status, kind, [data[i : i + step] for i in range(0, len(data), step)] or [b""], delay)
    generator = Generator(Settings(llm_url=fake.url, llm_model="fake", llm_timeout=1.0, llm_concurrency=64))
    started = time.monotonic()
    try:
        text = "".join(generator.stream([HumanMessage("hi")])) if stream else generator.complete([HumanMessage("hi")])
    except LLMError as exc:
        assert str(exc).startswith(f"The language model at {fake.url} ") and "\n" not in str(exc)
    else:
        assert isinstance(text, str) and len(text) <= generator.max_chars
    assert time.monotonic() - started < 1.0 + 1.0
