"""DOCX: paragraphs and tables in document order (a table cell labelled with its column's header cell), then
headers, footers, footnotes, endnotes and comments, and the core properties (author, title, ...). Content
controls, text boxes and tracked deletions are read too: text is taken from the XML, not from python-docx's
paragraph model."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docx
from docx.opc.part import XmlPart
from docx.oxml.ns import qn
from docx.oxml.parser import parse_xml

from phileak.phi.extract.archives import charge_declared_sizes, open_zip
from phileak.phi.extract.context import Context
from phileak.phi.spec import Segment

_P, _TBL, _TR, _TC = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
_T, _TAB, _BR, _CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
# Tracked deletions keep their text in the file (anyone opening it can reject the change and read it).
_DEL_TEXT, _DEL_INSTR_TEXT = qn("w:delText"), qn("w:delInstrText")
_TEXTS = frozenset({_T, _DEL_TEXT})
_GRID_SPAN, _VAL = qn("w:gridSpan"), qn("w:val")
_OTHER_PARTS = re.compile(r"/word/(header|footer|footnotes|endnotes|comments)\d*\.xml")
_CORE_PROPERTIES = ("title", "subject", "author", "last_modified_by", "keywords", "comments")


@dataclass(slots=True)
class _Counters:
    paragraphs: int = 0
    tables: int = 0


def segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    with open_zip(data, ctx, "DOCX") as archive:
        charge_declared_sizes(archive, ctx)
    document = docx.Document(io.BytesIO(data))
    yield from _blocks(document.element.body, _Counters(), "")
    for part in document.part.package.iter_parts():
        found = _OTHER_PARTS.fullmatch(str(part.partname))
        if found:
            ctx.budget.check_time()
            root = part.element if isinstance(part, XmlPart) else parse_xml(part.blob)
            yield from _blocks(root, _Counters(), f"{found.group(1)} ")
    properties = document.core_properties
    for key in _CORE_PROPERTIES:
        value = getattr(properties, key)
        if isinstance(value, str) and value.strip():
            yield Segment(text=value, label=key, where="properties")


def _blocks(container: Any, counters: _Counters, where_prefix: str) -> Iterator[Segment]:
    """Paragraphs and tables under `container`, descending through content controls, footnotes, comments and
    any other wrapper (a paragraph or table is read whole, never descended into)."""
    for child in container.iterchildren():
        if child.tag == _P:
            counters.paragraphs += 1
            text = _text(child).strip()
            if text:
                yield Segment(text=text, where=f"{where_prefix}paragraph {counters.paragraphs}")
        elif child.tag == _TBL:
            counters.tables += 1
            yield from _table(child, f"{where_prefix}table {counters.tables}")
        elif isinstance(child.tag, str):  # not a comment or processing instruction
            yield from _blocks(child, counters, where_prefix)


def _table(table: Any, where_prefix: str) -> Iterator[Segment]:
    header: dict[int, str] = {}
    for row_number, row in enumerate(table.iterchildren(_TR), start=1):
        where = f"{where_prefix} row {row_number}"
        column = 0
        for cell in row.iterchildren(_TC):
            text = _text(cell).strip()
            if row_number == 1:
                header[column] = " ".join(text.split())
            if text:
                label = header.get(column) or None if row_number > 1 else None
                yield Segment(text=text, label=label, where=where)
            column += _grid_span(cell)


def _grid_span(cell: Any) -> int:
    """How many grid columns a merged cell covers, so later cells line up with their header."""
    span = cell.find(f"{qn('w:tcPr')}/{_GRID_SPAN}")
    try:
        return max(1, int(span.get(_VAL))) if span is not None else 1
    except (TypeError, ValueError):
        return 1


def _text(element: Any) -> str:
    parts: list[str] = []
    for node in element.iter(_T, _DEL_TEXT, _DEL_INSTR_TEXT, _TAB, _BR, _CR, _P):
        if node.tag in _TEXTS:
            parts.append(node.text or "")
        elif node.tag == _DEL_INSTR_TEXT:
            parts.append(f" {node.text or ''} ")
        elif node.tag == _P:
            if parts:
                parts.append("\n")
        else:
            parts.append(" ")
    return "".join(parts)
