"""Candidates and the rules that judge them by their surroundings: which cue announces a value, whether a
number is glued to a longer token, which of two overlapping candidates wins, which words make a name run,
which record a segment belongs to, and whether an identifier is about a person."""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Final

from phileak.model import DataCategory
from phileak.phi.labels import Role
from phileak.phi.patterns.contact import is_role_mailbox

_C = DataCategory
CUE_REACH: Final = 40  # characters between a cue and the value it announces
_NOT_PERSONAL_REACH: Final = 16  # "Order #555-123-4567", "Hospital, 1216 Second Street"
_SENTENCE_BREAK = re.compile(r"[.!?;]\s+[A-ZÀ-Þ]|\n[ \t]*\n")
_CONTEXT_BEFORE: Final = 64
_CONTEXT_AFTER: Final = 32
_NAME_GAP: Final = frozenset(" ,^_-.")
STRONG: Final = frozenset({_C.PERSON_NAME, _C.DATE_OF_BIRTH, _C.MRN, _C.SSN, _C.FR_NIR, _C.HEALTH_PLAN_ID})
_CONTACT: Final = frozenset({_C.PHONE, _C.FAX, _C.ADDRESS})


class Origin:
    """Who found a candidate; on overlap the higher wins (a labelled value over a pattern hit)."""

    VOCAB = 0
    PATTERN = 1
    CUE = 2
    LABEL = 3


@dataclass(slots=True)
class Candidate:
    segment: int  # index into the analysed segments (the document name first, when there is one)
    start: int
    end: int
    category: DataCategory
    detector: str
    confidence: float
    origin: int
    role: Role | None = None
    provisional: bool = False  # kept only when its record is about a person (dates, name-list pairs)
    contextual: bool = False  # a label or cue says what it is


Fact = tuple[int, int, int, DataCategory, str, float]  # (segment, start, end, category, detector, confidence)


def dedupe_cues(cues: list[tuple[int, int, Role]]) -> list[tuple[int, int, Role]]:
    """Cues in order without overlaps: two of one role merge ("Pacemaker serial" + "serial number"), else the
    longer wins ("Patient ID" over "Patient")."""
    kept: list[tuple[int, int, Role]] = []
    for start, end, role in sorted(cues, key=lambda c: (c[0], -c[1])):
        if kept and start < kept[-1][1]:
            last_start, last_end, last_role = kept[-1]
            if role is last_role:
                kept[-1] = (last_start, max(end, last_end), role)
            elif end - start > last_end - last_start:
                kept[-1] = (start, end, role)
            continue
        kept.append((start, end, role))
    return kept


def cue_before(text: str, cues: list[tuple[int, int, Role]], cue_ends: list[int], position: int) -> Role | None:
    """The role of the nearest cue before `position`, when it is close (CUE_REACH; a NOT_PERSONAL cue only
    labels what comes right after it) and in the same sentence."""
    index = bisect.bisect_right(cue_ends, position) - 1
    if index < 0:
        return None
    end, role = cue_ends[index], cues[index][2]
    if position - end > (_NOT_PERSONAL_REACH if role is Role.NOT_PERSONAL else CUE_REACH):
        return None
    return None if _SENTENCE_BREAK.search(text, end, position) else role


def next_cue_start(cues: list[tuple[int, int, Role]], position: int, after: int, default: int) -> int:
    """Where the first cue after cue `position` starting at or beyond `after` begins: a value read after a cue
    stops there ("Patient: SMITH, JOHN  DOB: ..."). Cues at the very start of the value are part of it."""
    for start, _end, _role in cues[position + 1 :]:
        if start >= after:
            return start
    return default


def overlaps_any(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps one of `spans` (sorted, not overlapping each other)."""
    position = bisect.bisect_left(spans, (end, -1))
    return position > 0 and spans[position - 1][1] > start


def starts_within(starts: list[int], low: int, high: int) -> bool:
    position = bisect.bisect_left(starts, low)
    return position < len(starts) and starts[position] <= high


def near(context: list[tuple[int, int, int]], owner: int, start: int, end: int) -> bool:
    """Whether a context word of `owner` (pattern index, or -1 - vocabulary index) is near [start, end).
    `context` is sorted by position (the order the scans report in, sorted once per segment)."""
    position = bisect.bisect_left(context, (owner, start - _CONTEXT_BEFORE, -1))
    return position < len(context) and context[position][0] == owner and context[position][1] <= end + _CONTEXT_AFTER


def glued(text: str, start: int, end: int) -> bool:
    """Part of a longer token: joined by - or / to a letter or digit, or by . or : to a digit."""
    if start >= 2:
        before, joiner = text[start - 2], text[start - 1]
        if (joiner in "-/" and before.isalnum()) or (joiner in ".:" and before.isdigit()):
            return True
    if end + 1 < len(text):
        joiner, after = text[end], text[end + 1]
        if (joiner in "-/" and after.isalnum()) or (joiner in ".:" and after.isdigit()):
            return True
    return False


def resolve(candidates: list[Candidate]) -> list[Candidate]:
    """Overlapping candidates: the labelled or cued one wins, then the longer, then the surer."""
    ordered = sorted(candidates, key=lambda c: c.start)
    if all(ordered[i].end <= ordered[i + 1].start for i in range(len(ordered) - 1)):
        return ordered
    ranked = sorted(candidates, key=lambda c: (-c.origin, c.start - c.end, -c.confidence, c.start))
    starts: list[int] = []
    ends: list[int] = []
    kept: list[Candidate] = []
    for candidate in ranked:
        position = bisect.bisect_left(starts, candidate.start)
        if position > 0 and ends[position - 1] > candidate.start:
            continue
        if position < len(starts) and starts[position] < candidate.end:
            continue
        starts.insert(position, candidate.start)
        ends.insert(position, candidate.end)
        kept.insert(position, candidate)
    return kept


def drop_nested(facts: list[Fact]) -> list[Fact]:
    """Health facts without those inside a longer fact of the same category ("diabetes" in "type 2
    diabetes") or found at the same place by two vocabularies."""
    kept: list[Fact] = []
    reach: dict[DataCategory, int] = {}
    for fact in sorted(facts, key=lambda f: (f[1], -f[2])):
        if reach.get(fact[3], -1) >= fact[2]:
            continue
        kept.append(fact)
        reach[fact[3]] = fact[2]
    return kept


def runs(text: str, spans: list[tuple[int, int]], *, require_capital: bool) -> list[tuple[int, int, int]]:
    """Adjacent name words merged: (start, end, word count). In prose a name word must be capitalised."""
    runs: list[tuple[int, int, int]] = []
    for start, end in spans:
        if require_capital and not text[start].isupper():
            continue
        if runs:
            run_start, run_end, words = runs[-1]
            if start < run_end:
                continue
            gap = text[run_end:start]
            if len(gap) <= 3 and all(c in _NAME_GAP for c in gap):
                runs[-1] = (run_start, end, words + 1)
                continue
        runs.append((start, end, 1))
    return runs


_SHEET_CELL = re.compile(r"^(.*)![A-Z]{1,3}(\d+)$")
_ROW_OR_LINE = re.compile(r"^(.*?\b(?:row|line) \d+)\b")
_ARRAY_ITEM = re.compile(r"^([^\[]*\[\d+\])")


def record_key(where: str | None) -> str:
    """The record a segment belongs to: a spreadsheet or CSV row, an NDJSON line, a JSON array item, else the
    whole document (per archive member)."""
    if not where:
        return ""
    return _record_key(where) if len(where) <= _CACHED_WHERE else _record_key.__wrapped__(where)


_CACHED_WHERE: Final = 512  # a longer location (a hostile JSON key path) is read, not remembered


@functools.lru_cache(maxsize=65536)
def _record_key(where: str) -> str:
    member, _, local = where.rpartition(": ")
    cell = _SHEET_CELL.match(local)
    if cell:
        return f"{member}|{cell[1]}!{cell[2]}"
    row = _ROW_OR_LINE.match(local) or _ARRAY_ITEM.match(local)
    return f"{member}|{row[1]}" if row else f"{member}|"


def has_strong(members: list[Candidate]) -> bool:
    return any(
        (c.category in STRONG and not c.provisional) or (c.category is _C.EMAIL and c.contextual) for c in members
    )


def ties_person(candidate: Candidate, strong: bool, value: str) -> bool:
    """Whether an identifier is about a person: names, dates of birth and ids always; an email unless it is an
    organisation's mailbox; a phone, fax or address when labelled, or in a record that identifies someone."""
    if candidate.category is _C.EMAIL:
        return not is_role_mailbox(value)
    if candidate.category in _CONTACT:
        return strong or candidate.contextual
    return True
