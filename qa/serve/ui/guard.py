"""The chat's front door, in front of Gradio: wrong passwords slow a client down, bodies are bounded, and
nothing is uploaded where the app takes no files.

* Login throttling: each client (by address) has a few free attempts; after that every wrong password
  makes it wait twice as long as the last (``QA_LOGIN_DELAY`` doubling up to ``QA_LOGIN_MAX_DELAY``).
  While it waits, every login it tries, right or wrong, gets ``429 Too Many Requests`` with
  ``Retry-After``, so a wait cannot be beaten by guessing faster or in parallel. A right password
  clears the client's record. The address is the connecting one: a forwarding header (``X-Forwarded-For``)
  counts only from the proxies ``QA_TRUSTED_PROXIES`` names (`forwarding`), since anyone can send one.
* Uploads only where the app takes them: Gradio's upload endpoint is open only when "Add articles" is
  on (`qa.serve.ui.uploads.uploads_blocked`; Gradio then limits each file to ``QA_MAX_FILE_BYTES`` and
  the component to the loaders' file types); recordings and any other multipart request (but the
  login form) get ``403``.
* Bounded bodies, on every route and before any login: bytes are counted as they arrive, so a body sent
  in chunks (no ``Content-Length``) is cut off like a declared one. Past `body_limit` (an upload: past
  `upload_limit`) the client gets ``413`` and the app a disconnect; a declared length over it gets
  ``413`` before a byte is read.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
# Uvicorn takes the client address from X-Forwarded-For when the peer is in this list (default: loopback, so
# anyone on the machine, or anyone behind a local proxy that appends to the header, could pick the address
# the login throttle counts); Gradio creates its server without a parameter for it, so it is set here.
FORWARDED_ENV = "FORWARDED_ALLOW_IPS"


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


@contextmanager
def forwarding(settings: Settings) -> Iterator[None]:
    """While Gradio starts its server: believe forwarding headers only from ``QA_TRUSTED_PROXIES`` (empty:
    from no one), so the throttle counts the connecting address, or the client a trusted proxy names."""
    previous = os.environ.get(FORWARDED_ENV)
    os.environ[FORWARDED_ENV] = settings.trusted_proxies
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(FORWARDED_ENV, None)
        else:
            os.environ[FORWARDED_ENV] = previous


def body_limit(settings: Settings) -> int:
    """Bytes a request may carry: the longest question and history JSON-escaped, and at least 4 MB."""
    return max(MIN_BODY_BYTES, max_request_chars(settings))


def upload_limit(settings: Settings) -> int:
    """Bytes one upload request may carry: a full drop (``QA_UPLOAD_MAX_FILES``) of ``QA_MAX_FILE_BYTES`` files and
    their form. This bounds the disk one upload can fill; Gradio stores each file as it streams, so memory stays
    small anyway."""
    return settings.upload_max_files * settings.max_file_bytes + MIN_BODY_BYTES


class Guard:
    """ASGI middleware applying `LoginThrottle` to ``POST /login``, refusing uploads and bounding bodies."""

    def __init__(
        self, app, throttle: LoginThrottle, max_body: int, uploads: bool = False, max_upload: int | None = None
    ) -> None:
        self.app = app
        self.throttle = throttle
        self.max_body = max_body
        self.uploads = uploads  # "Add articles" is on: its upload endpoint stays open
        self.max_upload = max_body if max_upload is None else max_upload

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
        limit = self.max_upload if is_upload else self.max_body
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > limit:
            await _respond(send, 413, _too_large(limit, is_upload))
            return
        body = CountedBody(receive, send, limit, _too_large(limit, is_upload))
        try:
            if is_login:
                await self._login(scope, body.receive, body.send)
            else:
                await self.app(scope, body.receive, body.send)
        except Exception:
            if not body.refused:
                raise  # else: the app failed on the body it was denied, and the client has its 413

    async def _login(self, scope, receive, send) -> None:
        client = (scope.get("client") or ("unknown",))[0]  # the peer, or what a trusted proxy forwarded
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


class CountedBody:
    """One request's ``receive`` and ``send``, counting body bytes as they arrive: past ``limit`` the client
    gets ``413`` at once (unless a response has begun) and the app a disconnect, whatever it sends after."""

    def __init__(self, receive, send, limit: int, detail: str) -> None:
        self._receive = receive
        self._send = send
        self.limit = limit
        self.detail = detail
        self.seen = 0
        self.started = False  # a response has begun: too late for a 413
        self.refused = False

    async def receive(self):
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                self.refused = True
                if not self.started:
                    self.started = True
                    await _respond(self._send, 413, self.detail)
                return {"type": "http.disconnect"}
        return message

    async def send(self, message) -> None:
        if self.refused:
            return  # the app's answer to a body it never had whole
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


def _too_large(limit: int, upload: bool) -> str:
    needs = "one upload may carry" if upload else "a question needs"
    return f"The request is larger than the {limit:,} bytes {needs}."


async def _respond(send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A JSON ``{"detail": ...}`` error, the shape Gradio's own errors have."""
    body = json.dumps({"detail": detail}).encode()
    start_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": start_headers + (headers or [])})
    await send({"type": "http.response.body", "body": body})
