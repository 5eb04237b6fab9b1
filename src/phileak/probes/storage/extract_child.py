"""The child side of storage extraction: extract a batch of objects, each failure that object's alone.

Kept light and preloaded into phileak's forkserver (phileak.isolation.preload) together with the PDF and
archive extractors, so an isolated child starts with pypdfium2 already imported."""

from __future__ import annotations

from dataclasses import dataclass

from phileak.logsafe import scrub
from phileak.phi.extract import ExtractedDocument, ExtractionError, ExtractionLimitExceeded, ExtractLimits, extract


@dataclass(frozen=True)
class Extracted:
    """One object's extraction: a document, or why there is none (one line, no content, no key)."""

    document: ExtractedDocument | None
    error: str | None = None
    limit: bool = False


def extract_many(items: list[tuple[bytes, str]], limits: ExtractLimits) -> list[Extracted]:
    """Runs in a child process: extract each item, a failure being that item's alone."""
    results: list[Extracted] = []
    for data, name in items:
        results.append(extract_one(data, name, limits))
    return results


def extract_one(data: bytes, name: str, limits: ExtractLimits) -> Extracted:
    try:
        return Extracted(extract(data, name=name, limits=limits))
    except ExtractionLimitExceeded as exc:
        return Extracted(None, f"limit {exc.limit} reached", limit=True)
    except ExtractionError as exc:
        return Extracted(None, without_name(str(exc), name))


def without_name(message: str, name: str) -> str:
    """An extractor message with the object's name taken out (a key may be patient data), scrubbed, one line."""
    if name:
        message = message.replace(name, "<object>")
        tail = name.rsplit("/", 1)[-1]
        if tail:
            message = message.replace(tail, "<object>")
    return " ".join(scrub(message).split())[:200]
