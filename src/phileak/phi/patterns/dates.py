"""Calendar dates in the forms people and systems write them, English and French. A date alone is not personal:
the engine makes it a date of birth when a label or cue says so ("DOB", "Né le", PatientBirthDate), and a
person-tied date when a cue or the surrounding record ties it to a person. Compact (19620314) and two-digit-year
dates are read only after a label or cue (readers.py)."""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from phileak.model import DataCategory
from phileak.phi.identity import fold
from phileak.phi.patterns.shapes import any_case, longest_first
from phileak.phi.spec import PatternSpec

MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2099

_MONTH_NUMBERS: Final = {
    **dict.fromkeys(("january", "jan", "janvier", "janv"), 1),
    **dict.fromkeys(("february", "feb", "fevrier", "fevr", "fev"), 2),
    **dict.fromkeys(("march", "mar", "mars"), 3),
    **dict.fromkeys(("april", "apr", "avril", "avr"), 4),
    **dict.fromkeys(("may", "mai"), 5),
    **dict.fromkeys(("june", "jun", "juin"), 6),
    **dict.fromkeys(("july", "jul", "juillet", "juil"), 7),
    **dict.fromkeys(("august", "aug", "aout"), 8),
    **dict.fromkeys(("september", "sep", "sept", "septembre"), 9),
    **dict.fromkeys(("october", "oct", "octobre"), 10),
    **dict.fromkeys(("november", "nov", "novembre"), 11),
    **dict.fromkeys(("december", "dec", "decembre"), 12),
}
_WRITTEN_MONTHS: Final = (
    *_MONTH_NUMBERS, "février", "févr", "fév", "août", "décembre", "déc",
)  # fmt: skip
_MONTH: Final = "(?:" + "|".join(any_case(m) for m in sorted(_WRITTEN_MONTHS, key=longest_first)) + r")\.?"
_DAY: Final = r"(?:0?[1-9]|[12]\d|3[01])"
_YEAR: Final = r"(?:19|20)\d\d"
_ORDINAL: Final = "(?:st|nd|rd|th|er|ER)?"

_NUMBER = re.compile(r"\d+")
_LETTERS = re.compile(r"[^\W\d_]+")


def _valid(year: int, month: int, day: int) -> bool:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def numeric_date_valid(value: str) -> bool:
    """Day, month and year in either D/M/Y or M/D/Y order (Y/M/D when the year comes first) form a real date;
    a time after an ISO date ("T10:47:00Z") is ignored."""
    numbers = [int(n) for n in _NUMBER.findall(value.split("T", 1)[0])]
    if len(numbers) == 1:  # YYYYMMDD
        text = _NUMBER.findall(value)[0]
        return len(text) == 8 and _valid(int(text[:4]), int(text[4:6]), int(text[6:]))
    if len(numbers) != 3:
        return False
    first, second, third = numbers
    if first > 31:
        return _valid(first, second, third)
    year = third if third >= 100 else 1900 + third
    return _valid(year, first, second) or _valid(year, second, first)


def written_date_valid(value: str) -> bool:
    """A date with its month in words is real (day fits the month, year in range)."""
    words = [fold(w).rstrip(".") for w in _LETTERS.findall(value)]
    months = [_MONTH_NUMBERS[w] for w in words if w in _MONTH_NUMBERS]
    numbers = [int(n) for n in _NUMBER.findall(value)]
    if len(months) != 1 or len(numbers) != 2:
        return False
    day, year = (numbers[0], numbers[1]) if numbers[1] > 31 else (numbers[1], numbers[0])
    return _valid(year, months[0], day)


DATE_NUMERIC = PatternSpec(
    name="date-numeric",
    category=DataCategory.DATE,
    regex=rf"\b{_DAY}[/.\-]{_DAY}[/.\-]{_YEAR}\b",
    validate=numeric_date_valid,
    confidence=0.9,
)
DATE_ISO = PatternSpec(  # with its time when it has one: 2024-10-14T10:47:00Z
    name="date-iso",
    category=DataCategory.DATE,
    regex=(
        rf"\b{_YEAR}[/.\-](?:0?[1-9]|1[0-2])[/.\-]{_DAY}"
        r"(?:T\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?(?:Z|[+\-]\d\d:?\d\d)?)?\b"
    ),
    validate=numeric_date_valid,
    confidence=0.9,
)
DATE_WRITTEN = PatternSpec(
    name="date-written",
    category=DataCategory.DATE,
    regex=(
        rf"\b{_DAY}{_ORDINAL}(?:[ \-](?:of|OF)[ ])?[ \-]?{_MONTH}[ \-,]{{1,2}}{_YEAR}\b"
        rf"|\b{_MONTH}[ ]{_DAY}{_ORDINAL},?[ ]{_YEAR}\b"
    ),
    validate=written_date_valid,
    confidence=0.9,
)
PATTERNS: Final = (DATE_NUMERIC, DATE_ISO, DATE_WRITTEN)
