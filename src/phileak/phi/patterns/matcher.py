"""Many regexes, one pass: every expression compiled into ONE hyperscan database (block mode, UTF-8), scanned once
over the text; Python `re` only where hyperscan is missing or cannot compile an expression.

Hyperscan reports where matches end; with HS_FLAG_SOM_LEFTMOST it reports where they start too. Expressions
that hyperscan cannot track starts for (long bounded repeats: "Pattern is too large"), and expressions given a
`prefilter` (an unbounded URL tail, an email's long local part: a literal anchor is far cheaper to find), are
only located by hyperscan; Python `re` then reads the exact match in a small window around that point. Either
way the result is the same list of (expression, start, end) in character offsets."""

from __future__ import annotations

import functools
import importlib
import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final

from phileak.phi.patterns import compiled_cache

log = logging.getLogger(__name__)

Hit = tuple[int, int, int]  # (expression index, start, end), character offsets

_MAX_WINDOW: Final = 400


@dataclass(frozen=True, slots=True)
class Expression:
    """One regex to find. `prefilter` (optional) is a cheap anchor every match of `regex` contains (a URL's
    "https://", an email's "@"), with how far before and after the anchor's end a match can reach: hyperscan
    finds anchors, Python reads the matches around them."""

    regex: str
    case_insensitive: bool = False
    prefilter: tuple[str, int, int] | None = None  # (anchor regex, reach before its end, reach after)


@functools.cache
def _hyperscan() -> ModuleType | None:
    try:
        return importlib.import_module("hyperscan")
    except ImportError:
        log.info("hyperscan is not installed: PHI patterns run on Python re (slower)")
        return None


def _max_width(regex: str, flags: int) -> int | None:
    """The longest match `regex` can have, or None when unbounded or too long to window."""
    try:
        _low, high = re._parser.parse(regex, flags).getwidth()  # type: ignore[attr-defined]
    except (re.error, AttributeError, TypeError):
        return None
    return int(high) if high <= _MAX_WINDOW else None


@dataclass(frozen=True, slots=True)
class _Confirm:
    """How Python reads a match around a point hyperscan reported: search from `back` chars before it up to
    `ahead` chars after it."""

    back: int
    ahead: int


class MultiMatcher:
    """Finds every expression in one pass. Build once (compiling is the slow part) and reuse; scanning is
    thread-safe (each thread clones its own hyperscan scratch space)."""

    def __init__(self, expressions: Sequence[Expression]) -> None:
        self._expressions = tuple(expressions)
        self._python = [re.compile(e.regex, re.IGNORECASE if e.case_insensitive else 0) for e in self._expressions]
        self._fallback: list[int] = []  # expressions Python scans itself
        self._confirm: dict[int, _Confirm] = {}  # hyperscan finds an end (or a prefilter start), Python the rest
        self._database: Any = None
        self._scratch: Any = None
        self._local = threading.local()
        hyperscan = _hyperscan()
        if hyperscan is None:
            self._fallback = list(range(len(self._expressions)))
        else:
            self._compile(hyperscan)

    @property
    def uses_hyperscan(self) -> bool:
        return self._database is not None

    @property
    def fallback_count(self) -> int:
        """How many expressions hyperscan could not take (Python `re` scans them)."""
        return len(self._fallback)

    def _plan(self, hs: ModuleType, index: int, *, som: bool = True) -> tuple[bytes, int]:
        """How hyperscan takes expression `index`: with start-of-match tracking when `som`, else (or with a
        prefilter) reporting points Python reads the match around."""
        expression = self._expressions[index]
        flags = hs.HS_FLAG_UTF8 | (hs.HS_FLAG_CASELESS if expression.case_insensitive else 0)
        width = _max_width(expression.regex, re.IGNORECASE if expression.case_insensitive else 0)
        if expression.prefilter is not None:
            anchor, back, ahead = expression.prefilter
            self._confirm[index] = _Confirm(back=back, ahead=ahead)
            return anchor.encode(), flags
        if som:
            return expression.regex.encode(), flags | hs.HS_FLAG_SOM_LEFTMOST
        self._confirm[index] = _Confirm(back=width or _MAX_WINDOW, ahead=0)
        return expression.regex.encode(), flags

    def _compile(self, hs: ModuleType) -> None:
        key = compiled_cache.cache_key(hs, [[e.regex, e.case_insensitive, e.prefilter] for e in self._expressions])
        cached = compiled_cache.load(hs, key)
        if cached is not None:
            self._database, plan = cached
            for index in range(len(self._expressions)):  # the same plan again, for the confirm windows
                if index in plan.fallback:
                    self._fallback.append(index)
                else:
                    self._plan(hs, index, som=index not in plan.without_som)
        else:
            started = time.perf_counter()
            self._database, plan = self._compile_anew(hs)
            if self._database is not None and time.perf_counter() - started >= compiled_cache.MIN_COMPILE_SECONDS:
                compiled_cache.store(hs, key, self._database, plan)
        if self._database is not None:
            self._scratch = hs.Scratch(self._database)

    def _compile_anew(self, hs: ModuleType) -> tuple[Any, compiled_cache.Plan]:
        planned = {index: self._plan(hs, index) for index in range(len(self._expressions))}
        without_som: list[int] = []
        try:
            database = self._build(hs, planned)
        except hs.error:
            # Find the culprits one by one (slow, but only when some expression is beyond hyperscan): without
            # start-of-match tracking first, then Python alone.
            for index in list(planned):
                if self._compiles(hs, {index: planned[index]}):
                    continue
                planned[index] = self._plan(hs, index, som=False)
                without_som.append(index)
                if not self._compiles(hs, {index: planned[index]}):
                    del planned[index]
                    self._confirm.pop(index, None)
                    self._fallback.append(index)
                    log.info("expression %d is beyond hyperscan; Python re scans it", index)
            database = self._build(hs, planned) if planned else None
        return database, compiled_cache.Plan(tuple(without_som), tuple(self._fallback))

    def _compiles(self, hs: ModuleType, planned: dict[int, tuple[bytes, int]]) -> bool:
        try:
            self._build(hs, planned)
        except hs.error:
            return False
        return True

    @staticmethod
    def _build(hs: ModuleType, planned: dict[int, tuple[bytes, int]]) -> Any:
        database = hs.Database(mode=hs.HS_MODE_BLOCK)
        database.compile(
            expressions=[expression for expression, _ in planned.values()],
            ids=list(planned),
            elements=len(planned),
            flags=[flags for _, flags in planned.values()],
        )
        return database

    def scan(self, text: str) -> list[Hit]:
        """Every match of every expression in `text`: (expression index, start, end), character offsets,
        leftmost-longest per start; overlapping matches of different expressions are all reported."""
        hits: list[Hit] = []
        if self._database is not None and text:
            hits.extend(self._scan_hyperscan(text))
        for index in self._fallback:
            hits.extend((index, m.start(), m.end()) for m in self._python[index].finditer(text) if m.end() > m.start())
        return hits

    def _thread_scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._scratch.clone()
        return scratch

    def _scan_hyperscan(self, text: str) -> list[Hit]:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: same length, valid UTF-8
            text = re.sub("[\ud800-\udfff]", "\ufffd", text)
            data = text.encode("utf-8")
        raw: list[tuple[int, int, int]] = []
        append = raw.append

        def on_match(index: int, start: int, end: int, _flags: int, _context: object) -> None:
            append((index, start, end))

        self._database.scan(data, match_event_handler=on_match, scratch=self._thread_scratch())
        confirm = self._confirm
        located = [hit for hit in raw if hit[0] in confirm] if confirm else []
        if located:
            raw = [hit for hit in raw if hit[0] not in confirm]
        raw.sort()
        # Sorted, the last end reported for an (expression, start) is the longest: a dict keeps that one.
        longest = {(index, start): end for index, start, end in raw}
        hits: list[Hit] = [(index, start, end) for (index, start), end in longest.items()]
        ends: dict[int, list[int]] = {}
        if len(data) != len(text):  # multi-byte characters: byte offsets to character offsets
            to_char = _char_offsets(text, data, [o for _, s, e in hits for o in (s, e)] + [e for _, _, e in located])
            hits = [(index, to_char[start], to_char[end]) for index, start, end in hits]
            located = [(index, 0, to_char[end]) for index, _, end in located]
        for index, _start, end in located:
            ends.setdefault(index, []).append(end)
        for index, points in ends.items():
            hits.extend(self._read(index, text, points))
        return hits

    def _read(self, index: int, text: str, points: list[int]) -> list[Hit]:
        """Python reads the matches hyperscan located by `points` (match ends, or prefilter match ends)."""
        rule = self._confirm[index]
        pattern = self._python[index]
        found: list[Hit] = []
        covered = -1
        for point in sorted(set(points)):
            if point <= covered:
                continue
            window_start = max(0, point - rule.back)
            window_end = len(text) if rule.ahead else point
            if rule.ahead:
                window_end = min(len(text), point + rule.ahead)
            for match in pattern.finditer(text, window_start, window_end):
                if match.end() >= point and match.start() < point and match.end() > match.start():
                    found.append((index, match.start(), match.end()))
                    covered = match.end()
                    break
                if match.start() >= point:
                    break
        return found


def _char_offsets(text: str, data: bytes, offsets: list[int]) -> dict[int, int]:
    """Character offsets in `text` of the UTF-8 byte `offsets` in `data` (its encoding), in one pass."""
    out: dict[int, int] = {}
    byte_at = char_at = 0
    for offset in sorted(set(offsets)):
        char_at += len(data[byte_at:offset].decode("utf-8", "replace"))
        byte_at = offset
        out[offset] = char_at
    return out
