"""Which row of a table holds its column titles: the first row usually, but exports often put a title ("Patient
list - Ward 3"), a date or a blank line above the real header. Shared by the CSV and XLSX readers and by the
sniffer's test for tab- or semicolon-separated .txt exports."""

from __future__ import annotations

import re
from collections.abc import Sequence

from phileak.phi.labels import label_role

HEADER_SEARCH_ROWS = 10  # a header below this many rows is not looked for
LOOKAHEAD_ROWS = 10  # rows below a candidate header compared with its width
_MIN_KNOWN_LABELS = 2  # cells naming what phileak looks for, for a header below the first row
_NUMERIC_OR_DATE = re.compile(r"[\d\s.,:/+\-]*")


def is_header(row: Sequence[str]) -> bool:
    """Column titles: all present, distinct, none a number or a date. (A first data row of names passes too;
    its cells are still emitted as text, only the labels of later rows suffer.)"""
    cells = [cell.strip() for cell in row]
    return (
        len(cells) > 1
        and all(cells)
        and len(set(cells)) == len(cells)
        and not any(_NUMERIC_OR_DATE.fullmatch(cell) for cell in cells)
    )


def width(row: Sequence[str]) -> int:
    """The row's cell count up to its last non-blank cell (exports pad short rows with empty cells)."""
    for index in range(len(row) - 1, -1, -1):
        if row[index].strip():
            return index + 1
    return 0


def header_row(rows: Sequence[Sequence[str]]) -> int | None:
    """The index in `rows` (a table's first rows, blank ones included) of its header row, or None.

    The first row is the header when it looks like column titles (is_header) and is as wide as the rows below
    it; a later row within HEADER_SEARCH_ROWS must also name at least two things phileak knows a column by
    ("Name", "DOB", "MRN": a row of data rarely does). Failing both, a first row that looks like titles but is
    narrower than the data is still taken (a header over an unlabelled extra column), as before."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        used = width(row)
        if used < 2 or not is_header(row[:used]) or (index and not names_known_columns(row[:used])):
            continue
        below = [width(other) for other in rows[index + 1 : index + 1 + LOOKAHEAD_ROWS]]
        if used >= max(below, default=0):
            return index
    if rows and is_header(rows[0]):
        return 0
    return None


def names_known_columns(cells: Sequence[str]) -> bool:
    """At least two cells are labels phileak knows a column by ("Name", "DOB", "MRN", "Phone")."""
    return sum(1 for cell in cells if label_role(cell.strip()) is not None) >= _MIN_KNOWN_LABELS
