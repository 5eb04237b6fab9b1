"""Object contents and keys through the PHI engine. Every call into phileak.phi.engine and phileak.phi.people
is in this module (`PhiAdapter`, `analysed`, `PeopleTally`), so an engine API change is adapted here only.

Extraction of untrusted bytes runs in killable child processes, a batch of objects per child
(phileak.phi.extract.batch)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from phileak.errors import PhileakError
from phileak.isolation import preload
from phileak.model import DataCategory, Estimate, Severity
from phileak.phi.identity import IdentityHasher
from phileak.phi.redact import redact_text
from phileak.phi.spec import Document, PersonRecord, Segment
from phileak.phi.worker import analyse_each, call_timeout, engine_ready, engine_worker

preload("phileak.phi.extract.batch", "phileak.phi.extract.pdf", "phileak.phi.extract.archives")

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
        self._hasher = hasher
        self._worker = engine_worker(hasher)

    async def warm(self) -> None:
        """Build the engine now, so the first analysis does not wait for it."""
        await self._worker.call(engine_ready, timeout_s=call_timeout(0), max_bytes=1024)

    async def analyse(self, document: Document) -> PhiResult | None:
        [result] = await self.analyse_many([document])
        return result

    async def analyse_many(self, documents: Sequence[Document]) -> list[PhiResult | None]:
        """One result per document; None for a document the engine could not finish within phileak's limits."""
        outcomes = await analyse_each(self._hasher, analyse_documents, documents)
        self.failures += sum(1 for outcome in outcomes if isinstance(outcome, PhileakError))
        return [None if isinstance(outcome, PhileakError) else outcome for outcome in outcomes]

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
