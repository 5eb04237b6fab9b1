"""Display forms of identifiers that show their shape, never their value: "John Smith" -> "J*** S****".

Redaction never raises: whatever it is given, it returns something safe to show.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

from phileak.phi.identity import fold, kind_of, parse_date

MASK: Final = "*"
_NAME_MASK_CAP: Final = 4
_DOMAIN_MASK_CAP: Final = 6
_ID_LENGTH_CLASSES: Final = (4, 8, 12, 16)

_LETTERS_OR_DIGITS = re.compile(r"[^\W\d_]+|\d+")
_ALNUM = re.compile(r"[^\W_]")


def redact(category: str, value: str) -> str:
    """`value` shown as its shape, by the rules of `category`; an unknown category is redacted as an id."""
    return _REDACTORS[kind_of(category) or "id"](value)


def redact_name(value: str) -> str:
    """Each word: its first letter and one * per further letter, at most 4; digits all masked."""
    return _LETTERS_OR_DIGITS.sub(_mask_word, value)


def _mask_word(match: re.Match[str]) -> str:
    word = match[0]
    if word[0].isdigit():
        return MASK * len(word)
    return word[0] + MASK * min(len(word) - 1, _NAME_MASK_CAP)


def redact_date(value: str) -> str:
    """Only the century stays: "1950-02-01" -> "19**-**-**", "19500201" -> "19******"."""
    return _LETTERS_OR_DIGITS.sub(_mask_date_part, value)


def _mask_date_part(match: re.Match[str]) -> str:
    part = match[0]
    if len(part) in (4, 8) and part[:2] in ("19", "20"):
        return part[:2] + MASK * (len(part) - 2)
    return MASK * len(part)


_EMAIL_AT = re.compile(r"@|%40")


def redact_email(value: str) -> str:
    """First character of the mailbox, then "***"; each domain label but the last as first letter + stars."""
    parts = _EMAIL_AT.split(value.strip())
    if len(parts) < 2 or not parts[-1]:
        return redact_id(value)
    local, domain = "@".join(parts[:-1]), parts[-1]
    labels = domain.split(".")
    masked = [label[:1] + MASK * min(len(label) - 1, _DOMAIN_MASK_CAP) for label in labels[:-1]]
    return f"{local[:1]}{MASK * 3}@{'.'.join([*masked, labels[-1]])}"


def redact_phone(value: str) -> str:
    """Every digit but the last two masked; separators and a leading + kept."""
    digits_seen = 0
    total = sum(c.isdigit() for c in value)
    out = []
    for char in value:
        if char.isdigit():
            digits_seen += 1
            out.append(char if digits_seen > total - 2 else MASK)
        else:
            out.append(MASK if char.isalpha() else char)
    return "".join(out)


def redact_ssn(value: str) -> str:
    """Always the same mask: even the last four digits of an SSN are a known re-identification key."""
    return "***-**-****"


def redact_id(value: str) -> str:
    """Only the length class of the identifier: up to 4, 8, 12 or more characters."""
    length = len(_ALNUM.findall(value))
    return MASK * next((size for size in _ID_LENGTH_CLASSES if length <= size), _ID_LENGTH_CLASSES[-1])


_REDACTORS: Final = {
    "name": redact_name,
    "text": redact_name,
    "date": redact_date,
    "email": redact_email,
    "phone": redact_phone,
    "ssn": redact_ssn,
    "id": redact_id,
}

_EMAIL = re.compile(r"[^@\s]+(?:@|%40)[^@\s]+\.[^@\s.]+")
_SSN = re.compile(r"\d{3}([- ])\d{2}\1\d{4}")
_PHONE_CHARS = re.compile(r"\+?[\d\s().\-]+")
_NAME_CHARS = re.compile(r"(?:[^\W\d_]|[\s'.,^\-])+")


def guess_category(value: str) -> str:
    """The category a bare value most looks like: email, ssn, date, phone, person-name, else id."""
    text = value.strip()
    if _EMAIL.fullmatch(text):
        return "email"
    if _SSN.fullmatch(text):
        return "ssn"
    try:
        parse_date(text)
        return "date"
    except ValueError:
        pass
    if _PHONE_CHARS.fullmatch(text) and 10 <= sum(c.isdigit() for c in text) <= 15:
        return "phone"
    if _NAME_CHARS.fullmatch(text) and any(c.isalpha() for c in text):
        return "person-name"
    return "id"


Key = tuple[str, ...]


class ValueMatcher:
    """Finds known values in text by their word tokens (letter runs and digit runs), case- and
    accent-insensitively. Any separators may stand between tokens ("078-05-1120" also finds "078 05 1120"),
    but never part of a token: "Ann" does not match inside "Annual", while "078051120" is found in
    "SSN078051120". Lookups cost one dict probe per token of the text, however many values are known."""

    def __init__(self, *, min_chars: int = 1) -> None:
        self._min_chars = min_chars
        self._by_first: dict[str, dict[Key, str]] = {}
        self._longest = 0

    def add(self, value: str, category: str | None = None) -> Key | None:
        """Remember `value` (redacted as `category`, guessed when None); returns its key, or None when it
        has fewer than `min_chars` letters and digits and is ignored."""
        key = tuple(fold(token) for token in _LETTERS_OR_DIGITS.findall(value))
        if sum(map(len, key)) < max(self._min_chars, 1):
            return None
        self._by_first.setdefault(key[0], {})[key] = category or guess_category(value)
        self._longest = max(self._longest, len(key))
        return key

    def discard(self, key: Key) -> None:
        bucket = self._by_first.get(key[0])
        if bucket is not None:
            bucket.pop(key, None)
            if not bucket:
                del self._by_first[key[0]]

    def sub(self, text: str) -> str:
        """`text` with every known value replaced by its redacted form, longest match first."""
        by_first = self._by_first
        if not by_first:
            return text
        if text.isascii():  # lower-casing keeps every offset: tokens straight from the folded text
            matches = list(_LETTERS_OR_DIGITS.finditer(text.lower()))
            tokens = [m[0] for m in matches]
        else:
            matches = list(_LETTERS_OR_DIGITS.finditer(text))
            tokens = [fold(m[0]) for m in matches]
        out: list[str] = []
        done = index = 0
        count = len(tokens)
        while index < count:
            bucket = by_first.get(tokens[index])
            found = self._longest_at(bucket, tokens, index) if bucket is not None else None
            if found is None:
                index += 1
                continue
            length, category = found
            start, end = matches[index].start(), matches[index + length - 1].end()
            out += [text[done:start], redact(category, text[start:end])]
            done, index = end, index + length
        return "".join(out) + text[done:] if out else text

    def _longest_at(self, bucket: dict[Key, str], tokens: list[str], index: int) -> tuple[int, str] | None:
        for length in range(min(self._longest, len(tokens) - index), 0, -1):
            category = bucket.get(tuple(tokens[index : index + length]))
            if category is not None:
                return length, category
        return None


def redact_text(text: str, values: Iterable[str] | Mapping[str, str]) -> str:
    """`text` with each of `values` (case-insensitive) replaced by its redacted form. A mapping gives each
    value's category; plain values have theirs guessed."""
    matcher = ValueMatcher()
    categories = values if isinstance(values, Mapping) else dict.fromkeys(values, "")
    for value, category in categories.items():
        matcher.add(value, category or None)
    return matcher.sub(text)
