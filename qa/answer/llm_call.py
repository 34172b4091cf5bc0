"""One call to the model server, held to its budget whatever the server sends: a wall-clock deadline the caller
enforces (`ModelCall`); every body byte counted against a cap by the worker making the call (`counted_client`,
keep-alive comments and trickled bytes included); the call's sockets shut when the caller gives up, so the
abandoned worker stops then too, even inside a trickle of headers; and every way the call can fail said in one
plain line (`describe_failure`)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx

from qa.core.settings import Settings

REPLY_BYTES_PER_TOKEN = 2048  # a streamed token is one SSE event of 200-600 bytes of JSON
REPLY_BYTES_BASE = 2 * 1024 * 1024  # headers, and a model list as long as a hosted router's (about 1 MB)
CAUSE_DEPTH = 8  # exceptions followed down a failure's chain (the SDK wraps transport errors once or twice)


class ReplyTooLarge(Exception):
    """The server sent more bytes than an answer of QA_LLM_MAX_TOKENS can take."""


class CallStopped(Exception):
    """The caller gave up on the call (its deadline passed): the worker stops."""


class ModelCall:
    """One model call's budget, shared by the caller and the worker thread making the call: a wall-clock
    deadline, a cap on the bytes read (counted on every chunk, keep-alive comments included), and the sockets
    the call opened, shut by `stop`."""

    def __init__(self, timeout: float, max_bytes: int) -> None:
        self.deadline = time.monotonic() + timeout
        self.max_bytes = max_bytes
        self.read = 0
        self.stopped = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def stop(self) -> None:
        """The caller gives up: a read blocked in the worker returns at once (its socket is shut), and the
        worker sends or reads nothing more."""
        with self._lock:
            self.stopped.set()
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def trace(self, event: str, info: dict) -> None:
        """httpx's ``trace`` request extension: note the socket of each connection the call opens."""
        if event != "connection.connect_tcp.complete":
            return
        sock = info["return_value"].get_extra_info("socket")
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            stopped = self.stopped.is_set()
        if stopped:
            _shut(sock)

    def count(self, chunk: bytes) -> None:
        """Called by the worker for every chunk read: stop when abandoned or over the cap."""
        if self.stopped.is_set():
            raise CallStopped("the caller stopped waiting")
        self.read += len(chunk)
        if self.read > self.max_bytes:
            raise ReplyTooLarge(f"more than {self.max_bytes:,} bytes")


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


class _CountedStream(httpx.SyncByteStream):
    def __init__(self, stream: httpx.SyncByteStream, call: ModelCall) -> None:
        self.stream, self.call = stream, call

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.stream:
            self.call.count(chunk)
            yield chunk

    def close(self) -> None:
        self.stream.close()


def counted_client(call: ModelCall, timeout: float) -> httpx.Client:
    """An httpx client (proxies and certificates as usual) whose response bodies are read through
    `ModelCall.count`, whose connections `ModelCall.stop` can shut, and which sends nothing once stopped."""

    def before(request: httpx.Request) -> None:
        if call.stopped.is_set():
            raise CallStopped("the caller stopped waiting")
        request.extensions["trace"] = call.trace

    def after(response: httpx.Response) -> None:
        response.stream = _CountedStream(response.stream, call)  # type: ignore[arg-type]

    return httpx.Client(timeout=timeout, event_hooks={"request": [before], "response": [after]})


def describe_failure(exc: BaseException, settings: Settings) -> str:
    """One plain line for what went wrong with the model server, whatever it sent."""
    import openai  # already loaded by the call that failed

    where = settings.llm_url
    chain = _causes(exc)
    status = next((e for e in chain if isinstance(e, openai.APIStatusError)), None)
    if any(isinstance(e, ReplyTooLarge) for e in chain):
        return f"The language model at {where} sent a reply larger than an answer of {settings.llm_max_tokens} tokens"
    if status is not None:
        return f"The language model at {where} answered HTTP {status.status_code}"
    if any(isinstance(e, openai.APITimeoutError | httpx.TimeoutException | TimeoutError) for e in chain):
        return f"The language model at {where} did not answer within {settings.llm_timeout:g} s"
    if any(isinstance(e, httpx.ConnectError | ConnectionRefusedError) for e in chain):
        return f"The language model at {where} cannot be reached (is the server running?)"
    if any(isinstance(e, httpx.TransportError | ConnectionError) for e in chain):
        return f"The language model at {where} broke off its reply ({type(chain[-1]).__name__})"
    return f"The language model at {where} sent a reply that could not be read ({type(chain[-1]).__name__})"


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what raised it, outermost first (the SDK wraps transport errors)."""
    chain: list[BaseException] = []
    while exc is not None and exc not in chain and len(chain) < CAUSE_DEPTH:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain
