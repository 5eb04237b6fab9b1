"""What every format extractor gets besides the bytes, and what an extraction hands back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from phileak.phi.extract.errors import ExtractionLimitExceeded
from phileak.phi.extract.limits import Budget, ExtractLimits
from phileak.phi.spec import Document, Picklable, Segment


@dataclass(frozen=True, slots=True)
class Skipped(Picklable):
    """A part of an input that could not be read (a corrupt or encrypted archive member, a malformed NDJSON
    line) while the rest was. `where` locates it like Segment.where; `reason` never quotes content."""

    where: str
    reason: str


@dataclass(frozen=True, slots=True)
class ExtractedDocument(Document):
    """A Document plus the parts of the input that were skipped, each with a one-line reason, and, when a limit
    on how much text one input may give was reached, which one: the segments are then those read before it.
    `no_text_layer` is True for a PDF of one or more pages none of which has text (scanned pages, not OCRed):
    its pages were not read, whatever the segments (metadata, say) found."""

    skipped: tuple[Skipped, ...] = ()
    read_in_part: str | None = None
    no_text_layer: bool = False


@dataclass(slots=True)
class Notes:
    """What an extractor observed about the input as a whole, carried to its ExtractedDocument."""

    no_text_layer: bool = False


NestedExtractor = Callable[["Context", bytes, str], Iterator[Segment]]


@dataclass(frozen=True, slots=True)
class Context:
    """One level of an extraction: the input's name, its archive depth, the shared budget and skip list."""

    limits: ExtractLimits
    budget: Budget
    name: str | None
    depth: int
    skipped: list[Skipped]
    extract_nested: NestedExtractor
    where_prefix: str = ""
    notes: Notes = field(default_factory=Notes)  # shared with nested contexts: extractors note depth 0 only

    def nested(self, data: bytes, member: str) -> Iterator[Segment]:
        """Segments of an archive member, sniffed and extracted like a file of its own, `where` prefixed with
        `member`. A malformed member is recorded as skipped; a limit ends the whole extraction."""
        return self.extract_nested(self, data, member)

    def inside(self, member: str) -> Context:
        depth = self.depth + 1
        if depth > self.limits.max_nesting_depth:
            raise ExtractionLimitExceeded(
                "max_nesting_depth", f"archives nested more than {self.limits.max_nesting_depth} deep"
            )
        return replace(self, name=member, depth=depth, where_prefix=f"{self.where_prefix}{member}: ")

    def skip(self, where: str, reason: str) -> None:
        self.skipped.append(Skipped(where=f"{self.where_prefix}{where}", reason=reason))
