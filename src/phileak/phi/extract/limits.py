"""ExtractLimits (what a caller allows) and the Budget one extraction spends, shared by an input and its members."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from phileak.phi.extract.errors import ExtractionLimitExceeded
from phileak.phi.spec import Segment

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ExtractLimits:
    """Caps on one input and everything nested in it. Exceeding any raises ExtractionLimitExceeded naming it.

    `max_seconds` is checked between pages, rows, members and segments: a single call into a C parser cannot be
    interrupted, so hostile input goes through extract_isolated, where `max_memory_mb` and a hard wall clock
    apply too. The compression ratio is checked once a decompressed stream passes `ratio_floor_bytes`, since
    small files of blanks legitimately compress by more than any sensible ratio."""

    max_input_bytes: int = 256 * MiB
    max_output_chars: int = 100_000_000
    max_segments: int = 2_000_000
    max_archive_members: int = 10_000
    max_total_uncompressed_bytes: int = 1024 * MiB
    max_compression_ratio: float = 200.0
    ratio_floor_bytes: int = 1 * MiB
    max_nesting_depth: int = 5
    max_pdf_pages: int = 5_000
    max_seconds: float = 120.0
    max_memory_mb: int = 2048


DEFAULT_LIMITS = ExtractLimits()


@dataclass(slots=True)
class Budget:
    """What one extraction has used so far; every member of an archive draws on the same budget."""

    limits: ExtractLimits
    deadline: float = field(init=False)
    chars: int = 0
    segments: int = 0
    members: int = 0
    uncompressed_bytes: int = 0

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.limits.max_seconds

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise ExtractionLimitExceeded("max_seconds", f"extraction ran past {self.limits.max_seconds:g} s")

    def charge(self, segment: Segment) -> None:
        """Account for one produced segment (its text counts towards max_output_chars)."""
        self.chars += len(segment.text)
        self.segments += 1
        if self.chars > self.limits.max_output_chars:
            raise ExtractionLimitExceeded(
                "max_output_chars", f"more than {self.limits.max_output_chars} characters of text"
            )
        if self.segments > self.limits.max_segments:
            raise ExtractionLimitExceeded("max_segments", f"more than {self.limits.max_segments} text segments")
        if self.segments % 256 == 0:
            self.check_time()

    def add_members(self, count: int) -> None:
        self.members += count
        if self.members > self.limits.max_archive_members:
            raise ExtractionLimitExceeded(
                "max_archive_members", f"more than {self.limits.max_archive_members} archive members"
            )

    def add_uncompressed(self, count: int) -> None:
        self.uncompressed_bytes += count
        if self.uncompressed_bytes > self.limits.max_total_uncompressed_bytes:
            raise ExtractionLimitExceeded(
                "max_total_uncompressed_bytes",
                f"more than {self.limits.max_total_uncompressed_bytes} bytes decompressed",
            )

    def check_ratio(self, produced: int, consumed: int) -> None:
        """A decompressed stream that has produced `produced` bytes out of `consumed` compressed ones."""
        if produced > self.limits.ratio_floor_bytes and produced > consumed * self.limits.max_compression_ratio:
            raise ExtractionLimitExceeded(
                "max_compression_ratio",
                f"a member expands more than {self.limits.max_compression_ratio:g}:1",
            )
