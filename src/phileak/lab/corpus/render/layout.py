"""How a document's segments read as lines of text, a table, or a JSON object (shared by the renderers)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from phileak.lab.corpus.model import LabelledDoc

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def blocks(doc: LabelledDoc) -> list[str]:
    """Text blocks in reading order: a tracker hit as its URL; labelled fields as "label: value"; prose as is."""
    if doc.source == "query" and doc.endpoint:
        query = urlencode([(s.label or "", s.text) for s in doc.segments])
        return [f"{doc.endpoint}?{query}"]
    return [f"{s.label}: {s.text}" if s.label else s.text for s in doc.segments]


def table(doc: LabelledDoc) -> list[list[str]]:
    """Rows, header first: a CSV-shaped document (cells labelled by column, `where` = "row N") as its table;
    anything else as (field, value) rows."""
    if _is_table(doc):
        header = list(dict.fromkeys(s.label or "" for s in doc.segments))
        rows: dict[str, dict[str, str]] = {}
        for segment in doc.segments:
            rows.setdefault(segment.where or "", {})[segment.label or ""] = segment.text
        return [header, *([row.get(column, "") for column in header] for row in rows.values())]
    return [["field", "value"], *([s.label or "", s.text] for s in doc.segments)]


def _is_table(doc: LabelledDoc) -> bool:
    return bool(doc.segments) and all(s.label and s.where and s.where.startswith("row ") for s in doc.segments)


def json_value(doc: LabelledDoc) -> Any:
    """A JSON payload's own structure (segments' `where` are JSON paths); a table as a list of row objects; a
    form as {field: value}; else the blocks under "text"."""
    if doc.source == "json":
        root: dict[str, Any] = {}
        for segment in doc.segments:
            _put(root, [m[1] or int(m[2]) for m in _PATH_PART.finditer(segment.where or segment.label or "text")],
                 segment.text)  # fmt: skip
        return root
    if _is_table(doc):
        header, *rows = table(doc)
        return [dict(zip(header, row, strict=True)) for row in rows]
    if doc.segments and all(s.label for s in doc.segments):
        fields: dict[str, Any] = {}
        for segment in doc.segments:
            fields[segment.label or ""] = segment.text
        return fields
    return {"text": blocks(doc)}


def _put(node: Any, path: list[str | int], value: str) -> None:
    for step, following in zip(path, [*path[1:], None], strict=True):
        if following is None:
            _assign(node, step, value)
            return
        container: Any = [] if isinstance(following, int) else {}
        node = _child(node, step, container)


def _child(node: Any, step: str | int, default: Any) -> Any:
    if isinstance(node, list):
        assert isinstance(step, int)
        while len(node) <= step:
            node.append(None)
        if node[step] is None:
            node[step] = default
        return node[step]
    return node.setdefault(step, default)


def _assign(node: Any, step: str | int, value: str) -> None:
    if isinstance(node, list):
        assert isinstance(step, int)
        while len(node) <= step:
            node.append(None)
        node[step] = value
    else:
        node[step] = value
