"""JSON and NDJSON: every string and number leaf, labelled with its key path ("patient.birthDate"; array
indexes dropped from the label, kept in `where`: "patient.name[0].family")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from phileak.phi.extract.context import Context
from phileak.phi.extract.errors import ExtractionError, malformed
from phileak.phi.extract.plaintext import text_segments
from phileak.phi.extract.sniff import extension
from phileak.phi.extract.textcodec import decode_text
from phileak.phi.spec import Segment

_NDJSON_EXTENSIONS = frozenset({".ndjson", ".jsonl"})
_JSON_EXTENSIONS = frozenset({".json", ".geojson", *_NDJSON_EXTENSIONS})
_MAX_LABEL_KEYS = 6


def segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    text = decode_text(data)
    if extension(ctx.name) in _NDJSON_EXTENSIONS:
        return _lines(text, ctx)
    try:
        root = parse(text)
    except ExtraData:
        return _lines(text, ctx)
    except ExtractionError:
        if extension(ctx.name) in _JSON_EXTENSIONS:
            raise
        return text_segments(text, ctx)  # text that merely starts with "{" or "["
    return leaves(root, ctx)


class ExtraData(Exception):
    """A complete JSON value followed by more: NDJSON without its extension."""


def parse(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and exc.lineno > 1:
            raise ExtraData from None
        raise malformed("JSON", f"{exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise malformed("JSON", "nested too deeply") from None
    except ValueError:  # e.g. an integer beyond Python's digit limit
        raise malformed("JSON", "a number is too long") from None


def _lines(text: str, ctx: Context) -> Iterator[Segment]:
    parsed = failed = 0
    for number, line in enumerate(text.split("\n"), start=1):  # not splitlines(): U+2028 is valid in JSON
        if not line.strip():
            continue
        try:
            record = parse(line)
        except (ExtraData, ExtractionError) as exc:
            ctx.skip(f"line {number}", str(exc) if isinstance(exc, ExtractionError) else "malformed JSON line")
            failed += 1
            continue
        parsed += 1
        yield from leaves(record, ctx, where_prefix=f"line {number}: ")
    if failed and not parsed:
        raise malformed("NDJSON", "no line is a JSON value")


def leaves(root: Any, ctx: Context, where_prefix: str = "") -> Iterator[Segment]:
    # Iterative: a deep document must not exhaust the interpreter's stack.
    stack: list[tuple[Any, tuple[str, ...], str]] = [(root, (), "")]
    visited = 0
    while stack:
        value, keys, path = stack.pop()
        visited += 1
        if visited % 4096 == 0:
            ctx.budget.check_time()
        if isinstance(value, dict):
            for key, child in reversed(value.items()):
                stack.append((child, (*keys, key), f"{path}.{key}" if path else key))
        elif isinstance(value, list):
            for index in range(len(value) - 1, -1, -1):
                stack.append((value[index], keys, f"{path}[{index}]"))
        elif isinstance(value, str):
            if value and not value.isspace():
                yield _segment(value, keys, where_prefix + path)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            yield _segment(repr(value), keys, where_prefix + path)


def _segment(text: str, keys: tuple[str, ...], where: str) -> Segment:
    label = ".".join(keys[-_MAX_LABEL_KEYS:]) or None
    return Segment(text=text, label=label, where=where or None)
