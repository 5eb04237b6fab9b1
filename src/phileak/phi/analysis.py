"""What the PHI engine says about one document: its detections (positions, never values), the people in it
(keyed hashes), whether it is PHI, how severe a finding about it is, and a redacted excerpt as evidence."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from phileak import logsafe
from phileak.model import DataCategory, Severity
from phileak.phi.redact import redact
from phileak.phi.spec import (
    HEALTH_CATEGORIES,
    IDENTIFIER_CATEGORIES,
    PROVIDER_CATEGORIES,
    Detection,
    Document,
    PersonRecord,
    Segment,
)

_C = DataCategory
# Patient identifiers: personal data that, with a health fact, makes PHI. Dates, URLs and IPs alone do not.
PATIENT_IDENTIFIERS: Final = IDENTIFIER_CATEGORIES - {_C.DATE, _C.URL, _C.IP_ADDRESS}
# Health facts and care context: conditions, medications, procedures, lab results, providers, NPI/DEA.
HEALTH_CONTEXT: Final = HEALTH_CATEGORIES | PROVIDER_CATEGORIES
# What an excerpt shows as a redacted shape: every identifier, a clinician's name and numbers too.
REDACTED: Final = IDENTIFIER_CATEGORIES | PROVIDER_CATEGORIES | {_C.PROVIDER_NAME}


@dataclass(frozen=True)
class Analysis:
    """What the engine found in one document. `detections` hold positions, never values; `people` keyed
    hashes only. `patient_identifiers` are the identifier categories tied to a person (a name, an email, a
    phone under a patient's label ...), unlike an organisation's phone number or a log timestamp."""

    detections: list[Detection]
    people: list[PersonRecord] = field(default_factory=list)
    patient_identifiers: frozenset[DataCategory] = frozenset()
    clinical_source: bool = False
    sensitivities: frozenset[str] = frozenset()
    tallied: Mapping[DataCategory, int] | None = None  # counts per category when `detections` were trimmed

    @functools.cached_property
    def categories(self) -> frozenset[DataCategory]:
        if self.tallied is not None:
            return frozenset(self.tallied)
        return frozenset(d.category for d in self.detections)

    @property
    def identifiers(self) -> frozenset[DataCategory]:
        return self.categories & IDENTIFIER_CATEGORIES

    @property
    def health(self) -> frozenset[DataCategory]:
        """Health facts and care context (conditions, medications, lab results, providers, NPI/DEA)."""
        return self.categories & HEALTH_CONTEXT

    @property
    def is_phi(self) -> bool:
        """A patient identifier with health context, or in a source that is clinical in itself (DICOM)."""
        return bool(self.patient_identifiers) and (bool(self.health) or self.clinical_source)

    def counts(self) -> dict[DataCategory, int]:
        if self.tallied is not None:
            return dict(self.tallied)
        out: dict[DataCategory, int] = {}
        for detection in self.detections:
            out[detection.category] = out.get(detection.category, 0) + 1
        return out

    def severity(self) -> Severity:
        """A suggested finding severity: PHI with a special category of health data (HIV, mental health ...)
        or a national identifier is critical, other PHI high; identifiers alone medium (government or health
        ids, or name + date of birth) or low; nothing personal is info."""
        ids = self.patient_identifiers
        national = bool(ids & {_C.SSN, _C.FR_NIR})
        if self.is_phi:
            return Severity.CRITICAL if self.sensitivities or national else Severity.HIGH
        if national or ids & {_C.HEALTH_PLAN_ID, _C.MRN} or {_C.PERSON_NAME, _C.DATE_OF_BIRTH} <= ids:
            return Severity.MEDIUM
        return Severity.LOW if ids else Severity.INFO

    def excerpt(self, document: Document, max_chars: int = 240) -> str:
        """A short passage of `document` around its most telling detection, each identifier in it replaced by
        its redacted form (phi.redact), then scrubbed of anything logsafe knows. Empty when nothing was found."""
        focus = self._focus()
        if focus is None:
            return ""
        text = segments_of(document)[focus.segment + (1 if document.name else 0)].text
        around = sorted(
            (d for d in self.detections if d.segment == focus.segment and d.category in REDACTED),
            key=lambda d: d.start,
        )
        start = max(0, focus.start - max_chars // 3)
        end = min(len(text), start + max_chars)
        for detection in around:  # never cut an identifier: take it whole, redacted
            if detection.start < start < detection.end:
                start = detection.start
            if detection.start < end < detection.end:
                end = detection.end
        pieces: list[str] = []
        cursor = start
        for detection in around:
            if detection.start < cursor or detection.end > end:
                continue
            value = text[detection.start : detection.end]
            pieces += [text[cursor : detection.start], redact(detection.category, value)]
            cursor = detection.end
        pieces.append(text[cursor:end])
        passage = " ".join("".join(pieces).split())
        if len(passage) > max_chars:
            passage = passage[: max_chars - 1] + "…"
        return logsafe.scrub(("…" if start > 0 else "") + passage)

    def trimmed(self, keep: int = 2_000) -> Analysis:
        """This analysis with at most about `keep` detections, for sending a large table's analysis between
        processes: what the name holds and the excerpt's segment stay, the counts are carried as numbers.
        Categories, counts, people, PHI status, severity and excerpt are unchanged."""
        if len(self.detections) <= keep:
            return self
        focus = self._focus()
        shown = focus.segment if focus is not None else -1
        kept = [d for d in self.detections if d.segment in (-1, shown)]
        return replace(self, detections=kept, tallied=self.counts())

    def _focus(self) -> Detection | None:
        """A patient identifier with a health fact in its segment, else any identifier, else anything."""
        health_segments = {d.segment for d in self.detections if d.category in HEALTH_CONTEXT}
        return min(
            self.detections,
            key=lambda d: (
                not (d.category in PATIENT_IDENTIFIERS and d.segment in health_segments),
                d.category not in PATIENT_IDENTIFIERS,
                d.segment,
                d.start,
            ),
            default=None,
        )


def segments_of(document: Document) -> list[Segment]:
    """The analysed segments: the document's name (a file name, an object key) first, then its segments."""
    head = [Segment(text=document.name, label="file name", where="name")] if document.name else []
    return [*head, *document.segments]


def joined(parts: Sequence[Analysis]) -> Analysis:
    """One analysis of a document analysed in slices (each slice's detections already placed in the whole
    document; a trimmed slice's counts taken as it carries them): a person seen in several slices is one
    record."""
    detections: list[Detection] = []
    people: dict[str, PersonRecord] = {}
    for part in parts:
        detections += part.detections
        for person in part.people:
            seen = people.setdefault(person.key, person)
            if seen is not person and not person.attributes <= seen.attributes:
                people[person.key] = PersonRecord(key=person.key, attributes=seen.attributes | person.attributes)
    tallied: dict[DataCategory, int] | None = None
    if any(part.tallied is not None for part in parts):  # trimmed parts: their counts, not their detections
        tallied = {}
        for part in parts:
            for category, count in part.counts().items():
                tallied[category] = tallied.get(category, 0) + count
    return Analysis(
        detections=detections,
        people=list(people.values()),
        patient_identifiers=frozenset().union(*(part.patient_identifiers for part in parts)),
        clinical_source=any(part.clinical_source for part in parts),
        sensitivities=frozenset().union(*(part.sensitivities for part in parts)),
        tallied=tallied,
    )
