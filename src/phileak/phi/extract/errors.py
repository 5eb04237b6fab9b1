"""The extractors' one error seam: a malformed input, or one of phileak's extraction limits reached.

Messages are one line and never quote the input's content (nor a file or member name, which may name a patient);
they say what was wrong and, for limits, which ExtractLimits field was exceeded."""

from __future__ import annotations

from phileak.errors import LimitExceeded, PhileakError


class ExtractionError(PhileakError):
    """The input could not be read as the format it is: malformed, truncated, encrypted or unsupported."""


class ExtractionLimitExceeded(ExtractionError, LimitExceeded):
    """One of ExtractLimits was exceeded (bomb, oversized or slow input); `limit` names the field."""

    def __init__(self, limit: str, detail: str) -> None:
        super().__init__(f"extraction limit {limit} exceeded: {detail}")
        self.limit = limit
        self.detail = detail

    def __reduce__(self) -> tuple[type[ExtractionLimitExceeded], tuple[str, str]]:
        return type(self), (self.limit, self.detail)


def malformed(kind: str, reason: str) -> ExtractionError:
    """`malformed <kind>: <reason>`, the reason being a fixed phrase or an exception class name."""
    return ExtractionError(f"malformed {kind}: {reason}")
