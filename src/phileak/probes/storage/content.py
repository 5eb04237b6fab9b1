"""Object contents and keys through the PHI engine. Every call into phileak.phi.engine and phileak.phi.people
is in this module (`PhiAdapter`, `analysed`, `PeopleTally`), so an engine API change is adapted here only.

Extraction of untrusted bytes runs in killable child processes (phileak.isolation), a batch of objects per child
to spread the start-up cost; a batch that fails is retried one object per child, so one hostile object (a zip
bomb, a parser crash) costs only itself."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from phileak.errors import LimitExceeded, PhileakError
from phileak.isolation import preload, run_isolated_sync
from phileak.model import DataCategory, Estimate, Severity
from phileak.phi.extract import (
    ExtractionError,
    ExtractionLimitExceeded,
    ExtractLimits,
    extract_isolated,
    sniff,
)
from phileak.phi.extract.isolated import isolation_limits
from phileak.phi.identity import IdentityHasher
from phileak.phi.redact import redact_text
from phileak.phi.spec import Document, PersonRecord, Segment
from phileak.phi.worker import RESULT_BYTES, call_timeout, engine_ready, engine_worker
from phileak.probes.storage.extract_child import Extracted, extract_many, without_name

preload("phileak.probes.storage.extract_child", "phileak.phi.extract.pdf", "phileak.phi.extract.archives")

NAME_LABEL = "patient_name"


@dataclass(frozen=True)
class PhiResult:
    """What the engine found in one object (or key), in the probe's own terms. No raw value inside."""

    categories: frozenset[DataCategory]
    identifiers: frozenset[DataCategory]
    health: frozenset[DataCategory]
    is_phi: bool
    people: tuple[PersonRecord, ...]
    counts: Mapping[str, int]
    severity: Severity
    excerpt: str
    name_spans: tuple[tuple[int, int, str], ...] = ()  # detections in the name/key: start, end, category

    @property
    def found(self) -> bool:
        return bool(self.categories)

    @property
    def person_keys(self) -> tuple[str, ...]:
        return tuple(sorted({person.key for person in self.people}))


def analysed(engine: Any, document: Document) -> PhiResult:
    """The one call into the engine: `engine.analyse(document)` turned into a PhiResult."""
    analysis = engine.analyse(document)
    name = document.name or ""
    spans = tuple(
        (d.start, d.end, d.category.value)
        for d in analysis.detections
        if d.segment == -1 and 0 <= d.start < d.end <= len(name)
    )
    return PhiResult(
        categories=frozenset(analysis.categories),
        identifiers=frozenset(analysis.identifiers),
        health=frozenset(analysis.health),
        is_phi=bool(analysis.is_phi),
        people=tuple(analysis.people),
        counts={category.value: count for category, count in sorted(analysis.counts().items())},
        severity=analysis.severity(),
        excerpt=analysis.excerpt(document) if analysis.detections else "",
        name_spans=spans,
    )


class PhiAdapter:
    """The engine for one scan's identity key. It runs in a long-lived isolated worker process (phileak.phi.worker,
    built once per key and process): analysis uses another core than the event loop and the extraction children,
    and a document the engine chokes on costs a killed worker, not a hung scan."""

    def __init__(self, hasher: IdentityHasher) -> None:
        self.failures = 0
        try:
            import phileak.phi.engine  # noqa: F401 - the engine is another package of phileak
        except ImportError:  # without it keys and contents go unread
            self.available = False
            return
        self.available = True
        self._worker = engine_worker(hasher)

    async def warm(self) -> None:
        """Build the engine now, so the first analysis does not wait for it."""
        await self._worker.call(engine_ready, timeout_s=call_timeout(0), max_bytes=1024)

    async def analyse(self, document: Document) -> PhiResult | None:
        [result] = await self.analyse_many([document])
        return result

    async def analyse_many(self, documents: Sequence[Document]) -> list[PhiResult | None]:
        """One result per document; None for a document the engine could not finish within phileak's limits."""
        if not documents:
            return []
        try:
            return list(await self._in_worker(list(documents)))
        except (PhileakError, LimitExceeded):
            if len(documents) == 1:
                self.failures += 1
                return [None]
        results: list[PhiResult | None] = []
        for document in documents:  # the batch failed: each alone, so only the culprit is lost
            try:
                [result] = await self._in_worker([document])
            except (PhileakError, LimitExceeded):
                self.failures += 1
                result = None
            results.append(result)
        return results

    async def _in_worker(self, documents: list[Document]) -> list[PhiResult]:
        size = sum(len(s.text) for d in documents for s in d.segments) + sum(len(d.name or "") for d in documents)
        result: list[PhiResult] = await self._worker.call(
            analyse_documents, documents, timeout_s=call_timeout(size, len(documents)), max_bytes=RESULT_BYTES
        )
        return result

    async def analyse_named(self, names: Sequence[str]) -> list[PhiResult]:
        """Each text read as a person's name (a key the bucket's naming says is one)."""
        documents = [Document(segments=(Segment(name, label=NAME_LABEL),), source="object-key") for name in names]
        return [result or NOTHING_FOUND for result in await self.analyse_many(documents)]

    async def analyse_keys(self, keys: Sequence[str]) -> list[PhiResult]:
        """Each key as a document of its own (a name and nothing else), in one trip to the engine."""
        documents = [Document(segments=(), name=readable_key(key), source="object-key") for key in keys]
        return [result or NOTHING_FOUND for result in await self.analyse_many(documents)]


def analyse_documents(engine: Any, documents: list[Document]) -> list[PhiResult]:
    """In the worker: each document through the engine, as PhiResults (hashes, counts, redacted excerpts)."""
    return [analysed(engine, document) for document in documents]


NOTHING_FOUND = PhiResult(
    categories=frozenset(),
    identifiers=frozenset(),
    health=frozenset(),
    is_phi=False,
    people=(),
    counts={},
    severity=Severity.INFO,
    excerpt="",
)


@dataclass
class PeopleTally:
    """People seen in keys (every listed key) and in contents (the objects read), counted by phi.people."""

    everyone: Any = None  # PeopleCounter over keys and contents: the people observed
    contents: Any = None  # PeopleCounter over the objects read: the sample behind an estimate

    def __post_init__(self) -> None:
        from phileak.phi.people import PeopleCounter

        self.everyone = PeopleCounter()
        self.contents = PeopleCounter()

    def add_key(self, doc_id: str, result: PhiResult) -> None:
        if result.people:
            self.everyone.add(doc_id, result.people)

    def add_content(self, doc_id: str, result: PhiResult | None) -> None:
        records = result.people if result is not None else ()
        self.everyone.add(doc_id, records)
        self.contents.add(doc_id, records)

    def observed(self) -> int:
        return int(self.everyone.distinct())

    def files_per_person(self) -> float:
        return float(self.everyone.files_per_person())

    def estimate(self, population: int) -> Estimate | None:
        """A 95 % interval for the people in `population` objects when only a sample was read; None when every
        object was read (the count is exact) or nothing was."""
        read = int(self.contents.documents)
        if read == 0 or population <= read:
            return None
        estimate = self.contents.estimate(population)
        observed = self.observed()
        low, high = max(int(estimate.low), observed), max(int(estimate.high), observed)
        return Estimate(low=low, high=high, confidence=float(estimate.confidence))


_KEY_SEPARATORS = str.maketrans({"_": " ", "+": " "})


def readable_key(key: str) -> str:
    """`key` with word separators as spaces ("Jane_Doe_2026.pdf" -> "Jane Doe 2026.pdf"), character for
    character, so positions found in it are positions in the key."""
    return key.translate(_KEY_SEPARATORS)


_LONG_NUMBER = re.compile(r"\d{3,}")
_CAPITALISED = re.compile(r"(?<![A-Za-z])([A-Z])([A-Za-z]+)")


def shown_key(key: str, result: PhiResult | None) -> str:
    """The key as a report may show it: every identifier the engine found in it redacted, and, since keys are
    often named after patients in ways no detector expects, every capitalised word (a likely name) and every
    number of 3+ digits (a likely id or date) reduced to its shape: "reports/C****_R****_****-**-**.pdf"."""
    if result is not None and result.name_spans:
        key = redact_text(key, {key[start:end]: category for start, end, category in result.name_spans})
    key = _LONG_NUMBER.sub(lambda m: "*" * len(m[0]), key)
    return _CAPITALISED.sub(lambda m: m[1] + "*" * min(len(m[2]), 4), key)


# ---------------------------------------------------------------- extraction


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


class Extractor:
    """Extracts objects in batches: pure-Python formats inline (in a thread), the rest in child processes."""

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
        except ExtractionLimitExceeded as exc:
            return Extracted(None, f"limit {exc.limit} reached", limit=True)
        except (ExtractionError, PhileakError) as exc:
            return Extracted(None, without_name(str(exc), name))
