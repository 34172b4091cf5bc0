"""A real local model server for the generation tests (`qa serve-llm`'s SmolLM2-135M through
``transformers serve``), started once per session like `chroma run`; plus two broken servers: one that
accepts connections and never answers, one that answers every request with HTTP 500."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from server_fixtures import free_port

from qa.core.errors import LLMError
from qa.serve.llm_server import MODEL_FOLDER, gguf_path, prepare_model, serve_command

# converted once and kept between runs (about a minute to convert; the GGUF file itself never changes)
MODEL_CACHE = Path(os.environ.get("NEWSQA_CACHE", Path.home() / ".cache" / "newsqa")) / "llm" / MODEL_FOLDER
START_WAIT = 180.0  # seconds for the server to load the model on busy cores


class ModelServer:
    """One ``transformers serve <folder>`` subprocess on 127.0.0.1."""

    def __init__(self, folder: Path, log: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> ModelServer:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(serve_command(self.folder, self.port), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_WAIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"transformers serve exited with {self.process.returncode}; see {self.log}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200:
                    self._warm_up()
                    return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"transformers serve did not start in {START_WAIT} s; see {self.log}")

    def _warm_up(self) -> None:
        """The first request is slow (lazy initialisation): make it here, not inside a test's timeout."""
        body = {"model": str(self.folder), "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}
        httpx.post(f"{self.url}/chat/completions", json=body, timeout=START_WAIT).raise_for_status()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory) -> ModelServer:
    """The packaged SmolLM2-135M served locally; skipped only when its GGUF package is not installed."""
    try:
        gguf_path()
    except LLMError as exc:
        pytest.skip(str(exc))
    folder = prepare_model(MODEL_CACHE)
    server = ModelServer(folder, tmp_path_factory.mktemp("llm") / "serve.log").start()
    yield server
    server.stop()


class HungServer:
    """Accepts TCP connections and never answers (a hung or overloaded model server)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                self.accepted.append(self.sock.accept()[0])

    def __enter__(self) -> HungServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        for conn in self.accepted:
            conn.close()
        self.sock.close()


class ErrorServer:
    """Answers every request with HTTP 500 (a model server that crashed inside a request)."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _fail(self) -> None:
                body = b'{"error": {"message": "internal error", "type": "server_error"}}'
                self.send_response(500)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _fail

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ErrorServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
