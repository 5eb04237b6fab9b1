"""render(doc, fmt): a LabelledDoc as the bytes of a file in that format."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Final

from phileak.lab.corpus.model import LabelledDoc
from phileak.lab.corpus.render import dicom, office, pdf, text

FORMATS: Final = ("pdf", "docx", "xlsx", "csv", "json", "txt", "dicom")
_RENDERERS: Final[dict[str, Callable[[LabelledDoc], bytes]]] = {
    "pdf": pdf.render,
    "docx": office.render_docx,
    "xlsx": office.render_xlsx,
    "csv": text.render_csv,
    "json": text.render_json,
    "txt": text.render_txt,
    "dicom": dicom.render,
}
_NATURAL: Final = {
    "pdf": "pdf", "dicom": "dicom", "docx": "docx", "text": "txt", "form": "json", "query": "txt", "json": "json",
    "csv": "csv",
}  # fmt: skip


def render(doc: LabelledDoc, fmt: str) -> bytes:
    """The document as a `fmt` file (one of FORMATS). Any document renders to any format; its natural format
    (natural_format) is the one whose extracted text matches the segments most closely."""
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}") from None
    return renderer(doc)


def natural_format(doc: LabelledDoc) -> str:
    """The format the document's kind is found in (its file name's extension says the same)."""
    return _NATURAL.get(doc.source, "txt")


def files(docs: Iterable[LabelledDoc]) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes in the natural format) for each document: what a lab bucket or folder holds."""
    for doc in docs:
        yield doc.file_name, render(doc, natural_format(doc))
