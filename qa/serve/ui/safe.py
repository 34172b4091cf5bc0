"""Article text is data, not markup: escaping for HTML and for the chat's Markdown, and the only way to make a link."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

# Characters Markdown (and the chat's LaTeX / autolink passes) would interpret; as numeric
# entities they render as themselves and start no syntax.
_MARKDOWN = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~$:=^"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(value: object) -> str:
    """``value`` as HTML text: ``& < > " '`` escaped, control characters dropped."""
    return html.escape(_CONTROL.sub("", str(value)), quote=True)


def markdown_text(value: object) -> str:
    """``value`` as literal text inside Markdown that allows HTML: nothing in it can become markup or a link."""
    raw = _CONTROL.sub("", str(value))
    return "".join(_MARKDOWN.get(ch) or html.escape(ch, quote=True) for ch in raw)


def safe_url(url: object) -> str | None:
    """``url`` when it is an absolute http(s) URL (so ``javascript:``, ``data:`` ... never become links), else None."""
    candidate = _CONTROL.sub("", str(url or "")).strip()
    if not candidate or any(ch.isspace() for ch in candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return candidate


def link(url: object, label_html: str) -> str:
    """``label_html`` (already escaped) wrapped in a link that opens a new tab, or left as text for unsafe URLs."""
    href = safe_url(url)
    if href is None:
        return label_html
    return f'<a href="{text(href)}" target="_blank" rel="noopener noreferrer nofollow">{label_html}</a>'
