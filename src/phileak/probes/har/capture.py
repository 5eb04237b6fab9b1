"""What reading a capture file gives: page sessions, and how many entries could not be read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from phileak.probes.web.capture_model import CaptureSession

STEP_RECORDED: Final = "recorded"
"""The step label of imported traffic: what the tester did is not known, only that it was recorded."""


@dataclass(frozen=True, slots=True)
class Capture:
    format: str  # "har" | "mitmproxy"
    sessions: tuple[CaptureSession, ...]
    entries: int  # entries (or flows) in the file
    skipped: int  # entries that could not be read (malformed, not HTTP, truncated tail)
    has_pages: bool  # a browser capture with pages; app captures have none

    @property
    def requests(self) -> int:
        return sum(len(s.requests) for s in self.sessions)
