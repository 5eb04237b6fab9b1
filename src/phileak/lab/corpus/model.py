"""What the corpus generator produces: documents as the PHI engine reads them, with gold annotations."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from phileak.model import DataCategory
from phileak.phi.spec import Document, Segment

NAME_SEGMENT = -1  # Gold.segment for a span of the file name (as phi.spec.Detection.segment)


class Kind(StrEnum):
    LAB_REPORT = "lab-report"
    RADIOLOGY = "radiology-report"
    APPOINTMENT = "appointment"
    DISCHARGE = "discharge-letter"
    TRACKER = "tracker-payload"
    CSV_EXPORT = "csv-export"
    NEGATIVE = "negative"


class Form(StrEnum):
    """How a gold value is written: as itself, or as the SHA-256 hex a tracker sends instead (Meta `ud[em]`)."""

    PLAIN = "plain"
    SHA256 = "sha256"


@dataclass(frozen=True, slots=True)
class Gold:
    """One true value: its category and where it is (segment index, or NAME_SEGMENT for the file name)."""

    category: DataCategory
    segment: int
    start: int
    end: int
    form: Form = Form.PLAIN


@dataclass(frozen=True, slots=True)
class LabelledDoc:
    """A synthetic document with its truth. `patient_ids` are the corpus people it identifies (for counting
    people); `phi` says whether it holds patient identifiers together with health information; `source` is its
    natural format ("pdf", "dicom", "docx", "text", "form", "query", "json", "csv"), and `file_name` a suggested
    name or object key with that format's extension (PHM-style keys carry the patient's name and birth date)."""

    doc_id: str
    kind: Kind
    language: str
    segments: tuple[Segment, ...]
    gold: tuple[Gold, ...]
    patient_ids: tuple[str, ...]
    file_name: str
    source: str
    phi: bool
    endpoint: str | None = None  # where a tracker payload was sent (its query is the segments); not annotated

    def document(self, *, with_name: bool = True) -> Document:
        """The engine's input: the segments, and the file name unless `with_name` is False."""
        return Document(segments=self.segments, name=self.file_name if with_name else None, source=self.source)

    def text(self, gold: Gold) -> str:
        """The annotated text (for tests and debugging; it is synthetic)."""
        source = self.file_name if gold.segment == NAME_SEGMENT else self.segments[gold.segment].text
        return source[gold.start : gold.end]
