"""Which format an input is: magic bytes first, then the text's own shape; a name's extension is only a hint
(for text formats, and for DICOM that lacks its preamble). Binary content nothing here recognises is an
ExtractionError, whatever the name says."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import PurePosixPath

from phileak.phi.extract.errors import ExtractionError
from phileak.phi.extract.header import header_row, names_known_columns
from phileak.phi.extract.textcodec import decode_text, looks_binary
from phileak.phi.extract.zipmeta import central_directory


class Format(StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    CSV = "csv"
    JSON = "json"
    HTML = "html"
    XML = "xml"
    TEXT = "text"
    GZIP = "gzip"
    BZIP2 = "bzip2"
    XZ = "xz"
    ZIP = "zip"
    TAR = "tar"
    DICOM = "dicom"
    IMAGE = "image"

    @property
    def isolate(self) -> bool:
        """True where a C or complex parser reads the bytes (or an archive may hold such a file): hostile
        input in this format belongs in extract_isolated."""
        return self not in _PURE_PYTHON

    @property
    def display(self) -> str:
        """How error messages name the format."""
        return self.value if self in _LOWERCASE_NAMES else self.value.upper()


_LOWERCASE_NAMES = frozenset({"text", "gzip", "bzip2", "xz", "zip", "tar", "image"})
_PURE_PYTHON: frozenset[Format] = frozenset({Format.CSV, Format.JSON, Format.HTML, Format.XML, Format.TEXT})

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
_UNSUPPORTED_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2 compound file (legacy .doc/.xls/.msg)"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# An explicit-VR element of group 0002 (file meta) or 0008 (identifying) with a plausible VR: DICOM whose
# 128-byte preamble and "DICM" marker were stripped.
_DICOM_GROUPS = (b"\x02\x00", b"\x08\x00")
_DICOM_VRS = frozenset(
    b"AE AS AT CS DA DS DT FL FD IS LO LT OB OD OF OL OW PN SH SL SQ SS ST TM UC UI UL UN UR US UT".split()
)
_DICOM_EXTENSIONS = frozenset({".dcm", ".dicom", ".dic"})
_EXTENSION_FORMATS = {
    ".csv": Format.CSV, ".tsv": Format.CSV, ".tab": Format.CSV,
    ".json": Format.JSON, ".ndjson": Format.JSON, ".jsonl": Format.JSON, ".geojson": Format.JSON,
    ".html": Format.HTML, ".htm": Format.HTML, ".xhtml": Format.HTML,
    ".xml": Format.XML,
    ".txt": Format.TEXT, ".log": Format.TEXT, ".md": Format.TEXT,
}  # fmt: skip
_HTML_TAG = re.compile(r"<(?:!doctype\s+html|html|head|body|div|p|form|input|table|span|script|meta|a)[\s>/]")
_DELIMITERS = (",", "\t", ";", "|")
_TXT_DELIMITERS = ("\t", ";", ",")  # of a table saved as .txt ("Text (Tab delimited)", semicolons in Europe)
_PDF_HEADER_LINE = re.compile(rb"(?:^|[\r\n])%PDF-\d\.\d[ \t]*(?:\r\n?|\n)")
# The comment of high bytes the specification recommends after the header, or the first indirect object.
_PDF_AFTER_HEADER = re.compile(rb"%[\x80-\xff]{4}|\d+[ \t]+\d+[ \t]+obj\b")
_SAMPLE_LINES = 20


def extension(name: str | None) -> str:
    return PurePosixPath(name).suffix.lower() if name else ""


def sniff(data: bytes, name: str | None = None) -> Format:
    """The format of `data`; raises ExtractionError for binary content of no supported format. Container and
    other magic numbers at fixed offsets come first: a PDF header found further in (a stored ZIP member's) never
    overrides them."""
    head = data[:1024]
    if head.startswith(_ZIP_MAGIC):
        return _zip_kind(data)
    if head.startswith(b"\x1f\x8b"):
        return Format.GZIP
    if head.startswith(b"BZh") and head[3:4].isdigit():
        return Format.BZIP2
    if head.startswith(b"\xfd7zXZ\x00"):
        return Format.XZ
    if data[257:262] == b"ustar":
        return Format.TAR
    if data[128:132] == b"DICM":
        return Format.DICOM
    for magic, what in _UNSUPPORTED_MAGIC:
        if head.startswith(magic):
            raise ExtractionError(f"unsupported format: {what}")
    if head.startswith(_IMAGE_MAGIC) or (head.startswith(b"RIFF") and head[8:12] == b"WEBP"):
        return Format.IMAGE
    if _is_pdf(head):
        return Format.PDF
    if _dicom_without_preamble(head, name):
        return Format.DICOM
    if looks_binary(data):
        hint = extension(name)
        named = f" (named {hint}, but it is not one)" if hint and len(hint) <= 8 else ""
        raise ExtractionError(f"unrecognised binary content{named}")
    return _text_kind(data, name)


def _is_pdf(head: bytes) -> bool:
    """A PDF header at the start, or (as PDF readers allow) after junk within the first KiB: then only at a
    line start, with a version, and followed by a PDF's binary-marker comment or first object, so that text
    merely mentioning "%PDF-" stays text. Never after a ZIP local header (a stored member)."""
    if head.startswith(b"%PDF-"):
        return True
    found = _PDF_HEADER_LINE.search(head)
    if found is None or b"PK\x03\x04" in head[: found.start()]:
        return False
    return _PDF_AFTER_HEADER.match(head, found.end()) is not None


def _zip_kind(data: bytes) -> Format:
    directory = central_directory(data)
    if directory is not None:
        if b"word/document.xml" in directory.raw:
            return Format.DOCX
        if b"xl/workbook.xml" in directory.raw:
            return Format.XLSX
    return Format.ZIP


def _dicom_without_preamble(head: bytes, name: str | None) -> bool:
    if head[:2] in _DICOM_GROUPS and head[4:6] in _DICOM_VRS:
        return True
    # Implicit VR (no VR letters) only with a DICOM extension, starting in group 0008 (file meta is always
    # explicit VR), with a first value length that lands on a following tag of the same or a later group.
    if extension(name) not in _DICOM_EXTENSIONS or head[:2] != b"\x08\x00" or len(head) < 12:
        return False
    following = 8 + int.from_bytes(head[4:8], "little")
    return following + 2 <= len(head) and 0x0008 <= int.from_bytes(head[following : following + 2], "little") <= 0x7FE0


def _text_kind(data: bytes, name: str | None) -> Format:
    hinted = _EXTENSION_FORMATS.get(extension(name))
    start = decode_text(data[:4096]).lstrip("\ufeff \t\r\n")
    lowered = start[:1024].lower()
    if hinted is Format.XML and _HTML_TAG.search(lowered[:200]):
        return Format.HTML
    if hinted is Format.TEXT and extension(name) == ".txt" and _txt_table(start, complete=len(data) <= 4096):
        return Format.CSV
    if hinted is not None:
        return hinted
    if start[:1] in ("{", "["):
        return Format.JSON
    if start[:1] == "<":
        if _HTML_TAG.search(lowered):
            return Format.HTML
        return Format.XML
    if _delimited(start, complete=len(data) <= 4096):
        return Format.CSV
    return Format.TEXT


def _sample_lines(text: str, *, complete: bool) -> list[str]:
    lines = text.splitlines()
    if not complete:
        lines = lines[:-1]  # cut off by the sample
    return [line for line in lines if line.strip()][:_SAMPLE_LINES]


def _delimited(text: str, *, complete: bool) -> bool:
    """Lines of a table: every sampled complete line has the same, non-zero count of one delimiter."""
    lines = _sample_lines(text, complete=complete)
    if len(lines) < 2:
        return False
    for delimiter in _DELIMITERS:
        counts = {line.count(delimiter) for line in lines}
        if len(counts) == 1 and counts.pop() > 0:
            return True
    return False


def _txt_table(text: str, *, complete: bool) -> bool:
    """A table saved as .txt: a header row (perhaps below a title, see header_row) and at least two rows below
    it, all with the header's count of one delimiter (tab; or semicolon or comma under a header naming at least
    two known columns)."""
    lines = _sample_lines(text, complete=complete)
    for delimiter in _TXT_DELIMITERS:
        rows = [line.split(delimiter) for line in lines]
        at = header_row(rows)
        if at is None or (delimiter != "\t" and not names_known_columns(rows[at])):
            continue  # prose has commas (and semicolons) aplenty: only a header of known labels says table
        below = lines[at + 1 :]
        columns = lines[at].count(delimiter)
        if len(below) >= 2 and columns > 0 and all(line.count(delimiter) == columns for line in below):
            return True
    return False
