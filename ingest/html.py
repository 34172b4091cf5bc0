"""HTML pages: the main article text and its metadata, via trafilatura (no navigation, scripts or ads)."""

from __future__ import annotations


def parse_html(html: str, url: str | None = None, metadata: bool = True) -> dict[str, str] | None:
    """Fields of an HTML article, or None when trafilatura finds no main text; ``url``: where the page was
    fetched from (its address and host name when the page names none). Without ``metadata`` (a feed entry's
    content: its entry gives the title and date) only the text is extracted: the date search through the text
    (htmldate, dateparser) is most of the time a short page takes."""
    import trafilatura  # 0.2 s and lxml: only when an HTML file is read

    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=metadata, include_comments=False, include_tables=False, favor_precision=True
    )
    if document is None:
        return None
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    title = data.get("title") or ""
    body = _without_title(data.get("text") or "", title)
    if not body.strip():
        return None
    return {
        "title": title,
        "body": body,
        "url": data.get("url") or "",
        "source": data.get("sitename") or data.get("hostname") or "",
        "author": data.get("author") or "",
        "published": data.get("date") or "",
    }


def _without_title(body: str, title: str) -> str:
    """The body without a first line that only repeats the title (the page's ``<h1>``)."""
    first, _, rest = body.lstrip().partition("\n")
    if title and rest.strip() and " ".join(first.split()) == " ".join(title.split()):
        return rest
    return body
