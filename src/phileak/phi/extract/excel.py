"""XLSX: every sheet streamed read-only, cached values (not formulas), the header row's cells as labels of the
cells below them, located as "Sheet!A12". The header is the first non-empty row unless a later one among the
first few looks more like column titles (a title row above the table): rows above it are read unlabelled."""

from __future__ import annotations

import datetime
import io
import itertools
from collections.abc import Iterator
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from phileak.phi.extract.archives import charge_declared_sizes, open_zip
from phileak.phi.extract.context import Context
from phileak.phi.extract.header import HEADER_SEARCH_ROWS, LOOKAHEAD_ROWS, header_row
from phileak.phi.spec import Segment

_PROPERTIES = ("title", "subject", "creator", "lastModifiedBy", "keywords", "description")


def segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    with open_zip(data, ctx, "XLSX") as archive:
        charge_declared_sizes(archive, ctx)
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    try:
        for sheet in workbook.worksheets:
            yield from _sheet(sheet, ctx)
        for key in _PROPERTIES:
            value = getattr(workbook.properties, key, None)
            if isinstance(value, str) and value.strip():
                yield Segment(text=value, label=key, where="properties")
    finally:
        workbook.close()


def _sheet(sheet: Any, ctx: Context) -> Iterator[Segment]:
    # A sheet's declared dimension can be forged to millions of columns; rows are read as they are.
    sheet.reset_dimensions()
    title = str(sheet.title)
    rows = _texts(sheet.iter_rows(values_only=True), ctx)
    head: list[tuple[int, list[str]]] = []  # the first non-empty rows, to find the header among them
    for numbered in rows:
        head.append(numbered)
        if len(head) >= HEADER_SEARCH_ROWS + LOOKAHEAD_ROWS:
            break
    if not head:
        return
    at = header_row([cells for _, cells in head])
    header_number = head[at if at is not None else 0][0]
    header = [" ".join(cell.split()) or None for cell in head[at if at is not None else 0][1]]
    for row_number, cells in itertools.chain(head, rows):
        for index, text in enumerate(cells):
            if text:
                label = header[index] if row_number > header_number and index < len(header) else None
                where = f"{title}!{get_column_letter(index + 1)}{row_number}"
                yield Segment(text=text, label=label, where=where)


def _texts(rows: Iterator[tuple[object, ...]], ctx: Context) -> Iterator[tuple[int, list[str]]]:
    """(row number, cell texts) of each row with a non-empty cell."""
    for row_number, row in enumerate(rows, start=1):
        if row_number % 1024 == 0:
            ctx.budget.check_time()
        cells = [_cell_text(value) for value in row]
        if any(cells):
            yield row_number, cells


def _cell_text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()  # a date typed into a cell comes back as midnight
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    text = str(value)
    return "" if text.isspace() else text
