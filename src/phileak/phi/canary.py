"""Canaries: a synthetic patient per scan (canary_identity) and the matcher that finds it in captured traffic.

`CanaryMatcher(identity)` builds every form x encoding of every matchable value (canary_encodings lists them and
names the encodings) into ONE Aho-Corasick automaton, then scans a payload in a single pass: over an ASCII
lower-cased copy, so hex, percent-escapes and plain text match in any case; base64 hits are then checked
against the original bytes, since base64 is case-sensitive. Needles are encoded, the haystack never decoded.
A hit lying inside a longer hit (a first name inside the email) is dropped: the longer one explains it.
Matches carry a field name, an encoding, a form and offsets, never a value.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Final

import ahocorasick  # type: ignore[import-not-found, unused-ignore]

from phileak import logsafe
from phileak.model import DataCategory, EvidenceMatch
from phileak.phi.canary_encodings import TEXT_ENCODINGS, encodings, field_forms
from phileak.phi.canary_identity import UNIQUE_FIELDS, CanaryIdentity

__all__ = ["FIELD_CATEGORIES", "UNIQUE_FIELDS", "CanaryIdentity", "CanaryMatch", "CanaryMatcher"]

# The fields looked for; gender, state and country are filled into forms but too common to prove anything.
FIELD_CATEGORIES: Final = {
    "first_name": DataCategory.PERSON_NAME,
    "last_name": DataCategory.PERSON_NAME,
    "full_name": DataCategory.PERSON_NAME,
    "email": DataCategory.EMAIL,
    "gmail": DataCategory.EMAIL,
    "phone": DataCategory.PHONE,
    "phone_fr": DataCategory.PHONE,
    "dob": DataCategory.DATE_OF_BIRTH,
    "street": DataCategory.ADDRESS,
    "city": DataCategory.ADDRESS,
    "zip": DataCategory.ADDRESS,
    "mrn": DataCategory.MRN,
    "member_id": DataCategory.HEALTH_PLAN_ID,
    "symptom": DataCategory.HEALTH_CONDITION,
    "search_term": DataCategory.SEARCH_TERM,
}
_SEPARATOR: Final = "\x00"  # between the values match_fields scans together; no needle contains it
_DIGIT_BYTES: Final = frozenset(b"0123456789")
_ALNUM_BYTES: Final = _DIGIT_BYTES | frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NO_GUARD: Final[frozenset[int]] = frozenset()


@dataclass(frozen=True, slots=True)
class CanaryMatch:
    """Where a canary value was found: character offsets for text, byte offsets for bytes. Never the value."""

    field: str
    encoding: str
    start: int
    end: int
    form: str = "raw"
    param: str | None = None

    @property
    def category(self) -> DataCategory:
        return FIELD_CATEGORIES[self.field]

    def evidence(self, location: str | None = None) -> EvidenceMatch:
        """As `evidence.matches[]` (shared/CONTRACT.md); `location` is query|body|header|cookie|websocket."""
        return EvidenceMatch(field=self.field, encoding=self.encoding, location=location, param=self.param)


@dataclass(frozen=True, slots=True)
class _Variant:
    field: str
    form: str
    encoding: str
    needle: bytes
    case_sensitive: bool
    # Bytes that must not touch a textual needle: no digit next to a number ("2003-02-25T10:00" is fine),
    # nor a letter next to a bare number (a ZIP inside a hex string is not a ZIP).
    start_guard: frozenset[int]
    end_guard: frozenset[int]


class CanaryMatcher:
    """Finds any value of one canary identity, in any form and encoding, in one pass over a payload."""

    def __init__(self, identity: CanaryIdentity) -> None:
        values = identity.values()
        logsafe.register(*(values[field] for field in FIELD_CATEGORIES))
        self._identity = identity
        self._automaton = ahocorasick.Automaton()
        buckets: dict[str, list[_Variant]] = {}
        for variant in _variants(values):
            key = variant.needle.lower().decode("latin-1")
            bucket = buckets.setdefault(key, [])
            if not any(not known.case_sensitive or known.needle == variant.needle for known in bucket):
                bucket.append(variant)
        for key, bucket in buckets.items():
            self._automaton.add_word(key, (len(key), tuple(bucket)))
        self._automaton.make_automaton()
        self._needles = len(buckets)

    def __repr__(self) -> str:
        return f"CanaryMatcher({self._identity.label}, {self._needles} needles)"

    def __reduce__(self) -> tuple[type[CanaryMatcher], tuple[CanaryIdentity]]:
        # The automaton pickles to megabytes; a child process (run_isolated) rebuilds it in ~50 ms instead.
        return (CanaryMatcher, (self._identity,))

    @property
    def needle_count(self) -> int:
        return self._needles

    def needles(self) -> Iterator[tuple[bytes, bool]]:
        """(needle, case-sensitive) for every variant looked for; for benchmarks and diagnostics."""
        for _key, (_length, bucket) in self._automaton.items():
            for variant in bucket:
                yield variant.needle, variant.case_sensitive

    def find(self, data: str | bytes | bytearray | memoryview) -> list[CanaryMatch]:
        """Every canary value in `data`, outermost hits only, in order of position."""
        if isinstance(data, str):
            raw = data.encode("utf-8", "surrogatepass")
            matches = self._scan(raw)
            return matches if len(raw) == len(data) else _to_char_offsets(matches, raw)
        return self._scan(bytes(data))

    def match_fields(self, pairs: Iterable[tuple[str, str]]) -> list[CanaryMatch]:
        """Matches in (name, value) pairs such as query or form parameters, scanned together in one pass.
        Each match has `param` set to its pair's name and offsets relative to that value."""
        names: list[str] = []
        starts: list[int] = []
        values: list[str] = []
        position = 0
        for name, value in pairs:
            names.append(name)
            starts.append(position)
            values.append(value)
            position += len(value) + len(_SEPARATOR)
        found = []
        for match in self.find(_SEPARATOR.join(values)):
            index = bisect.bisect_right(starts, match.start) - 1
            offset = starts[index]
            found.append(replace(match, start=match.start - offset, end=match.end - offset, param=names[index]))
        return found

    def _scan(self, raw: bytes) -> list[CanaryMatch]:
        if not raw:
            return []
        hits = []
        for last, (length, bucket) in self._automaton.iter(raw.lower().decode("latin-1")):
            start, end = last + 1 - length, last + 1
            for variant in bucket:
                encoding = _verified(variant, raw, start, end)
                if encoding is not None:
                    hits.append(CanaryMatch(variant.field, encoding, start, end, variant.form))
                    break
        return _outermost(hits)


def _variants(values: dict[str, str]) -> Iterator[_Variant]:
    for field in FIELD_CATEGORIES:
        for form in field_forms(field, values[field]):
            for encoded in encodings(form):
                needle = encoded.text.encode("latin-1")
                guard = _NO_GUARD
                if encoded.encoding in TEXT_ENCODINGS:
                    guard = _ALNUM_BYTES if needle.isdigit() else _DIGIT_BYTES
                yield _Variant(
                    field=field,
                    form=form.name,
                    encoding=encoded.encoding,
                    needle=needle,
                    case_sensitive=encoded.case_sensitive,
                    start_guard=guard if needle[:1].isdigit() else _NO_GUARD,
                    end_guard=guard if needle[-1:].isdigit() else _NO_GUARD,
                )


def _verified(variant: _Variant, raw: bytes, start: int, end: int) -> str | None:
    """The encoding to report for a candidate hit, or None when case or word boundaries rule it out."""
    found = raw[start:end]
    if variant.case_sensitive and found != variant.needle:
        return None
    if start > 0 and raw[start - 1] in variant.start_guard:
        return None
    if end < len(raw) and raw[end] in variant.end_guard:
        return None
    if variant.encoding != "plain":
        return variant.encoding
    if found == variant.needle:
        return variant.form if variant.form in ("lower", "upper") else "plain"
    if found == variant.needle.lower():
        return "lower"
    return "upper" if found == variant.needle.upper() else "mixed-case"


def _outermost(hits: list[CanaryMatch]) -> list[CanaryMatch]:
    kept: list[CanaryMatch] = []
    reach = -1
    for hit in sorted(hits, key=lambda m: (m.start, -m.end)):
        if hit.end > reach:
            kept.append(hit)
            reach = hit.end
    return kept


def _to_char_offsets(matches: list[CanaryMatch], raw: bytes) -> list[CanaryMatch]:
    """Byte offsets into UTF-8 `raw` as character offsets (needles start and end on character boundaries)."""
    chars: dict[int, int] = {}
    done_bytes = done_chars = 0
    for offset in sorted({m.start for m in matches} | {m.end for m in matches}):
        done_chars += len(raw[done_bytes:offset].decode("utf-8", "surrogatepass"))
        done_bytes = offset
        chars[offset] = done_chars
    return [replace(m, start=chars[m.start], end=chars[m.end]) for m in matches]
