"""CSV and TSV: the dialect sniffed from the text, the header row's cells as labels, one segment per cell."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from phileak.phi.extract.context import Context
from phileak.phi.extract.errors import malformed
from phileak.phi.extract.sniff import extension
from phileak.phi.extract.textcodec import decode_text
from phileak.phi.spec import Segment

_SNIFF_CHARS = 64 * 1024
_DELIMITERS = ",\t;|"
_NUMERIC_OR_DATE = re.compile(r"[\d\s.,:/+\-]*")


def _dialect(text: str, name: str | None) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS:
        sample = sample[: sample.rfind("\n") + 1] or sample
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS)
    except csv.Error:
        return csv.excel_tab if extension(name) in (".tsv", ".tab") else csv.excel


def _is_header(row: list[str]) -> bool:
    """Column titles: all present, distinct, none a number or a date. (A first data row of names passes too;
    its cells are still emitted as text, only the labels of later rows suffer.)"""
    cells = [cell.strip() for cell in row]
    return (
        len(cells) > 1
        and all(cells)
        and len(set(cells)) == len(cells)
        and not any(_NUMERIC_OR_DATE.fullmatch(cell) for cell in cells)
    )


def segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    text = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text, ctx.name))
    labels: list[str] = []
    try:
        for row_number, row in enumerate(reader, start=1):
            if row_number == 1 and _is_header(row):
                labels = [cell.strip() for cell in row]
                label_of_row: list[str | None] = [None] * len(row)
            else:
                label_of_row = [*labels[: len(row)], *[None] * (len(row) - len(labels))]
            where = f"row {row_number}"  # one string shared by the row's cells
            for cell, label in zip(row, label_of_row, strict=True):
                if cell and not cell.isspace():
                    yield Segment(text=cell, label=label, where=where)
            if row_number % 1024 == 0:
                ctx.budget.check_time()
    except csv.Error as exc:
        reason = "a field is larger than the csv module's limit" if "field larger" in str(exc) else "unreadable row"
        raise malformed("CSV", f"{reason} (row {reader.line_num})") from None
