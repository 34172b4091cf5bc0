"""The chat's front door, in front of Gradio: wrong passwords slow a client down, and nothing is uploaded.

* Login throttling: each client (by address) has a few free attempts; after that every wrong password
  makes it wait twice as long as the last (``QA_LOGIN_DELAY`` doubling up to ``QA_LOGIN_MAX_DELAY``).
  While it waits, every login it tries, right or wrong, gets ``429 Too Many Requests`` with
  ``Retry-After``, so a wait cannot be beaten by guessing faster or in parallel. A right password
  clears the client's record.
* Uploads only where the app takes them: Gradio's upload endpoint is open only when "Add articles" is
  on (`qa.serve.ui.uploads.uploads_blocked`; Gradio then limits each file to ``QA_MAX_FILE_BYTES`` and
  the component to the loaders' file types); recordings and any other multipart request (but the
  login form) get ``403``; any other request body declared larger than `body_limit` gets ``413``.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from qa.core.settings import Settings
from qa.search.validate import max_request_chars

FREE_ATTEMPTS = 3  # typos are human: the first three wrong passwords cost nothing
MAX_CLIENTS = 10_000  # clients remembered at once (oldest forgotten first): bounded memory under a flood
UPLOAD_PATH = "/upload"  # Gradio's endpoint storing files for a file component ("Add articles")
RECORDING_PATH = "/process_recording"  # stores audio; the app has no microphone input
# The chat re-sends its whole visible conversation (answers as escaped HTML) with every question, so a
# long session needs far more than one question with its history; 4 MB is hundreds of turns.
MIN_BODY_BYTES = 4_000_000


@dataclass
class _Record:
    failures: int = 0
    until: float = 0.0  # monotonic time before which this client may not try again


class LoginThrottle:
    """Failed logins per client and how long each must wait; thread-safe, bounded in memory."""

    def __init__(self, delay: float, max_delay: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.delay = delay
        self.max_delay = max_delay
        self.clock = clock
        self._clients: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Seconds ``client`` must still wait before its next attempt (0: it may try now)."""
        with self._lock:
            record = self._clients.get(client)
            return max(0.0, record.until - self.clock()) if record else 0.0

    def failed(self, client: str) -> None:
        with self._lock:
            record = self._clients.pop(client, None) or _Record()
            record.failures += 1
            extra = record.failures - FREE_ATTEMPTS
            if extra > 0:
                record.until = self.clock() + min(self.max_delay, self.delay * 2 ** min(extra - 1, 64))
            self._clients[client] = record
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)


def body_limit(settings: Settings) -> int:
    """Bytes a request may carry: the longest question and history JSON-escaped, and at least 4 MB."""
    return max(MIN_BODY_BYTES, max_request_chars(settings))


class Guard:
    """ASGI middleware applying `LoginThrottle` to ``POST /login`` and refusing uploads and huge bodies."""

    def __init__(self, app, throttle: LoginThrottle, max_body: int, uploads: bool = False) -> None:
        self.app = app
        self.throttle = throttle
        self.max_body = max_body
        self.uploads = uploads  # "Add articles" is on: its upload endpoint stays open

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "").rstrip("/")
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope.get("headers", [])}
        is_login = scope.get("method") == "POST" and path.endswith("/login")
        is_upload = path.endswith(UPLOAD_PATH)
        multipart = headers.get("content-type", "").startswith("multipart/")
        refused = path.endswith(RECORDING_PATH) or (is_upload and not self.uploads)
        if refused or (multipart and not (is_login or is_upload)):
            await _respond(send, 403, "This app takes no file uploads here.")
            return
        if is_upload:  # each file is limited by Gradio (max_file_size = QA_MAX_FILE_BYTES)
            await self.app(scope, receive, send)
            return
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > self.max_body:
            await _respond(send, 413, f"The request is larger than the {self.max_body:,} bytes a question needs.")
            return
        if not is_login:
            await self.app(scope, receive, send)
            return
        await self._login(scope, receive, send)

    async def _login(self, scope, receive, send) -> None:
        client = (scope.get("client") or ("unknown",))[0]
        wait = self.throttle.wait(client)
        if wait > 0:
            seconds = math.ceil(wait)
            message = f"Too many wrong passwords: try again in {seconds} s."
            await _respond(send, 429, message, [(b"retry-after", str(seconds).encode())])
            return
        status = 0

        async def record_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, record_status)
        if status == 200:
            self.throttle.succeeded(client)
        elif 400 <= status < 500:
            self.throttle.failed(client)


async def _respond(send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A JSON ``{"detail": ...}`` error, the shape Gradio's own errors have."""
    body = json.dumps({"detail": detail}).encode()
    start_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": start_headers + (headers or [])})
    await send({"type": "http.response.body", "body": body})
