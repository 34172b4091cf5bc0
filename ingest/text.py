"""Plain-text and Markdown articles, with the seed layout (``# *Title*``, ``---``, body, ``<URL>``, ``**Outlet**``)."""

from __future__ import annotations

import re

_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_HEADING = re.compile(r"^\s*#{1,6}\s+(.*?)\s*#*\s*$")
_EMPHASIS = re.compile(r"^[*_]+(.*?)[*_]+$")
_ANGLE_URL = re.compile(r"^\s*<(https?://[^>\s]+)>\s*$")
_BARE_URL = re.compile(r"^\s*(https?://\S+)\s*$")
_BOLD_LINE = re.compile(r"^\s*\*\*(.+?)\*\*\s*$")
_FRONT_MATTER_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")

_FRONT_MATTER_FIELDS = {
    "title": "title",
    "source": "source",
    "outlet": "source",
    "publisher": "source",
    "author": "author",
    "date": "published",
    "published": "published",
    "published_at": "published",
    "url": "url",
    "link": "url",
}


def parse_text(text: str, *, title_line: bool = True) -> dict[str, str] | None:
    """Fields of a text article: the seed layout when present, else first non-empty line as title.
    With ``title_line=False`` (the title is known from elsewhere) every line is body or footer."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return None
    first, rest = (lines[0], lines[1:]) if title_line else ("", lines)
    fields = {"title": _strip_markup(first)}
    if _HEADING.match(first) and any(_RULE.match(line) for line in rest):
        fields.update(_parse_ruled(rest))
    else:
        fields.update(_parse_footer(rest))
    if not fields.get("body", "").strip():
        fields["body"] = fields["title"]
    return fields


def parse_markdown(text: str) -> dict[str, str] | None:
    """Markdown: optional YAML-style front matter for metadata, then the text layout. When the front
    matter names the title, the first line is dropped only if it is a heading (else it is body text)."""
    meta, text = _split_front_matter(text)
    first = next((line for line in text.split("\n") if line.strip()), "")
    fields = parse_text(text, title_line=not meta.get("title") or bool(_HEADING.match(first)))
    if fields is None:
        return None
    fields.update({key: value for key, value in meta.items() if value})
    return fields


def _parse_ruled(lines: list[str]) -> dict[str, str]:
    """Seed layout: blocks between ``---`` rules; the last block may hold the URL and the outlet."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if _RULE.match(line):
            blocks.append([])
        else:
            blocks[-1].append(line)
    blocks = [b for b in blocks if any(line.strip() for line in b)]
    if not blocks:
        return {"body": ""}
    footer = _footer_fields(blocks[-1])
    body_blocks = blocks[:-1] if footer else blocks
    body = "\n\n".join("\n".join(block).strip() for block in body_blocks)
    return {"body": body, **footer}


def _parse_footer(lines: list[str]) -> dict[str, str]:
    """Plain layout: the body, with trailing URL / bold outlet lines lifted out when present."""
    end = len(lines)
    footer: dict[str, str] = {}
    while end > 0:
        line = lines[end - 1]
        if not line.strip():
            end -= 1
            continue
        found = _footer_fields([line])
        if not found or any(key in footer for key in found):
            break
        footer.update(found)
        end -= 1
    return {"body": "\n".join(lines[:end]).strip(), **footer}


def _footer_fields(lines: list[str]) -> dict[str, str]:
    """URL and outlet from footer lines; empty when any non-blank line is something else."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line.strip():
            continue
        if match := (_ANGLE_URL.match(line) or _BARE_URL.match(line)):
            fields["url"] = match.group(1)
        elif match := _BOLD_LINE.match(line):
            fields["source"] = match.group(1).strip()
        else:
            return {}
    return fields


def _strip_markup(line: str) -> str:
    line = line.strip()
    if match := _HEADING.match(line):
        line = match.group(1)
    while match := _EMPHASIS.match(line):
        line = match.group(1).strip()
    return line.strip()


def _split_front_matter(text: str) -> tuple[dict[str, str], str]:
    lines = text.lstrip("\ufeff").split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, min(len(lines), 60)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return {}, text
    meta: dict[str, str] = {}
    for line in lines[1:end]:
        if (match := _FRONT_MATTER_KEY.match(line.strip())) and match.group(1).lower() in _FRONT_MATTER_FIELDS:
            meta[_FRONT_MATTER_FIELDS[match.group(1).lower()]] = match.group(2).strip().strip("\"'")
    return meta, "\n".join(lines[end + 1 :])
