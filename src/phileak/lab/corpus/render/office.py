"""DOCX (a paragraph per line) and XLSX (the document's table) renderings."""

from __future__ import annotations

import io
from datetime import datetime

from phileak.lab.corpus.model import LabelledDoc
from phileak.lab.corpus.render.layout import blocks, table

_FIXED_DATE = datetime(2024, 1, 1)


def render_docx(doc: LabelledDoc) -> bytes:
    import docx  # lab/test dependency

    document = docx.Document()
    document.core_properties.title = f"{doc.kind} {doc.doc_id}"
    document.core_properties.author = "phileak corpus"
    document.core_properties.created = _FIXED_DATE
    document.core_properties.modified = _FIXED_DATE
    for block in blocks(doc):
        for line in block.split("\n"):
            document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render_xlsx(doc: LabelledDoc) -> bytes:
    from openpyxl import Workbook  # lab/test dependency

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "export" if doc.source == "csv" else "document"
    for row in table(doc):
        sheet.append(row)
    workbook.properties.created = _FIXED_DATE
    workbook.properties.modified = _FIXED_DATE
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
