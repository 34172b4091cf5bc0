"""Bytes to text for every reader: a byte-order mark, else UTF-8, else the legacy encoding `charset_normalizer`
detects; None for binary data."""

from __future__ import annotations

from charset_normalizer import from_bytes

BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_WIDE = ("utf_16", "utf_32")  # without a BOM and without NUL bytes, never the right guess
_PREFERRED = "cp1252"  # the legacy encoding of most Western news; wins ties with look-alike code pages


def decode(data: bytes) -> str | None:
    """UTF-8 (or UTF-16/32 with a BOM) first, then the encoding `charset_normalizer` detects; None for binary data."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            try:
                return _printable_or_none(data[len(bom) :].decode(codec))
            except UnicodeDecodeError:
                return None
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    return _printable_or_none(_detect(data))


def _detect(data: bytes) -> str | None:
    """The most plausible legacy decoding; Windows-1252 among equally plausible code pages."""
    matches = [m for m in from_bytes(data) if not m.encoding.startswith(_WIDE)]
    if not matches:
        return None
    lowest = min(m.chaos for m in matches)
    plausible = [m for m in matches if m.chaos <= lowest + 0.02]
    if any(_PREFERRED in m.could_be_from_charset for m in plausible):
        try:
            return data.decode(_PREFERRED)
        except UnicodeDecodeError:
            pass
    return str(plausible[0])


def _printable_or_none(text: str | None) -> str | None:
    """``text`` unless it is mostly control characters (binary data that happened to decode)."""
    if text is None:
        return None
    sample = text[:4096]
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in sample)
    return text if printable >= 0.95 * len(sample) else None
