"""XLSX: every sheet streamed read-only, cached values (not formulas), the first non-empty row's cells as
labels of the cells below them, located as "Sheet!A12"."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from phileak.phi.extract.archives import charge_declared_sizes, open_zip
from phileak.phi.extract.context import Context
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
    header: list[str | None] | None = None
    for row_number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if row_number % 1024 == 0:
            ctx.budget.check_time()
        cells = [_cell_text(value) for value in row]
        if header is None:
            if not any(cells):
                continue
            header = [" ".join(cell.split()) or None for cell in cells]
            labels: list[str | None] = [None] * len(cells)
        else:
            labels = [header[index] if index < len(header) else None for index in range(len(cells))]
        for index, text in enumerate(cells):
            if text:
                where = f"{title}!{get_column_letter(index + 1)}{row_number}"
                yield Segment(text=text, label=labels[index], where=where)


def _cell_text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()  # a date typed into a cell comes back as midnight
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    text = str(value)
    return "" if text.isspace() else text
