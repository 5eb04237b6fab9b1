"""Extraction of many items at once, for probes that read many files or objects: pure-Python formats inline (in a
thread), formats read by C or complex parsers in killable child processes (phileak.isolation), a batch of items
per child to spread the start-up cost. A batch that fails is retried one item per child, so one hostile item (a
zip bomb, a parser crash) costs only itself. Errors are one line each, without the item's name or content."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from phileak.errors import LimitExceeded, PhileakError
from phileak.isolation import run_isolated_sync
from phileak.logsafe import scrub
from phileak.phi.extract.context import ExtractedDocument
from phileak.phi.extract.dispatch import extract
from phileak.phi.extract.errors import ExtractionError, ExtractionLimitExceeded
from phileak.phi.extract.isolated import extract_isolated, isolation_limits
from phileak.phi.extract.limits import ExtractLimits
from phileak.phi.extract.sniff import sniff


@dataclass(frozen=True)
class Extracted:
    """One object's extraction: a document, or why there is none (one line, no content, no key)."""

    document: ExtractedDocument | None
    error: str | None = None
    limit: bool = False

    @classmethod
    def failed(cls, exc: Exception, name: str) -> Extracted:
        """Why `name` has no document: the limit it reached, or the error in one line without the name."""
        if isinstance(exc, ExtractionLimitExceeded):
            return cls(None, f"limit {exc.limit} reached", limit=True)
        return cls(None, without_name(str(exc), name))


def extract_many(items: list[tuple[bytes, str]], limits: ExtractLimits) -> list[Extracted]:
    """Runs in a child process: extract each item, a failure being that item's alone."""
    results: list[Extracted] = []
    for data, name in items:
        results.append(extract_one(data, name, limits))
    return results


def extract_one(data: bytes, name: str, limits: ExtractLimits) -> Extracted:
    try:
        return Extracted(extract(data, name=name, limits=limits))
    except ExtractionError as exc:
        return Extracted.failed(exc, name)


def without_name(message: str, name: str) -> str:
    """An extractor message with the object's name taken out (a key may be patient data), scrubbed, one line."""
    if name:
        message = message.replace(name, "<object>")
        tail = name.rsplit("/", 1)[-1]
        if tail:
            message = message.replace(tail, "<object>")
    return " ".join(scrub(message).split())[:200]


@dataclass
class ExtractionStats:
    batches: int = 0
    batch_failures: int = 0
    isolated_objects: int = 0
    inline_objects: int = 0
    errors: dict[str, int] = field(default_factory=dict)


def needs_isolation(data: bytes, name: str) -> bool | None:
    """True for formats a C or complex parser reads; None when the bytes are no supported format."""
    try:
        return sniff(data[:8192] if len(data) > 8192 else data, name).isolate
    except ExtractionError:
        return None


class BatchExtractor:
    """Extracts items (bytes, name) in batches: pure-Python formats inline, the rest in child processes."""

    def __init__(self, limits: ExtractLimits) -> None:
        self.limits = limits
        self.stats = ExtractionStats()

    async def extract(self, items: Sequence[tuple[bytes, str]]) -> list[Extracted]:
        results: list[Extracted | None] = [None] * len(items)
        isolated: list[int] = []
        inline: list[int] = []
        for index, (data, name) in enumerate(items):
            isolate = needs_isolation(data, name)
            if isolate is None:
                results[index] = Extracted(None, "not a supported file format")
            elif isolate:
                isolated.append(index)
            else:
                inline.append(index)
        if inline:
            self.stats.inline_objects += len(inline)
            done = await asyncio.to_thread(extract_many, [items[i] for i in inline], self.limits)
            for index, result in zip(inline, done, strict=True):
                results[index] = result
        if isolated:
            self.stats.isolated_objects += len(isolated)
            done = await self._isolated([items[i] for i in isolated])
            for index, result in zip(isolated, done, strict=True):
                results[index] = result
        final = [result or Extracted(None, "not extracted") for result in results]
        for result in final:
            if result.error:
                self.stats.errors[result.error] = self.stats.errors.get(result.error, 0) + 1
        return final

    async def _isolated(self, items: list[tuple[bytes, str]]) -> list[Extracted]:
        self.stats.batches += 1
        if len(items) > 1:
            base = isolation_limits(self.limits)
            limits = type(base)(
                timeout_s=base.timeout_s + self.limits.max_seconds * (len(items) - 1),
                max_bytes=base.max_bytes * len(items),
                max_memory_mb=base.max_memory_mb,
                retries=0,
            )
            try:
                # In a thread of its own: handing a batch to a child blocks on the pipe until the child starts
                # reading, and that must not stall the event loop's reads and analysis meanwhile.
                done: list[Extracted] = await asyncio.to_thread(
                    run_isolated_sync, extract_many, items, self.limits, limits=limits
                )
                return done
            except (PhileakError, LimitExceeded):
                self.stats.batch_failures += 1
        return [await self._alone(data, name) for data, name in items]

    async def _alone(self, data: bytes, name: str) -> Extracted:
        try:
            return Extracted(await extract_isolated(data, name, self.limits))
        except (ExtractionError, PhileakError) as exc:
            return Extracted.failed(exc, name)
