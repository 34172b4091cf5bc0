"""Connecting to Chroma (embedded or a server) and turning its failures into one plain sentence.

Every Chroma or network exception becomes a `StoreError` that says what failed and what to do
(unreachable server, refused token, or Chroma's own reason), httpx style: mapped where it is called."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

import httpx

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from qa.core.errors import QAError, StoreError  # noqa: E402
from qa.core.settings import Settings  # noqa: E402

_CONNECT_SECONDS = 5.0  # a server that does not answer a heartbeat in this time is down
_REFUSED = re.compile(r"\b(401|403)\b|unauthori[sz]ed|forbidden|permission denied", re.IGNORECASE)


@contextmanager
def map_errors(action: str, server: str | None = None) -> Iterator[None]:
    """Turn chromadb / network exceptions into one plain `StoreError` sentence (our own errors pass)."""
    try:
        yield
    except QAError:
        raise
    except Exception as exc:
        raise StoreError(_describe(exc, action, server)) from exc


def _describe(exc: BaseException, action: str, server: str | None) -> str:
    """One sentence saying what failed and what to do: unreachable server, refused token, or Chroma's reason."""
    reason = _one_line(exc)
    if server and _unreachable(exc):
        return (
            f"Cannot reach the Chroma server at {server} while {action} ({reason}); "
            "start it (`chroma run`) or fix QA_CHROMA_URL, then re-run."
        )
    if server and _refused(exc):
        return f"The Chroma server at {server} refused access while {action} ({reason}); check QA_CHROMA_TOKEN."
    return f"Chroma store failed while {action}: {reason}"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _unreachable(exc: BaseException) -> bool:
    return any(isinstance(e, httpx.TransportError | ConnectionError | TimeoutError) for e in _causes(exc))


def _refused(exc: BaseException) -> bool:
    from chromadb.errors import AuthorizationError, ChromaAuthError  # chromadb loads in open_client, first


    return any(isinstance(e, AuthorizationError | ChromaAuthError) or _REFUSED.search(str(e)) for e in _causes(exc))


def missing_collection(exc: BaseException) -> bool:
    """Whether ``exc`` says our collection handle points at a collection that was dropped (another `--rebuild`)."""
    text = str(exc).lower()
    return "does not exist" in text or "not found" in text or type(exc).__name__ == "NotFoundError"


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    if text.endswith("Underlying error:") and len(lines) > 1:  # chromadb's wrapper puts the cause on line 2
        text = f"{text} {lines[1]}"
    return text[:300]



def open_client(settings: Settings):
    """An HTTP client for ``settings.chroma_url`` (checked first, with short timeouts), else the embedded one."""
    import chromadb  # about a second to import: only when a store is really opened
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        return _open_http_client(settings, chroma_settings)
    try:
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"Cannot create the data directory {settings.chroma_dir}: {exc.strerror}.") from exc
    with map_errors(f"opening {settings.chroma_dir}"):
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def _open_http_client(settings: Settings, chroma_settings):
    import chromadb  # see open_client

    url = urlparse(settings.chroma_url or "")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise StoreError(f"QA_CHROMA_URL must look like http://host:port, not {settings.chroma_url!r}.")
    headers = _auth_headers(settings.chroma_token)
    _check_reachable(settings.chroma_url.rstrip("/"), headers, settings)
    with map_errors("connecting", settings.chroma_url):
        client = chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            headers=headers,
            settings=chroma_settings,
        )
    _limit_waits(client, settings.chroma_timeout)
    return client


def _auth_headers(token: str | None) -> dict[str, str] | None:
    """Both of Chroma's token transports, ``X-Chroma-Token`` and ``Authorization: Bearer``: servers read one."""
    if not token:
        return None
    return {"X-Chroma-Token": token, "Authorization": f"Bearer {token}"}


def _check_reachable(base_url: str, headers: dict[str, str] | None, settings: Settings) -> None:
    """A heartbeat with a short timeout, so a down or unroutable server fails in seconds, not minutes."""
    with map_errors("connecting", settings.chroma_url):
        response = httpx.get(
            f"{base_url}/api/v2/heartbeat",
            headers=headers,
            timeout=httpx.Timeout(settings.chroma_timeout, connect=min(_CONNECT_SECONDS, settings.chroma_timeout)),
        )
        response.raise_for_status()


def _limit_waits(client, seconds: float) -> None:
    """chromadb's HTTP session waits forever by default; a server that stops answering must fail instead."""
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds, connect=min(_CONNECT_SECONDS, seconds))


