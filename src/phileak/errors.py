"""Errors shared across seams. A caller catches one type per seam; exit codes follow the contract."""

from __future__ import annotations


class PhileakError(Exception):
    """Base of every error phileak raises on purpose."""


class InputError(PhileakError):
    """Bad arguments or unreadable input: a one-line message, exit status 2, nothing written."""


class ScopeViolation(PhileakError):
    """A target, redirect or DNS answer outside the authorised scope. Never contacted."""

    def __init__(self, subject: str, reason: str) -> None:
        super().__init__(f"out of scope: {subject} ({reason})")
        self.subject = subject
        self.reason = reason


class TransientError(PhileakError):
    """A failure worth retrying (connection reset, 503, timeout of one request). The runner retries these only."""


class LimitExceeded(PhileakError):
    """phileak's own wall-clock, byte or memory limit for a target was reached."""


class ProbeNotBuilt(PhileakError):
    """The probe for this kind of target does not exist yet."""

    def __init__(self, probe: str) -> None:
        super().__init__(f"the '{probe}' probe is not built yet")
        self.probe = probe
