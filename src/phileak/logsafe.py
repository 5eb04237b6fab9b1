"""Keeps raw identifiers out of every log line and exception message.

Probes `register()` each identifier as soon as they read it; `scrub()` replaces registered values and
pattern-detected ones (emails, SSNs, French NIRs, time-less dates, phone-like numbers) by redacted forms.
`install()` makes every log record pass through `scrub()` before any handler sees it.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Final

from phileak.phi.identity import MONTH_NAMES, dicom_name_to_natural, parse_date
from phileak.phi.redact import (
    Key,
    ValueMatcher,
    redact_date,
    redact_email,
    redact_id,
    redact_phone,
    redact_ssn,
)

DEFAULT_CAPACITY: Final = 100_000
MIN_REGISTERED_CHARS: Final = 3
MESSAGE_LIMIT: Final = 300


class SensitiveValues:
    """Thread-safe registry of raw values to keep out of logs, remembering the `capacity` most recently
    registered. Values with fewer than 3 letters and digits are ignored: alone they identify no one, and
    they would mangle ordinary words."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._matcher = ValueMatcher(min_chars=MIN_REGISTERED_CHARS)
        self._recent: OrderedDict[Key, None] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._recent)

    def register(self, *values: str) -> None:
        """Remember each value (its category guessed, for how it is shown redacted)."""
        self.register_as((value, None) for value in values)

    def register_as(self, values: Iterable[tuple[str, str | None]]) -> None:
        """Remember each (value, category); a DICOM name `FAMILY^GIVEN^MIDDLE` also as "Given Middle Family"."""
        with self._lock:
            for value, category in values:
                if value:
                    self._remember(value, category)
                    if "^" in value:
                        self._remember(dicom_name_to_natural(value), category)

    def _remember(self, value: str, category: str | None) -> None:
        key = self._matcher.add(value, category)
        if key is None:
            return
        self._recent[key] = None
        self._recent.move_to_end(key)
        while len(self._recent) > self._capacity:
            oldest, _ = self._recent.popitem(last=False)
            self._matcher.discard(oldest)

    def scrub(self, text: str) -> str:
        """`text` with registered values, then pattern-detected identifiers, redacted."""
        with self._lock:
            text = self._matcher.sub(text)
        return scrub_patterns(text)


_YEAR = r"(?:19|20)\d\d"
# A date with a time is an event, not a birth date; midnight is how date-only values print as datetimes.
_NOT_A_TIMESTAMP = r"(?!\d|T(?!00:?00)\d\d|[ T](?!00:00)\d{1,2}:\d\d)"
_MONTH = r"(?:" + "|".join(sorted(MONTH_NAMES, key=len, reverse=True)) + r")[^\W\d_]*\.?"
# Every form starts with a digit or a month name: the lookahead spares trying them all at every other word.
_DATE_START = "".join(sorted({c for name in MONTH_NAMES for c in (name[0].lower(), name[0].upper())}))
_DATE = re.compile(
    rf"""(?<![\w.])(?=[\d{re.escape(_DATE_START)}])(?:
        {_YEAR}([-/.])\d\d?\1\d\d?
      | \d\d?([-/.])\d\d?\2{_YEAR}
      | {_YEAR}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])
      | \d\d?(?:st|nd|rd|th|er)?[ -]{_MONTH}[ -]{_YEAR}
      | {_MONTH}\ \d\d?(?:st|nd|rd|th)?,?\ {_YEAR}
    ){_NOT_A_TIMESTAMP}""",
    re.IGNORECASE | re.VERBOSE,
)
# Each pattern starts by consuming a character of a known set, its lookbehind placed after that character:
# Python's re then skips ahead to candidate characters instead of trying the pattern at every position.
_EMAIL = re.compile(r"(?<![\w.+%-])[\w.+-]+(?:@|%40)(?:[\w-]+\.)+[^\W\d_]{2,}(?![\w-])")
_SSN = re.compile(r"\d(?<![\d-]\d)\d\d([- ])\d\d\1\d{4}(?![\d-])")
_NIR = re.compile(  # sex, year, month, department (2A/2B: Corsica), commune, order, optional key
    r"[12](?<![\w.][12]) ?\d\d ?(?:0[1-9]|1[0-2]) ?(?:\d\d|2[AB]) ?\d{3} ?\d{3}(?: ?\d\d)?(?![\w.])"
)
# An optional "+" or "(" and a digit, not glued to a word, a dot or a plus before it.
_PHONE = re.compile(
    r"[+(\d](?<![\w.+][+(\d])(?:(?<=[+(])\d|(?<=\d))(?:[ .()\-]{1,2}\d|\d){9,}(?![\w:]|\.\d)"
)
_YEAR_SEEN = re.compile(_YEAR)
_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_DIGIT_GROUP = re.compile(r"\d+")
_E164_MAX_DIGITS: Final = 15
_MAX_PHONE_GROUPS: Final = 5


def _date_or_keep(match: re.Match[str]) -> str:
    try:
        parse_date(match[0])
    except ValueError:
        return match[0]
    return redact_date(match[0])


def _phone_or_keep(match: re.Match[str]) -> str:
    text = match[0]
    groups = _DIGIT_GROUP.findall(text)
    if not (len(groups) == 1 or text.startswith("+") or _grouped_like_phone(text, groups)):
        return text
    if sum(map(len, groups)) > _E164_MAX_DIGITS:
        return redact_id(text)
    return redact_phone(text)


def _grouped_like_phone(text: str, groups: list[str]) -> bool:
    """Formatted national numbers: "555-010-0000", "(555) 010 0000", "1-555-010-0000", "01 23 45 67 89".
    Lists of numbers ("104 4242 11112"), IPv4 addresses and DICOM UIDs are grouped otherwise."""
    return (
        len(groups) <= _MAX_PHONE_GROUPS
        and all(2 <= len(group) <= 4 for group in groups[1:])
        and len(groups[0]) <= 4
        and not _DOTTED_QUAD.fullmatch(text)
    )


def _always(_text: str) -> bool:
    return True


# (pattern, replacement, whether a text can hold a match at all: a cheap test that spares the pattern's pass)
_PATTERNS: Final[
    tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str], Callable[[str], bool]], ...]
] = (
    (_EMAIL, lambda m: redact_email(m[0]), lambda text: "@" in text or "%40" in text),
    (_SSN, lambda m: redact_ssn(m[0]), _always),
    (_NIR, lambda m: redact_id(m[0]), _always),
    (_DATE, _date_or_keep, lambda text: _YEAR_SEEN.search(text) is not None),  # every form has a year
    (_PHONE, _phone_or_keep, _always),
)


def scrub_patterns(text: str) -> str:
    """`text` with pattern-detected identifiers redacted; log-record timestamps, counts, durations, IPv4
    addresses and DICOM UIDs are left alone."""
    for pattern, replace, possible in _PATTERNS:
        if possible(text):
            text = pattern.sub(replace, text)
    return text


_registry = SensitiveValues()


def register(*values: str) -> None:
    """Keep these raw values out of every log line and exception message from now on."""
    _registry.register(*values)


def register_as(values: Iterable[tuple[str, str | None]]) -> None:
    """`register` for (value, category) pairs whose category is known (a person's name, e-mail, phone ...)."""
    _registry.register_as(values)


def scrub(text: str) -> str:
    """`text` with registered values and pattern-detected identifiers redacted."""
    return _registry.scrub(text)


def safe_message(exc: BaseException, limit: int = MESSAGE_LIMIT) -> str:
    """One line, "ExcType: scrubbed message", at most `limit` characters."""
    try:
        text = str(exc)
    except Exception:
        text = "<unprintable message>"
    line = " ".join(scrub(text).split())
    message = f"{type(exc).__name__}: {line}" if line else type(exc).__name__
    return message if len(message) <= limit else message[: limit - 1] + "…"


_SCRUBBED: Final = "_phileak_scrubbed_msg"
_TRACEBACK_FORMATTER = logging.Formatter()


class SensitiveDataFilter(logging.Filter):
    """Scrubs a record's message (msg % args), exception text and stack text in place; never drops it.
    The traceback is rendered and scrubbed here and exc_info cleared, so no handler renders it raw."""

    def __init__(self, values: SensitiveValues | None = None) -> None:
        super().__init__()
        self._values = values

    def _scrub(self, text: str) -> str:
        return self._values.scrub(text) if self._values is not None else scrub(text)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _SCRUBBED, None) is record.msg and not record.args and not record.exc_info:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format: keep what can be shown, scrubbed
            message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = self._scrub(message), None
        if record.exc_info:
            record.exc_text = _TRACEBACK_FORMATTER.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self._scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self._scrub(record.stack_info)
        setattr(record, _SCRUBBED, record.msg)
        return True


class _ScrubbingRecordFactory:
    """Wraps the log record factory so records of every logger are scrubbed when made, before any
    handler (even one added later, or on a logger that does not propagate) sees them."""

    def __init__(self, inner: Callable[..., logging.LogRecord], record_filter: SensitiveDataFilter) -> None:
        self.inner = inner
        self._filter = record_filter

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        self._filter.filter(record)
        return record


_filter = SensitiveDataFilter()


def install(logger: logging.Logger | None = None) -> None:
    """Scrub every log record: wraps the record factory, and adds the filter to `logger` (default: root)
    and its handlers for records made without the factory (logging.makeLogRecord). Idempotent.
    Also stops pynetdicom logging C-FIND identifiers, when it is installed."""
    target = logger if logger is not None else logging.getLogger()
    for filterer in (target, *target.handlers):
        if not any(isinstance(f, SensitiveDataFilter) for f in filterer.filters):
            filterer.addFilter(_filter)
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _ScrubbingRecordFactory):
        logging.setLogRecordFactory(_ScrubbingRecordFactory(factory, _filter))
    _quiet_pynetdicom()


def uninstall(logger: logging.Logger | None = None) -> None:
    """Undo install(): for tests, and for embedding applications that manage logging themselves."""
    target = logger if logger is not None else logging.getLogger()
    for filterer in (target, *target.handlers):
        for existing in [f for f in filterer.filters if isinstance(f, SensitiveDataFilter)]:
            filterer.removeFilter(existing)
    factory = logging.getLogRecordFactory()
    if isinstance(factory, _ScrubbingRecordFactory):
        logging.setLogRecordFactory(factory.inner)


def _quiet_pynetdicom() -> None:
    try:
        config = importlib.import_module("pynetdicom._config")
    except ImportError:
        return
    for switch in ("LOG_REQUEST_IDENTIFIERS", "LOG_RESPONSE_IDENTIFIERS"):
        setattr(config, switch, False)
