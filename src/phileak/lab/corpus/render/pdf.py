"""PDF with a real text layer (fpdf2), in DejaVu Sans so French accents survive extraction."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from phileak.lab.corpus.model import LabelledDoc
from phileak.lab.corpus.render.layout import blocks

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
_FIXED_DATE = datetime(2024, 1, 1, tzinfo=UTC)  # same bytes for the same document
_RANGES = ((0x20, 0x7E), (0xA0, 0x17F), (0x2010, 0x2027), (0x20AC, 0x20AC))  # Latin-1, Latin Ext-A, dashes, euro


@cache
def font_path() -> Path:
    for directory in FONT_DIRS:
        candidate = directory / "DejaVuSans.ttf"
        if candidate.is_file():
            return candidate
    raise RuntimeError("DejaVuSans.ttf not found: install the Debian package fonts-dejavu-core")


@cache
def _latin_font() -> Path:
    """DejaVu Sans cut down to the characters the corpus writes, once per process: parsing the whole font for
    every PDF would cost more than the rest of the rendering."""
    from fontTools import subset  # type: ignore[import-untyped]

    options = subset.Options()
    options.layout_features = []
    options.drop_tables = [*options.drop_tables, "FFTM"]
    font = subset.load_font(str(font_path()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for lo, hi in _RANGES for c in range(lo, hi + 1)])
    subsetter.subset(font)
    target = Path(tempfile.mkdtemp(prefix="phileak-font-")) / "DejaVuSans-latin.ttf"
    font.save(str(target))
    return target


def render(doc: LabelledDoc) -> bytes:
    from fpdf import FPDF  # lab/test dependency, imported when a PDF is made

    pdf = FPDF(format="A4")
    pdf.set_creation_date(_FIXED_DATE)
    pdf.set_title(f"{doc.kind} {doc.doc_id}")
    pdf.add_font("DejaVu", "", str(_latin_font()))
    pdf.set_font("DejaVu", size=10)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    for block in blocks(doc):
        for line in block.split("\n"):
            pdf.multi_cell(0, 5, line or " ", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())
