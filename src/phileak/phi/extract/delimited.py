"""CSV and TSV: the dialect sniffed from the text, the header row's cells as labels, one segment per cell. The
header is looked for among the first rows (an export's title or a blank line may come first): rows above it
are read as plain cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from phileak.phi.extract.context import Context
from phileak.phi.extract.errors import malformed
from phileak.phi.extract.header import HEADER_SEARCH_ROWS, LOOKAHEAD_ROWS, header_row
from phileak.phi.extract.sniff import extension
from phileak.phi.extract.textcodec import decode_text
from phileak.phi.spec import Segment

_SNIFF_CHARS = 64 * 1024
_RESNIFF_CHARS = 16 * 1024
_DELIMITERS = ",\t;|"


def _dialect(text: str, name: str | None) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS:
        sample = sample[: sample.rfind("\n") + 1] or sample
    sniffer = csv.Sniffer()
    try:
        return sniffer.sniff(sample, delimiters=_DELIMITERS)
    except csv.Error:
        pass
    # A title line above the table ("Patient list - Ward 3") defeats the sniffer: try again below it.
    lines = sample[:_RESNIFF_CHARS].splitlines(keepends=True)
    for skip in range(1, min(HEADER_SEARCH_ROWS, len(lines) - 2)):
        try:
            return sniffer.sniff("".join(lines[skip:]), delimiters=_DELIMITERS)
        except csv.Error:
            continue
    return csv.excel_tab if extension(name) in (".tsv", ".tab") else csv.excel


def segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    text = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text, ctx.name))
    try:
        head: list[list[str]] = []
        for row in reader:
            head.append(row)
            if len(head) >= HEADER_SEARCH_ROWS + LOOKAHEAD_ROWS:
                break
        at = header_row(head)
        labels = [cell.strip() for cell in head[at]] if at is not None else []
        for row_number, row in enumerate(_rows(head, reader), start=1):
            label_of_row: list[str | None]
            if at is not None and row_number > at + 1:
                label_of_row = [*labels[: len(row)], *[None] * (len(row) - len(labels))]
            else:
                label_of_row = [None] * len(row)
            where = f"row {row_number}"  # one string shared by the row's cells
            for cell, label in zip(row, label_of_row, strict=True):
                if cell and not cell.isspace():
                    yield Segment(text=cell, label=label, where=where)
            if row_number % 1024 == 0:
                ctx.budget.check_time()
    except csv.Error as exc:
        reason = "a field is larger than the csv module's limit" if "field larger" in str(exc) else "unreadable row"
        raise malformed("CSV", f"{reason} (row {reader.line_num})") from None


def _rows(head: list[list[str]], reader: Iterator[list[str]]) -> Iterator[list[str]]:
    yield from head
    yield from reader
