"""Extractor format edge cases found by QA: a PDF stored first in a ZIP, a title row above a table's header,
tab-delimited .txt exports, tracked deletions in DOCX, HTML comments and JSON data islands, encrypted PDFs and
scanned (image-only) PDFs. Every input is generated here from a synthetic identity."""

from __future__ import annotations

import io
import pickle
import zipfile

import docx
import openpyxl
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from fpdf import FPDF
from PIL import Image

from phileak.phi.extract import (
    ExtractedDocument,
    ExtractionError,
    ExtractLimits,
    Format,
    extract,
    extract_isolated,
    sniff,
)

# Synthetic identities: no real person.
NAME = "Jane Testpatient"
DOB = "1961-07-14"
MRN = "MRN-4417-TEST"
OTHER = ("John Sampleperson", "1955-02-03", "MRN-9921-TEST")


def labelled(document: ExtractedDocument) -> dict[str, str | None]:
    """Each segment's text and its label (the last one wins for a repeated text)."""
    return {segment.text: segment.label for segment in document.segments}


def text_pdf() -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    pdf.cell(text=f"Referral for {NAME}")
    return bytes(pdf.output())


def scanned_pdf(pages: int = 2, *, title: str = "") -> bytes:
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    scan = Image.new("RGB", (120, 60), "white")
    for _ in range(pages):
        pdf.add_page()
        pdf.image(scan, x=10, y=10, w=120)
    return bytes(pdf.output())


def patients_csv(delimiter: str = ",", *, title: str | None = None) -> bytes:
    rows = [delimiter.join(("Name", "DOB", "MRN", "Phone", "Diagnosis"))]
    rows.append(delimiter.join((NAME, DOB, MRN, "(555) 010-4477", "Type 2 diabetes")))
    rows.append(delimiter.join((*OTHER, "(555) 010-9921", "Asthma")))
    lines = [title, "", *rows] if title is not None else rows
    return ("\r\n".join(lines) + "\r\n").encode()


# ---------------------------------------------------------------- 1. PDF magic vs containers


def test_a_stored_zip_whose_first_member_is_a_pdf_is_a_zip_and_every_member_is_read() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("referral.pdf", text_pdf())
        archive.writestr("patients.csv", patients_csv())
    data = out.getvalue()
    assert b"%PDF-" in data[:1024]
    assert sniff(data, "export.zip") is Format.ZIP
    assert sniff(data[:8192], "export.zip") is Format.ZIP  # what batch extraction sniffs to choose isolation
    document = extract(data, name="export.zip")
    assert labelled(document)[MRN] == "MRN"
    assert any(NAME in segment.text and segment.where == "referral.pdf: page 1" for segment in document.segments)


def test_a_pdf_after_junk_within_the_first_kib_is_still_a_pdf() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\n\r\n" + text_pdf()
    assert sniff(data, "download.bin") is Format.PDF
    assert NAME in extract(data).segments[0].text


@pytest.mark.parametrize(
    "text",
    [
        f"Note for {NAME}: the scanner writes files starting with %PDF-1.7 and nothing else.\n",
        f"Magic numbers seen in the export of {NAME}:\n%PDF-1.4\nPK\\x03\\x04\n",
    ],
    ids=["mid-line", "own-line"],
)
def test_text_that_mentions_the_pdf_magic_stays_text(text: str) -> None:
    data = text.encode()
    assert sniff(data, "notes.txt") is Format.TEXT
    assert NAME in extract(data, name="notes.txt").segments[0].text


# ---------------------------------------------------------------- 2. title row above the header


def test_csv_header_below_a_title_row_labels_the_cells() -> None:
    document = extract(patients_csv(title="Patient list - Ward 3"), name="ward3.csv")
    found = labelled(document)
    assert found[NAME] == "Name"
    assert found[DOB] == "DOB"
    assert found[MRN] == "MRN"
    assert found["Patient list - Ward 3"] is None
    assert found["Name"] is None  # the header's own cells are text, not labelled values


def test_semicolon_csv_below_a_title_row_is_split_on_semicolons() -> None:
    document = extract(patients_csv(";", title="Export du 03/02/2024"), name="ward3.csv")
    assert labelled(document)[MRN] == "MRN"


def test_csv_without_a_header_still_has_no_labels_and_a_first_row_header_still_works() -> None:
    headerless = f"{NAME},{DOB},{MRN}\n{','.join(OTHER)}\n".encode()
    assert set(labelled(extract(headerless, name="h.csv")).values()) == {None}
    assert labelled(extract(patients_csv(), name="p.csv"))[MRN] == "MRN"


def test_xlsx_header_below_a_title_row_labels_the_cells() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Ward 3"
    sheet.append(["Patient list - Ward 3"])
    sheet.append([])
    sheet.append(["Name", "DOB", "MRN", "Phone", "Diagnosis"])
    sheet.append([NAME, DOB, MRN, "(555) 010-4477", "Type 2 diabetes"])
    sheet.append([*OTHER, "(555) 010-9921", "Asthma"])
    out = io.BytesIO()
    workbook.save(out)
    document = extract(out.getvalue(), name="ward3.xlsx")
    found = {segment.text: (segment.label, segment.where) for segment in document.segments}
    assert found[NAME] == ("Name", "Ward 3!A4")
    assert found[MRN] == ("MRN", "Ward 3!C4")
    assert found["Patient list - Ward 3"] == (None, "Ward 3!A1")
    assert found["Name"] == (None, "Ward 3!A3")


# ---------------------------------------------------------------- 3. delimited .txt


def test_a_tab_delimited_txt_export_is_read_as_a_table() -> None:
    data = patients_csv("\t").replace(b"\r\n", b"\n")
    assert sniff(data, "Export.txt") is Format.CSV
    found = labelled(extract(data, name="Export.txt"))
    assert found[MRN] == "MRN"
    assert found[NAME] == "Name"


def test_a_semicolon_txt_export_is_a_table_but_prose_with_commas_and_tabs_is_not() -> None:
    assert sniff(patients_csv(";"), "export.txt") is Format.CSV
    prose = (
        "Dear colleague, thank you, as ever, for the referral.\n"
        "She was seen today, examined, and reassured.\n"
        "We will, as agreed, review her in March.\n"
    )
    assert sniff(prose.encode(), "letter.txt") is Format.TEXT
    indented = "\tFirst paragraph of the letter.\n\tSecond paragraph of the letter.\n\tThird one.\n"
    assert sniff(indented.encode(), "letter.txt") is Format.TEXT


# ---------------------------------------------------------------- 4. DOCX tracked deletions


def test_docx_tracked_deletions_are_read() -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("Referral for ")
    deletion = parse_xml(
        f'<w:del {nsdecls("w")} w:id="1" w:author="Clerk" w:date="2024-01-01T00:00:00Z">'
        f"<w:r><w:delText>{NAME}</w:delText></w:r></w:del>"
    )
    paragraph._p.append(deletion)
    paragraph.add_run(" [name removed]")
    out = io.BytesIO()
    document.save(out)
    texts = [segment.text for segment in extract(out.getvalue(), name="letter.docx").segments]
    assert f"Referral for {NAME} [name removed]" in texts


# ---------------------------------------------------------------- 5. HTML comments and data islands


def test_html_comments_are_read_as_text() -> None:
    page = (
        "<html><body><h1>Clinic schedule</h1>"
        f"<!-- Patient: {NAME}, DOB: {DOB} -->"
        f"<p>Open <!-- <table><tr><td>{MRN}</td></tr></table> -->9-5</p></body></html>"
    )
    texts = [segment.text for segment in extract(page.encode(), name="s.html").segments]
    assert f"Patient: {NAME}, DOB: {DOB}" in texts
    assert MRN in texts
    assert "Open 9-5" in texts  # the paragraph around a comment stays whole


def test_html_json_data_islands_are_read_by_key_but_scripts_are_not() -> None:
    page = (
        '<html><head><script type="application/json" id="state">'
        f'{{"patient": {{"name": "{NAME}", "birthDate": "{DOB}"}}}}</script>'
        '<script type="application/ld+json">{"@type": "Person", "identifier": "' + MRN + '"}</script>'
        f'<script>var patient = "{OTHER[0]}";</script>'
        f'<script type="module">const mrn = "{OTHER[2]}";</script>'
        "</head><body><p>Portal</p></body></html>"
    )
    document = extract(page.encode(), name="portal.html")
    found = {segment.text: (segment.label, segment.where) for segment in document.segments}
    assert found[NAME] == ("patient.name", "script 1: patient.name")
    assert found[DOB] == ("patient.birthDate", "script 1: patient.birthDate")
    assert found[MRN] == ("identifier", "script 2: identifier")
    assert not any(OTHER[0] in text or OTHER[2] in text for text in found)
    assert found["Portal"] == (None, "text 1")


def test_a_malformed_json_island_is_read_as_text() -> None:
    page = f'<script type="application/json">{{"name": "{NAME}",</script><p>x</p>'
    document = extract(page.encode(), name="p.html")
    assert any(NAME in segment.text for segment in document.segments)
    assert [skipped.where for skipped in document.skipped] == ["script 1"]


# ---------------------------------------------------------------- 6. encrypted PDFs


def test_an_encrypted_pdf_says_a_password_is_required() -> None:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    pdf.cell(text=f"Patient: {NAME}")
    pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")
    with pytest.raises(ExtractionError) as caught:
        extract(bytes(pdf.output()), name="locked.pdf")
    assert str(caught.value) == "malformed PDF: encrypted (a password is required)"


# ---------------------------------------------------------------- 7. scanned PDFs


def test_a_pdf_of_scanned_pages_says_it_has_no_text_layer() -> None:
    document = extract(scanned_pdf(title=f"Scan {NAME}"), name="scan.pdf")
    assert document.no_text_layer
    assert [segment.where for segment in document.segments] == ["metadata"]  # its metadata is still read
    assert pickle.loads(pickle.dumps(document)).no_text_layer
    assert not extract(text_pdf(), name="letter.pdf").no_text_layer
    assert not extract(patients_csv(), name="p.csv").no_text_layer


def test_a_scanned_pdf_in_an_archive_is_a_skipped_part() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("scan.pdf", scanned_pdf(1))
        archive.writestr("letter.pdf", text_pdf())
    document = extract(out.getvalue(), name="batch.zip")
    assert not document.no_text_layer
    assert [(skipped.where, skipped.reason) for skipped in document.skipped] == [
        ("scan.pdf: pages", "no text layer on any of 1 pages (scanned images, not OCRed)")
    ]


async def test_the_no_text_layer_flag_crosses_the_isolation_boundary() -> None:
    document = await extract_isolated(scanned_pdf(), "scan.pdf", ExtractLimits())
    assert document.no_text_layer
