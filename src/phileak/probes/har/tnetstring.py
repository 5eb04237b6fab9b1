"""A reader for tnetstrings, the serialisation of mitmproxy's flow dumps (`mitmdump -w`): `<length>:<data><tag>`
with tags `,` bytes, `;` text, `#` integer, `^` float, `!` boolean, `~` null, `]` list, `}` dict.

Written from the format's description (mitmproxy/io/tnetstring.py, MIT) so that reading a dump needs no
mitmproxy install. Iterative where input decides the depth, and bounded: a hostile dump raises ValueError."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

MAX_LENGTH_DIGITS: Final = 12
MAX_DEPTH: Final = 64


def iter_values(data: bytes | memoryview) -> Iterator[Any]:
    """Each top-level value of a concatenation of tnetstrings, in order. ValueError (with the byte offset) on
    malformed or truncated input, after the values before it were yielded."""
    view = memoryview(data)
    offset = 0
    while offset < len(view):
        value, offset = _parse(view, offset, 0)
        yield value


def _parse(view: memoryview, offset: int, depth: int) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise ValueError(f"tnetstring nested deeper than {MAX_DEPTH} at byte {offset}")
    colon = offset
    while colon < len(view) and colon - offset <= MAX_LENGTH_DIGITS and 48 <= view[colon] <= 57:
        colon += 1
    if colon == offset or colon >= len(view) or view[colon] != ord(":"):
        raise ValueError(f"not a tnetstring: bad length prefix at byte {offset}")
    length = int(bytes(view[offset:colon]))
    start, end = colon + 1, colon + 1 + length
    if end >= len(view):
        raise ValueError(f"tnetstring truncated at byte {offset} (needs {length} bytes)")
    tag = view[end]
    payload = view[start:end]
    if tag == ord(","):
        return payload.tobytes(), end + 1
    if tag == ord(";"):
        return payload.tobytes().decode("utf-8", "surrogateescape"), end + 1
    if tag == ord("#"):
        return int(payload.tobytes()), end + 1
    if tag == ord("^"):
        return float(payload.tobytes()), end + 1
    if tag == ord("!"):
        return payload.tobytes() == b"true", end + 1
    if tag == ord("~"):
        return None, end + 1
    if tag == ord("]"):
        items = []
        position = start
        while position < end:
            item, position = _parse(view, position, depth + 1)
            items.append(item)
        _check_consumed(position, end)
        return items, end + 1
    if tag == ord("}"):
        mapping: dict[Any, Any] = {}
        position = start
        while position < end:
            key, position = _parse(view, position, depth + 1)
            if position >= end:
                raise ValueError(f"tnetstring dict without a value at byte {position}")
            value, position = _parse(view, position, depth + 1)
            mapping[key.decode("utf-8", "surrogateescape") if isinstance(key, bytes) else key] = value
        _check_consumed(position, end)
        return mapping, end + 1
    raise ValueError(f"not a tnetstring: unknown type tag at byte {end}")


def _check_consumed(position: int, end: int) -> None:
    if position != end:
        raise ValueError(f"tnetstring container overruns its length at byte {position}")


def dumps(value: Any) -> bytes:
    """Serialise (for tests and tools writing mitmproxy-style dumps): str as text, bytes as bytes."""
    if value is None:
        return b"0:~"
    if value is True or value is False:
        text = b"true" if value else b"false"
        return b"%d:%s!" % (len(text), text)
    if isinstance(value, int):
        text = str(value).encode()
        return b"%d:%s#" % (len(text), text)
    if isinstance(value, float):
        text = repr(value).encode()
        return b"%d:%s^" % (len(text), text)
    if isinstance(value, bytes):
        return b"%d:%s," % (len(value), value)
    if isinstance(value, str):
        encoded = value.encode("utf-8", "surrogateescape")
        return b"%d:%s;" % (len(encoded), encoded)
    if isinstance(value, list | tuple):
        inner = b"".join(dumps(item) for item in value)
        return b"%d:%s]" % (len(inner), inner)
    if isinstance(value, dict):
        inner = b"".join(dumps(k) + dumps(v) for k, v in value.items())
        return b"%d:%s}" % (len(inner), inner)
    raise TypeError(f"cannot serialise {type(value).__name__} as a tnetstring")
