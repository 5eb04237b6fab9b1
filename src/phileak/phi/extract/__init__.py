"""Text out of files: PDF, DOCX, XLSX, CSV/TSV, JSON/NDJSON, HTML, XML, plain text, DICOM headers, image
metadata, and gzip/bzip2/xz/zip/tar members, as a phi.spec.Document for the PHI engine.

    extract(data, name=..., limits=ExtractLimits())    -> ExtractedDocument (a Document + skipped parts)
    extract_path(path, limits)                          -> the same, for a file
    await extract_isolated(data, name, limits)          -> the same, in a killable child process
    await extract_path_isolated(path, limits)
    Extraction(data, name=..., limits=...).segments()   -> the segments lazily, for very large tables
    sniff(data, name).isolate                           -> whether hostile input of that format needs isolation

The format comes from the bytes (a name's extension is only a hint). Failures are one-line ExtractionErrors
that never quote content; ExtractionLimitExceeded (also a phileak LimitExceeded) names the ExtractLimits field.
Use the isolated variants for untrusted input whenever sniff(...).isolate is true (PDF, DICOM, images, Office
files, archives): see phi/extract/isolated.py."""

from phileak.phi.extract.context import ExtractedDocument, Skipped
from phileak.phi.extract.dispatch import Extraction, extract, extract_path
from phileak.phi.extract.errors import ExtractionError, ExtractionLimitExceeded
from phileak.phi.extract.isolated import extract_isolated, extract_path_isolated
from phileak.phi.extract.limits import ExtractLimits
from phileak.phi.extract.sniff import Format, sniff

__all__ = [
    "ExtractLimits",
    "ExtractedDocument",
    "Extraction",
    "ExtractionError",
    "ExtractionLimitExceeded",
    "Format",
    "Skipped",
    "extract",
    "extract_isolated",
    "extract_path",
    "extract_path_isolated",
    "sniff",
]
