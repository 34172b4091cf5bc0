"""Web pages and feeds named on ``qa ingest https://...``: fetched by a polite client (a User-Agent naming the
project, one request per host per ``QA_FETCH_INTERVAL`` seconds, timeouts and a total deadline, a byte cap, at most
`MAX_REDIRECTS` redirects). Only the URLs the user names, and the entry links of a feed they name, are fetched;
every failure is a `Skip` naming the URL and why ("HTTP 404", "timed out after 20 s", "not HTML or a feed
(application/pdf)", ...). A page is then read like an HTML file (`ingest.load`, `ingest.html`), a feed by
`ingest.feeds`; a feed asked again with its validators (ETag / Last-Modified) may answer `NOT_MODIFIED`."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from urllib.parse import urldefrag, urlsplit

from qa.core.types import Skip

URL_SCHEMES = ("http://", "https://")
MAX_REDIRECTS = 5  # a news link behind a shortener and an http->https hop takes 2 or 3; more is a loop or a trap
HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
XML_TYPES = ("application/xml", "text/xml")  # a feed or not: its root element tells (`ingest.feeds.is_feed`)
READABLE_TYPES = HTML_TYPES + FEED_TYPES + XML_TYPES
ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml;q=0.9,application/xml;q=0.8,*/*;q=0.1"
)
PROJECT = "newsqa"


def _version() -> str:
    try:
        return metadata.version(PROJECT)
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0"


USER_AGENT = f"{PROJECT}/{_version()} (news Q&A assistant; fetches only the pages its user names)"


def is_url(value: object) -> bool:
    """Whether an input is a web address: a ``str`` starting http:// or https:// (``qa ingest`` passes its
    arguments as text; `ingest.index.ingest` makes the others paths). A `Path` never is: it folds ``//``."""
    return isinstance(value, str) and value[:8].lower().startswith(URL_SCHEMES)


def canonical_url(claimed: str, fetched: str) -> str:
    """The address an article fetched from ``fetched`` is known by (its id): the page's own canonical link when it
    is a web address on the same host (a page cannot claim another site's article), else the address it came
    from after redirects; without the ``#fragment`` either way."""
    final = urldefrag(fetched).url
    if not is_url(claimed):
        return final
    claimed = urldefrag(claimed.strip()).url
    same_host = (urlsplit(claimed).hostname or "") == (urlsplit(final).hostname or "")
    return claimed if same_host else final


def resolve_host(host: str) -> list[str]:
    """The addresses ``host`` resolves to (empty when it does not: the fetch then names the failure)."""
    try:
        return [info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)]
    except (OSError, UnicodeError):
        return []


def private_host(host: str, resolve: Callable[[str], list[str]] = resolve_host) -> str:
    """Why ``host`` is not a public one: it is, or resolves to, a loopback, private, link-local or reserved address
    ("" when it is public)."""
    host = host.strip("[]")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:  # a name, not an address
        addresses = resolve(host)
    for address in addresses:
        if not ipaddress.ip_address(address.split("%")[0]).is_global:
            named = host if address == host else f"{host} ({address})"
            return f"{named} is a local or private network address"
    return ""


@dataclass(frozen=True)
class FetchPolicy:
    """How pages are fetched: ``QA_FETCH_MAX_BYTES``, ``QA_FETCH_TIMEOUT``, ``QA_FETCH_INTERVAL``; ``refuse``: host ->
    why it may not be asked ("" when it may), checked before every request, each redirect's too (the chat's
    "Add articles" refuses private hosts: a visitor must not make the server read its own network)."""

    max_bytes: int = 10_000_000
    timeout: float = 20.0  # seconds for the whole fetch of one page, redirects included
    interval: float = 1.0  # seconds between the end of one request to a host and the start of the next
    refuse: Callable[[str], str] | None = None


@dataclass(frozen=True)
class Validators:
    """A response's ``ETag`` and ``Last-Modified``: sent back as ``If-None-Match`` / ``If-Modified-Since``."""

    etag: str = ""
    last_modified: str = ""

    def headers(self) -> dict[str, str]:
        sent = {"If-None-Match": self.etag, "If-Modified-Since": self.last_modified}
        return {name: value for name, value in sent.items() if value}


@dataclass(frozen=True)
class Page:
    """A fetched page or feed: where it ended up after redirects, its bytes and the charset its headers declare."""

    url: str
    data: bytes
    charset: str | None
    kind: str = "text/html"  # the content type, without parameters
    validators: Validators | None = None  # what the server said to send back to ask "changed since?"


NOT_MODIFIED = "not modified"  # what `Fetcher.fetch` returns for a 304 to a conditional request


class _Deadline(Exception):
    """The total time of one fetch ran out while its body was still arriving."""


class _Refused(Exception):
    """`FetchPolicy.refuse` turned a request down (the first or a redirect's); the message says why."""


class Fetcher:
    """One HTTP client for a run; remembers when each host was last asked so several pages of one host wait
    their turn. Use as a context manager."""

    def __init__(self, policy: FetchPolicy, clock=time.monotonic, sleep=time.sleep):
        self.policy = policy
        self._clock, self._sleep = clock, sleep
        self._last: dict[str, float] = {}
        import httpx  # only when a page is fetched: `ingest.walk` and the CLI import this module for `is_url`

        self._client = httpx.Client(
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            timeout=httpx.Timeout(policy.timeout),
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
            event_hooks={"request": [self._check_host]} if policy.refuse else None,
        )

    def _check_host(self, request) -> None:
        """Before each request of a fetch, redirects included: the policy's refusal, if any, ends the fetch."""
        reason = self.policy.refuse(request.url.host)
        if reason:
            raise _Refused(reason)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self._client.close()

    def fetch(self, url: str, validators: Validators | None = None) -> Page | Skip | str:
        """The page at ``url``, or a `Skip` saying why not; asked conditionally when ``validators`` are given, and
        then `NOT_MODIFIED` when the server says so (HTTP 304)."""
        import httpx  # loaded by __init__ already

        host = (urlsplit(url).hostname or "").lower()
        if not host:
            return Skip(url, "not a valid web address (no host)")
        self._wait_turn(host)
        try:
            return self._get(url, self._clock() + self.policy.timeout, validators)
        except httpx.TooManyRedirects:
            return Skip(url, f"too many redirects (more than {MAX_REDIRECTS})")
        except _Refused as exc:
            return Skip(url, str(exc))
        except (httpx.TimeoutException, _Deadline):
            return Skip(url, f"timed out after {self.policy.timeout:g} s (QA_FETCH_TIMEOUT)")
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            return Skip(url, f"not a valid web address ({exc})")
        except httpx.HTTPError as exc:  # refused, reset, no such host, ...
            return Skip(url, f"cannot fetch: {exc or type(exc).__name__}")
        finally:
            self._last[host] = self._clock()

    def _wait_turn(self, host: str) -> None:
        last = self._last.get(host)
        if last is not None:
            wait = last + self.policy.interval - self._clock()
            if wait > 0:
                self._sleep(wait)

    def _get(self, url: str, deadline: float, validators: Validators | None) -> Page | Skip | str:
        """The GET itself, streamed: the status, type and declared length checked before the body is read."""
        cap = self.policy.max_bytes
        headers = validators.headers() if validators else {}
        with self._client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304 and headers:
                return NOT_MODIFIED
            if not response.is_success:
                return Skip(url, f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind not in READABLE_TYPES:
                return Skip(url, f"not HTML or a feed ({kind or 'no content type'})")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                return Skip(url, f"larger than {cap:,} bytes (QA_FETCH_MAX_BYTES)")
            data = bytearray()
            for piece in response.iter_bytes():  # decompressed: the cap holds for a gzip bomb too
                data += piece
                if len(data) > cap:
                    return Skip(url, f"larger than {cap:,} bytes (QA_FETCH_MAX_BYTES)")
                if self._clock() > deadline:
                    raise _Deadline
            said = Validators(response.headers.get("etag", ""), response.headers.get("last-modified", ""))
            return Page(str(response.url), bytes(data), response.charset_encoding, kind, said)
