"""A small TOML writer for the lab's audit plan: tables, arrays of tables, scalars, arrays, inline tables."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TypeAlias

TomlValue: TypeAlias = (
    str | bool | int | float | date | datetime | Sequence["TomlValue"] | Mapping[str, "TomlValue"]
)
TomlTable: TypeAlias = Mapping[str, TomlValue]
# Top level: a table ([name]) or an array of tables ([[name]]) per key.
TomlDocument: TypeAlias = Mapping[str, TomlTable | Sequence[TomlTable]]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def dumps(document: TomlDocument) -> str:
    """Render `document` as TOML text that `tomllib.loads` reads back to the same data."""
    chunks: list[str] = []
    for name, section in document.items():
        if isinstance(section, Mapping):
            chunks.append(f"[{key(name)}]\n{_body(section)}")
        else:
            chunks.extend(f"[[{key(name)}]]\n{_body(table)}" for table in section)
    return "\n".join(chunks)


def key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else string(name)


def string(text: str) -> str:
    """A TOML basic string; control characters are escaped, lone surrogates are refused."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        elif 0xD800 <= code <= 0xDFFF:
            raise ValueError(f"cannot write a lone surrogate (U+{code:04X}) to TOML")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def value(item: TomlValue) -> str:
    if isinstance(item, str):
        return string(item)
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if math.isnan(item):
            return "nan"
        if math.isinf(item):
            return "inf" if item > 0 else "-inf"
        return repr(item)
    if isinstance(item, date):  # datetime is a date too
        return item.isoformat()
    if isinstance(item, Mapping):
        return "{" + ", ".join(f"{key(k)} = {value(v)}" for k, v in item.items()) + "}"
    if isinstance(item, Sequence):
        return "[" + ", ".join(value(v) for v in item) + "]"
    raise TypeError(f"no TOML form for {type(item).__name__}")


def _body(table: TomlTable) -> str:
    return "".join(f"{key(name)} = {value(item)}\n" for name, item in table.items())
