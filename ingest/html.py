"""HTML pages: the main article text and its metadata, via trafilatura (no navigation, scripts or ads)."""

from __future__ import annotations


def parse_html(html: str) -> dict[str, str] | None:
    """Fields of an HTML article, or None when trafilatura finds no main text."""
    import trafilatura

    document = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    if document is None:
        return None
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    body = data.get("text") or ""
    if not body.strip():
        return None
    return {
        "title": data.get("title") or "",
        "body": body,
        "url": data.get("url") or "",
        "source": data.get("sitename") or data.get("hostname") or "",
        "author": data.get("author") or "",
        "published": data.get("date") or "",
    }
