"""Bytes to text: BOMs first (UTF-8, UTF-16, UTF-32), then strict UTF-8, BOM-less UTF-16 by its NUL pattern,
Windows-1252, and latin-1, which decodes anything. Also the binary-or-text test the sniffer uses."""

from __future__ import annotations

import codecs

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAMPLE = 8192
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\v\x08\x1b")


def _bom(data: bytes) -> tuple[str, int] | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


def _bomless_utf16(sample: bytes) -> str | None:
    """UTF-16 text of mostly ASCII has a NUL in every other byte: odd positions for LE, even for BE."""
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    odd_nuls = sample[1 : 2 * pairs : 2].count(0)
    even_nuls = sample[0 : 2 * pairs : 2].count(0)
    if odd_nuls > 0.4 * pairs and even_nuls < 0.05 * pairs:
        return "utf-16-le"
    if even_nuls > 0.4 * pairs and odd_nuls < 0.05 * pairs:
        return "utf-16-be"
    return None


def detect_encoding(data: bytes) -> tuple[str, int]:
    """(codec name, BOM length to skip) for `data`."""
    found = _bom(data)
    if found:
        return found
    sample = data[:_SAMPLE]
    utf16 = _bomless_utf16(sample)
    if utf16:
        return utf16, 0
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8", 0
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1", 0
    return "cp1252", 0


def decode_text(data: bytes) -> str:
    """The text in `data`, whatever its encoding; undecodable UTF-16/32 code units become U+FFFD."""
    encoding, skip = detect_encoding(data)
    return data[skip:].decode(encoding, errors="replace")


def looks_binary(data: bytes) -> bool:
    """True for data that is not text in any encoding decode_text handles (NULs or many control bytes)."""
    sample = data[:_SAMPLE]
    if _bom(sample) or _bomless_utf16(sample):
        return False
    if 0 in sample:
        return True
    controls = sum(1 for byte in sample if byte < 0x20 and byte not in _TEXT_CONTROLS)
    return controls > 0.05 * max(1, len(sample))
