"""PDF: pdfium's text layer, one segment per page (no rendering, no OCR), plus the document information
dictionary (title, author, subject, keywords), which often names the patient. A PDF whose pages have no text
at all (scanned images) is noted: ExtractedDocument.no_text_layer for the input itself, a skipped part for an
archive member."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pypdfium2 as pdfium

from phileak.phi.extract.context import Context
from phileak.phi.extract.errors import ExtractionLimitExceeded, malformed
from phileak.phi.spec import Segment

_METADATA_KEYS = ("Title", "Author", "Subject", "Keywords")
_PDFIUM_REASON = re.compile(r"\(PDFium: ([A-Za-z ]{1,40})\)")
# pdfium is not thread-safe: one document at a time per process (extract_isolated runs its own process).
_PDFIUM_LOCK = threading.Lock()


def _load_failure(exc: Exception) -> str:
    """pdfium's fixed error phrase ('Data format error', 'Password error', ...), never the input's bytes."""
    found = _PDFIUM_REASON.search(str(exc))
    reason = found.group(1).strip().lower() if found else "unknown error"
    if reason.endswith("password error"):  # "password error", "incorrect password error"
        return "encrypted (a password is required)"
    return f"pdfium cannot load it ({reason})"


def segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    # Read whole under the lock: a generator suspended while holding it would block every other PDF.
    with _PDFIUM_LOCK:
        read = _read(data, ctx)
    return iter(read)


def _read(data: bytes, ctx: Context) -> list[Segment]:
    read: list[Segment] = []
    chars_left = ctx.limits.max_output_chars - ctx.budget.chars
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise malformed("PDF", _load_failure(exc)) from None
    try:
        pages = len(document)
        if pages > ctx.limits.max_pdf_pages:
            raise ExtractionLimitExceeded("max_pdf_pages", f"the PDF has {pages} pages > {ctx.limits.max_pdf_pages}")
        for key in _METADATA_KEYS:
            value = document.get_metadata_value(key).strip()
            if value:
                read.append(Segment(text=value, label=key, where="metadata"))
        pages_with_text = 0
        for index in range(pages):
            ctx.budget.check_time()
            try:
                text = _page_text(document, index)
            except pdfium.PdfiumError:
                ctx.skip(f"page {index + 1}", "pdfium cannot read this page")
                continue
            if text and not text.isspace():
                pages_with_text += 1
                read.append(Segment(text=text, where=f"page {index + 1}"))
                chars_left -= len(text)
                if chars_left < 0:
                    raise ExtractionLimitExceeded(
                        "max_output_chars", f"more than {ctx.limits.max_output_chars} characters of text"
                    )
        if pages and not pages_with_text:
            _note_no_text_layer(ctx, pages)
    finally:
        document.close()
    return read


def _note_no_text_layer(ctx: Context, pages: int) -> None:
    if ctx.depth == 0:
        ctx.notes.no_text_layer = True
    else:  # an archive member: its document has no field of its own
        ctx.skip("pages", f"no text layer on any of {pages} pages (scanned images, not OCRed)")


def _page_text(document: pdfium.PdfDocument, index: int) -> str:
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            text: str = textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()
    return text
