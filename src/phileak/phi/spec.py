"""The PHI engine's shared vocabulary: documents in, detections and people out.

Detectors are declarative (a pattern or a term list, a validator, context words), so the engine can compile all
of them into one multi-pattern pass (hyperscan for patterns, Aho-Corasick for vocabularies) instead of running
one regex per detector. Nothing here holds a raw identifier beyond the in-memory text being analysed."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from phileak.model import DataCategory

IDENTIFIER_CATEGORIES: frozenset[DataCategory] = frozenset(
    {
        DataCategory.PERSON_NAME, DataCategory.EMAIL, DataCategory.PHONE, DataCategory.FAX,
        DataCategory.DATE_OF_BIRTH, DataCategory.DATE, DataCategory.ADDRESS, DataCategory.SSN, DataCategory.FR_NIR,
        DataCategory.MRN, DataCategory.HEALTH_PLAN_ID, DataCategory.ACCOUNT_NUMBER, DataCategory.LICENCE_NUMBER,
        DataCategory.DEVICE_ID, DataCategory.IP_ADDRESS, DataCategory.URL, DataCategory.BIOMETRIC,
        DataCategory.PHOTO,
    }
)
HEALTH_CATEGORIES: frozenset[DataCategory] = frozenset(
    {
        DataCategory.HEALTH_CONDITION, DataCategory.LAB_RESULT, DataCategory.MEDICATION, DataCategory.PROCEDURE,
        DataCategory.PROVIDER_NAME, DataCategory.SEARCH_TERM, DataCategory.LOGIN_STATE,
        DataCategory.MEDICAL_IMAGE,
    }
)
# Provider identifiers identify clinicians, not patients: context, not a patient identifier.
PROVIDER_CATEGORIES: frozenset[DataCategory] = frozenset({DataCategory.NPI, DataCategory.DEA})


_INIT_FIELDS: dict[type, tuple[str, ...]] = {}


class Picklable:
    """Pickles a frozen slots dataclass as a call of its constructor. Documents, detections and people cross
    to and from the engine's worker by the thousand; the dataclass default looks every field up per object."""

    __slots__ = ()

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        cls = type(self)
        names = _INIT_FIELDS.get(cls)
        if names is None:
            names = _INIT_FIELDS[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
        return cls, tuple(getattr(self, name) for name in names)


@dataclass(frozen=True, slots=True)
class Segment(Picklable):
    """A piece of text with what structure says about it: a CSV header, a JSON key path, a query parameter
    name, a DICOM keyword, a form field's name/autocomplete. `where` locates it for evidence (never a value)."""

    text: str
    label: str | None = None
    where: str | None = None


@dataclass(frozen=True, slots=True)
class Document(Picklable):
    """What an extractor produces and the engine reads. `name` (a file name or object key) is analysed too."""

    segments: Sequence[Segment]
    name: str | None = None
    source: str | None = None  # "pdf", "csv", "json", "dicom", "query", "html", ...

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        cls, values = Picklable.__reduce__(self)
        if len(self.segments) < COLUMNAR_SEGMENTS:
            return cls, values
        at = _INIT_FIELDS[cls].index("segments")
        return cls, (*values[:at], _SegmentColumns(self.segments), *values[at + 1 :])


COLUMNAR_SEGMENTS = 1_000  # a document of more segments crosses processes as columns


class _SegmentColumns:
    """A large table's segments, pickled as one string of their texts and index columns into tables of their
    labels and locations: pickle keeps a memo entry per object it writes, which for a table of 2,000,000 cells
    was about 400 MB and 6 s. Unpickles as a list of Segments."""

    __slots__ = ("segments",)

    def __init__(self, segments: Sequence[Segment]) -> None:
        self.segments = segments

    def __reduce__(self) -> tuple[Callable[..., list[Segment]], tuple[Any, ...]]:
        texts: list[str] = []
        lengths, label_at, where_at = array("I"), array("I"), array("I")
        labels: dict[str | None, int] = {}
        wheres: dict[str | None, int] = {}
        for segment in self.segments:
            texts.append(segment.text)
            lengths.append(len(segment.text))
            label_at.append(labels.setdefault(segment.label, len(labels)))
            where_at.append(wheres.setdefault(segment.where, len(wheres)))
        columns = (lengths, label_at, where_at)
        return _segments_from_columns, ("".join(texts), *(c.tobytes() for c in columns), tuple(labels), tuple(wheres))


def _segments_from_columns(
    text: str, lengths: bytes, label_at: bytes, where_at: bytes, labels: tuple[str | None, ...],
    wheres: tuple[str | None, ...],
) -> list[Segment]:  # fmt: skip
    sizes, label_index, where_index = array("I"), array("I"), array("I")
    sizes.frombytes(lengths)
    label_index.frombytes(label_at)
    where_index.frombytes(where_at)
    segments: list[Segment] = []
    start = 0
    for size, label, where in zip(sizes, label_index, where_index, strict=True):
        segments.append(Segment(text[start : start + size], labels[label], wheres[where]))
        start += size
    return segments


@dataclass(frozen=True, slots=True)
class PatternSpec:
    """A regex detector. `regex` must compile with both Python `re` and hyperscan (no lookaround, no
    backreferences). With `needs_context`, a hit counts only when the segment label or nearby words say so."""

    name: str
    category: DataCategory
    regex: str
    validate: Callable[[str], bool] | None = None
    needs_context: bool = False
    context: tuple[str, ...] = ()
    confidence: float = 0.9
    case_insensitive: bool = False


@dataclass(frozen=True, slots=True)
class VocabularySpec:
    """A term-list detector (conditions, medications, names …), matched case-insensitively on word boundaries.
    `source` says where the terms come from (package, public-domain list), for docs/vocabularies.md."""

    name: str
    category: DataCategory
    terms: Callable[[], Iterable[str]]
    source: str
    needs_context: bool = False
    context: tuple[str, ...] = ()
    confidence: float = 0.8
    min_length: int = 3


@dataclass(frozen=True, slots=True)
class Detection(Picklable):
    """One detected value: category, position in the document, and how sure. The value itself is not kept."""

    category: DataCategory
    detector: str
    segment: int  # index into Document.segments; -1 for Document.name
    start: int
    end: int
    confidence: float


@dataclass(frozen=True, slots=True)
class PersonRecord(Picklable):
    """One person seen in a document, as keyed hashes only (phi.identity.IdentityHasher). Several attribute
    hashes let the people counter link sightings identified differently (MRN here, name + DOB there)."""

    key: str  # the strongest person key (IdentityHasher.person)
    attributes: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (kind, keyed hash)
