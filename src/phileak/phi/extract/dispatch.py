"""extract(): sniff the format, run its extractor under the limits, and recurse into archive members."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path

from phileak.errors import PhileakError
from phileak.phi.extract.context import Context, ExtractedDocument, Notes, Skipped
from phileak.phi.extract.errors import ExtractionError, ExtractionLimitExceeded, malformed
from phileak.phi.extract.limits import DEFAULT_LIMITS, Budget, ExtractLimits
from phileak.phi.extract.sniff import Format, sniff
from phileak.phi.spec import Segment

FormatExtractor = Callable[[bytes, Context], Iterator[Segment]]
# Limits on how much text one input gives (a large table, a long log): what was read before one is kept.
# The others (bombs, nesting, oversized input, a parser out of memory) mean nothing read can be trusted whole.
PARTIAL_LIMITS = frozenset({"max_segments", "max_output_chars", "max_seconds"})

# Imported on first use: a process that only reads CSV never loads pdfium, pydicom or openpyxl.
_EXTRACTORS: dict[Format, str] = {
    Format.PDF: "phileak.phi.extract.pdf:segments",
    Format.DOCX: "phileak.phi.extract.word:segments",
    Format.XLSX: "phileak.phi.extract.excel:segments",
    Format.CSV: "phileak.phi.extract.delimited:segments",
    Format.JSON: "phileak.phi.extract.json_tree:segments",
    Format.HTML: "phileak.phi.extract.markup:html_segments",
    Format.XML: "phileak.phi.extract.markup:xml_segments",
    Format.TEXT: "phileak.phi.extract.plaintext:segments",
    Format.GZIP: "phileak.phi.extract.archives:gzip_segments",
    Format.BZIP2: "phileak.phi.extract.archives:bzip2_segments",
    Format.XZ: "phileak.phi.extract.archives:xz_segments",
    Format.ZIP: "phileak.phi.extract.archives:zip_segments",
    Format.TAR: "phileak.phi.extract.archives:tar_segments",
    Format.DICOM: "phileak.phi.extract.dicom:segments",
    Format.IMAGE: "phileak.phi.extract.image:segments",
}


@cache
def _extractor(fmt: Format) -> FormatExtractor:
    module, _, function = _EXTRACTORS[fmt].partition(":")
    extractor: FormatExtractor = getattr(importlib.import_module(module), function)
    return extractor


def _format_segments(ctx: Context, data: bytes, fmt: Format) -> Iterator[Segment]:
    """The format's segments; any failure inside a parser becomes a one-line ExtractionError."""
    try:
        yield from _extractor(fmt)(data, ctx)
    except PhileakError:
        raise
    except MemoryError:
        raise ExtractionLimitExceeded("max_memory_mb", f"the {fmt.display} parser ran out of memory") from None
    except RecursionError:
        raise malformed(fmt.display, "nested too deeply") from None
    except Exception as exc:  # a parser's own error: its message may quote content, its class name does not
        raise malformed(fmt.display, error_name(exc)) from None


def error_name(exc: BaseException) -> str:
    """An exception's class name, module-qualified when the name alone says nothing ("zlib.error")."""
    name = type(exc).__name__
    return f"{type(exc).__module__.partition('.')[0]}.{name}" if name.islower() else name


def _check_size(data: bytes, limits: ExtractLimits) -> None:
    if len(data) > limits.max_input_bytes:
        raise ExtractionLimitExceeded("max_input_bytes", f"input larger than {limits.max_input_bytes} bytes")


def _nested_segments(parent: Context, data: bytes, member: str) -> Iterator[Segment]:
    ctx = parent.inside(member)
    _check_size(data, parent.limits)
    yield Segment(text=member, label="file name", where=member)  # names are data too (files named after patients)
    try:
        fmt = sniff(data, member)
        for segment in _format_segments(ctx, data, fmt):
            where = f"{member}: {segment.where}" if segment.where else member
            yield Segment(text=segment.text, label=segment.label, where=where)
    except ExtractionLimitExceeded:
        raise
    except ExtractionError as exc:
        parent.skip(member, str(exc))


class Extraction:
    """One input's segments, produced lazily so a caller can analyse a huge table in batches. The format is
    sniffed on construction (ExtractionError if unsupported); `skipped` and `notes` fill in as segments() runs."""

    def __init__(self, data: bytes, *, name: str | None = None, limits: ExtractLimits = DEFAULT_LIMITS) -> None:
        _check_size(data, limits)
        self.data = data
        self.name = name
        self.limits = limits
        self.format = sniff(data, name)
        self.skipped: list[Skipped] = []
        self.notes = Notes()

    def segments(self) -> Iterator[Segment]:
        """Every segment, within the limits (the time limit runs from the first call)."""
        budget = Budget(self.limits)
        ctx = Context(
            limits=self.limits,
            budget=budget,
            name=self.name,
            depth=0,
            skipped=self.skipped,
            extract_nested=_nested_segments,
            notes=self.notes,
        )
        for segment in _format_segments(ctx, self.data, self.format):
            budget.charge(segment)
            yield segment


def extract(data: bytes, *, name: str | None = None, limits: ExtractLimits = DEFAULT_LIMITS) -> ExtractedDocument:
    """The text of `data` as a Document, whatever its format (sniffed from its bytes; `name` is a hint and is
    kept as the Document's name). Raises ExtractionError (one line, no content) for malformed or unsupported
    input and ExtractionLimitExceeded when a limit is reached, except one of PARTIAL_LIMITS once some text was
    read: the document then holds what was read before it, and `read_in_part` says which limit. Runs in this
    process: see extract_isolated for input from an untrusted source in a format whose Format.isolate is true."""
    extraction = Extraction(data, name=name, limits=limits)
    segments: list[Segment] = []
    read_in_part = None
    try:
        for segment in extraction.segments():
            segments.append(segment)
    except ExtractionLimitExceeded as exc:
        if exc.limit not in PARTIAL_LIMITS or not segments:
            raise
        read_in_part = f"limit {exc.limit} reached"
    return ExtractedDocument(
        segments=segments, name=name, source=extraction.format.value, skipped=tuple(extraction.skipped),
        read_in_part=read_in_part, no_text_layer=extraction.notes.no_text_layer,
    )  # fmt: skip


# Formats read line by line: a file larger than max_input_bytes is read up to its last whole line within it.
LINE_FORMATS = frozenset({Format.CSV, Format.TEXT})
_INPUT_CUT = "limit max_input_bytes reached"


def read_head(path: str | Path, limits: ExtractLimits) -> tuple[bytes, bool]:
    """The bytes of the file at `path`; for a CSV or plain-text file larger than max_input_bytes, its first
    max_input_bytes up to the last line end, and True (a patient export too large to read whole is still read).
    Any other format that large is refused (ExtractionLimitExceeded) before it is parsed."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.max_input_bytes + 1)
    except OSError as exc:
        raise ExtractionError(f"cannot read the file: {exc.strerror or type(exc).__name__}") from None
    if len(data) <= limits.max_input_bytes:
        return data, False
    head = data[: limits.max_input_bytes]
    line_end = head.rfind(b"\n")
    try:
        line_format = sniff(head[:8192], str(path)) in LINE_FORMATS
    except ExtractionError:
        line_format = False
    if not line_format or line_end <= 0:
        _check_size(data, limits)
    return head[: line_end + 1], True


def read_in_part(document: ExtractedDocument, cut: bool) -> ExtractedDocument:
    """`document`, marked as read in part when its input was cut at max_input_bytes (and no other limit)."""
    if not cut or document.read_in_part:
        return document
    return replace(document, read_in_part=_INPUT_CUT)


def extract_path(path: str | Path, limits: ExtractLimits = DEFAULT_LIMITS) -> ExtractedDocument:
    """extract() of the file at `path`, named by the path as given (see read_head for files over the size cap)."""
    data, cut = read_head(path, limits)
    return read_in_part(extract(data, name=str(path), limits=limits), cut)
