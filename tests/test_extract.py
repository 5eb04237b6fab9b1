"""Extractors: every format's text, labels and locations from files generated here; bombs, limits and malformed
input end in a one-line error that quotes no content, and the next file still extracts."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import os
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import openpyxl
import pytest
from fpdf import FPDF
from PIL import ExifTags, Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from phileak.errors import LimitExceeded
from phileak.phi.extract import (
    ExtractedDocument,
    Extraction,
    ExtractionError,
    ExtractionLimitExceeded,
    ExtractLimits,
    Format,
    extract,
    extract_isolated,
    extract_path,
    extract_path_isolated,
    sniff,
)
from phileak.phi.spec import Segment

# Synthetic identity: no real person.
NAME = "Jane Testpatient"
MRN = "MRN-4417-TEST"
DOB = "1961-07-14"
PLANTED = (NAME, "Testpatient", MRN, DOB, "19610714")


# ---------------------------------------------------------------- generated files


def make_pdf(pages: int = 2, *, title: str = "Lab report") -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    pdf.set_title(title)
    pdf.set_author("Dr Example")
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(text=f"Patient: {NAME}  MRN: {MRN}  DOB: {DOB}")
        pdf.ln()
        pdf.cell(text=f"INR: 2.{page}  page {page}")
    return bytes(pdf.output())


def make_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph(f"Discharge letter for {NAME}")
    table = document.add_table(rows=3, cols=3)
    for column, title in enumerate(("Patient name", "Date of birth", "MRN")):
        table.cell(0, column).text = title
    for column, value in enumerate((NAME, DOB, MRN)):
        table.cell(1, column).text = value
    table.cell(2, 0).text = "Second Patient"
    document.sections[0].header.paragraphs[0].text = "Confidential: Saint Example Hospital"
    document.core_properties.author = "Dr Example"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Patients"
    sheet.append(["Name", "DOB", "MRN", "Result"])
    for _ in range(10):
        sheet.append(["Filler Person", "1970-01-01", "MRN-0000", "normal"])
    sheet.append([NAME, DOB, MRN, "INR 2.4"])  # row 12
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def make_dicom(*, preamble: bool = True, pixels: int = 64 * 64, birth_date: str = "19610714") -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = Dataset()
    dataset.file_meta = meta
    dataset.PatientName = "Testpatient^Jane"
    dataset.PatientID = MRN
    dataset.PatientBirthDate = birth_date
    dataset.StudyDescription = "CT chest with contrast"
    dataset.ReferringPhysicianName = "Example^Doctor"
    dataset.InstitutionName = "Saint Example Hospital"
    dataset.Rows = dataset.Columns = 64
    dataset.BitsAllocated = dataset.BitsStored = 8
    dataset.HighBit = 7
    dataset.SamplesPerPixel = 1
    dataset.PixelRepresentation = 0
    dataset.PhotometricInterpretation = "MONOCHROME2"
    dataset.PixelData = b"\x07" * pixels
    out = io.BytesIO()
    dataset.save_as(out, enforce_file_format=preamble)
    return out.getvalue()


def make_jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (8, 8))
    exif = image.getexif()
    exif[ExifTags.Base.Artist] = NAME
    exif[ExifTags.Base.ImageDescription] = "Wound photo, left foot"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.UserComment] = b"ASCII\x00\x00\x00" + MRN.encode()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def make_zip(members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def by_label(document: ExtractedDocument) -> dict[str | None, list[str]]:
    found: dict[str | None, list[str]] = {}
    for segment in document.segments:
        found.setdefault(segment.label, []).append(segment.text)
    return found


def segment_with(document: ExtractedDocument, text: str) -> Segment:
    return next(segment for segment in document.segments if text in segment.text)


def assert_clean_error(error: BaseException) -> None:
    message = str(error)
    assert message and "\n" not in message
    for value in PLANTED:
        assert value not in message


# ---------------------------------------------------------------- formats


def test_pdf_gives_one_segment_per_page_and_its_metadata() -> None:
    document = extract(make_pdf(pages=3), name="report.pdf")
    assert document.source == "pdf"
    pages = [segment for segment in document.segments if segment.where and segment.where.startswith("page")]
    assert [segment.where for segment in pages] == ["page 1", "page 2", "page 3"]
    assert all(NAME in segment.text and MRN in segment.text for segment in pages)
    assert "INR: 2.3" in pages[2].text
    assert by_label(document)["Author"] == ["Dr Example"]


def test_docx_reads_paragraphs_table_cells_under_their_header_and_the_page_header() -> None:
    document = extract(make_docx(), name="letter.docx")
    assert document.source == "docx"
    labels = by_label(document)
    assert labels["Patient name"] == [NAME, "Second Patient"]
    assert labels["Date of birth"] == [DOB]
    assert labels["MRN"] == [MRN]
    assert segment_with(document, "Discharge letter").where == "paragraph 1"
    assert segment_with(document, DOB).where == "table 1 row 2"
    assert segment_with(document, "Saint Example").where.startswith("header")
    assert labels["author"] == ["Dr Example"]


def test_xlsx_labels_cells_with_the_header_row_and_locates_them() -> None:
    document = extract(make_xlsx(), name="patients.xlsx")
    assert document.source == "xlsx"
    assert segment_with(document, NAME) == Segment(text=NAME, label="Name", where="Patients!A12")
    assert segment_with(document, MRN) == Segment(text=MRN, label="MRN", where="Patients!C12")
    assert segment_with(document, DOB).label == "DOB"
    header = segment_with(document, "Result")
    assert header.label is None and header.where == "Patients!D1"


def test_csv_dialect_is_sniffed_and_headers_label_cells() -> None:
    data = f"name;dob;mrn\nFiller Person;1970-01-01;MRN-0000\n{NAME};{DOB};{MRN}\n".encode()
    document = extract(data, name="export.csv")
    assert document.source == "csv"
    assert segment_with(document, NAME) == Segment(text=NAME, label="name", where="row 3")
    assert segment_with(document, MRN).label == "mrn"
    assert segment_with(document, "dob").label is None  # header cells are text too


def test_tsv_in_utf16_with_bom_as_excel_exports_it() -> None:
    data = f"Nom\tDate de naissance\nHélène {NAME}\t{DOB}\n".encode("utf-16")
    document = extract(data, name="export.tsv")
    assert segment_with(document, NAME) == Segment(text=f"Hélène {NAME}", label="Nom", where="row 2")
    assert segment_with(document, DOB).label == "Date de naissance"


def test_csv_in_windows_1252_decodes_accents() -> None:
    data = f"Nom,Médecin\n{NAME},Dr Émile Exemple\n".encode("cp1252")
    document = extract(data, name="liste.csv")
    assert segment_with(document, "Émile").label == "Médecin"


def test_csv_is_recognised_without_an_extension() -> None:
    data = f"name,mrn\n{NAME},{MRN}\nOther Person,MRN-1\n".encode()
    assert sniff(data) is Format.CSV
    assert segment_with(extract(data), MRN).label == "mrn"


def test_json_leaves_are_labelled_with_their_key_path() -> None:
    record = {
        "resourceType": "Patient",
        "patient": {"birthDate": DOB, "name": [{"family": "Testpatient", "given": ["Jane"]}], "age": 63},
        "flags": [True, None],
    }
    document = extract(json.dumps(record).encode(), name="patient.json")
    assert document.source == "json"
    assert segment_with(document, DOB) == Segment(text=DOB, label="patient.birthDate", where="patient.birthDate")
    assert segment_with(document, "Testpatient") == Segment(
        text="Testpatient", label="patient.name.family", where="patient.name[0].family"
    )
    assert segment_with(document, "63").label == "patient.age"
    assert all(segment.text not in ("True", "None") for segment in document.segments)


def test_ndjson_lines_are_records_and_a_bad_line_is_skipped() -> None:
    data = f'{{"mrn": "{MRN}"}}\n{{"broken": \n{{"name": "{NAME}"}}\n'.encode()
    document = extract(data, name="events.ndjson")
    assert segment_with(document, MRN).where == "line 1: mrn"
    assert segment_with(document, NAME).label == "name"
    assert [skipped.where for skipped in document.skipped] == ["line 2"]
    assert_clean_error(ExtractionError(document.skipped[0].reason))


def test_ndjson_is_recognised_without_its_extension() -> None:
    data = f'{{"mrn": "{MRN}"}}\n{{"name": "{NAME}"}}\n'.encode()
    assert segment_with(extract(data, name="export.log.1"), NAME).where == "line 2: name"


def test_html_text_and_form_fields_with_their_descriptions() -> None:
    page = f"""<!doctype html><html><head><title>Book an appointment</title>
    <script>var patient = "{MRN}-script";</script><style>.x {{color: red}}</style></head>
    <body><h1>Cardiology</h1><p>Welcome <b>back</b>, {NAME}</p>
    <form>
      <label for="dob">Date of birth</label><input id="dob" name="birth" autocomplete="bday" value="{DOB}">
      <label>Medical record <input name="mrn" value="{MRN}"></label>
      <input type="hidden" name="reason" value="HIV test">
      <input type="password" name="pw" value="secret-value">
      <input type="radio" name="sex" value="female" checked><input type="radio" name="sex" value="male">
      <textarea name="notes" placeholder="Symptoms">chest pain</textarea>
      <select name="clinic"><option value="a">A</option><option value="oncology" selected>Oncology</option></select>
    </form></body></html>"""
    document = extract(page.encode(), name="page.html")
    assert document.source == "html"
    texts = [segment.text for segment in document.segments]
    assert f"Welcome back, {NAME}" in texts
    assert all(f"{MRN}-script" not in text and "color" not in text for text in texts)
    assert segment_with(document, DOB).label == "bday Date of birth birth dob"
    assert segment_with(document, MRN).label == "Medical record mrn"
    assert segment_with(document, "HIV test").label == "reason"
    assert segment_with(document, "female").label == "sex"
    assert segment_with(document, "chest pain").label == "notes Symptoms"
    assert segment_with(document, "oncology").label == "clinic"
    assert "secret-value" not in texts and "male" not in texts
    assert by_label(document)["title"] == ["Book an appointment"]


def test_xml_text_and_value_attributes_are_labelled_by_element_path() -> None:
    data = (
        b'<?xml version="1.0"?><Patient xmlns="http://hl7.org/fhir"><birthDate value="1961-07-14"/>'
        b"<name><family>Testpatient</family><given>Jane</given></name><note>seen for <b>asthma</b> today</note>"
        b"</Patient>"
    )
    document = extract(data, name="patient.xml")
    assert document.source == "xml"
    assert segment_with(document, DOB).label == "Patient.birthDate"
    assert segment_with(document, "Testpatient").label == "Patient.name.family"
    assert segment_with(document, "today").label == "Patient.note"


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        (f"Patient: {NAME}, née à Genève".encode(), "née à Genève"),
        (f"Patient: {NAME}, née à Genève".encode("utf-16"), "née à Genève"),
        (f"Patient: {NAME}, née à Genève".encode("utf-16-be"), "née à Genève"),
        (f"Patient: {NAME}, née à Genève".encode("latin-1"), "née à Genève"),
        ("Patient \u00e9\u0081".encode("latin-1"), "\u00e9\u0081"),  # not cp1252: latin-1 decodes anything
    ],
)
def test_plain_text_encodings(encoded: bytes, expected: str) -> None:
    document = extract(encoded, name="note.txt")
    assert document.source == "text"
    assert expected in document.segments[0].text
    assert document.segments[0].where == "line 1"


def test_a_captured_request_line_is_read_as_its_decoded_parameters() -> None:
    capture = (
        b"GET captured 2026-11-02\n"
        b"https://www.facebook.com/tr/?id=1&ev=Lead&cd%5Bcontent_name%5D=HIV+testing&ud%5Bem%5D=ab12\n"
        b"v=2&dt=Depression%20care%20%7C%20Clinic&ep.search_term=insulin+pump\n"
    )
    document = extract(capture, name="capture.txt")
    by_label = {segment.label: segment for segment in document.segments if segment.label}
    assert by_label["cd[content_name]"].text == "HIV testing"
    assert by_label["cd[content_name]"].where == "line 2 cd[content_name]"
    assert by_label["dt"].text == "Depression care | Clinic"
    assert by_label["ep.search_term"].text == "insulin pump"
    unlabelled = [segment.text for segment in document.segments if not segment.label]
    assert unlabelled == ["GET captured 2026-11-02\n", "https://www.facebook.com/tr/"]


def test_prose_with_ampersands_and_equals_signs_stays_prose() -> None:
    text = b"Dosage: a=1 & b=2 for the patient\nsee https://example.test/page?x=1 for more\n"
    document = extract(text, name="notes.txt")
    assert [segment.text for segment in document.segments] == [text.decode()]


def test_dicom_header_keywords_and_person_names_as_stored() -> None:
    document = extract(make_dicom(), name="image.dcm")
    assert document.source == "dicom"
    labels = by_label(document)
    assert labels["PatientName"] == ["Testpatient^Jane"]
    assert labels["PatientID"] == [MRN]
    assert labels["PatientBirthDate"] == ["19610714"]
    assert labels["StudyDescription"] == ["CT chest with contrast"]
    assert labels["ReferringPhysicianName"] == ["Example^Doctor"]
    assert labels["InstitutionName"] == ["Saint Example Hospital"]
    assert "PixelData" not in labels


def test_dicom_pixel_data_is_never_read(monkeypatch: pytest.MonkeyPatch) -> None:
    import pydicom

    seen: dict[str, object] = {}
    original = pydicom.dcmread

    def spy(*args: object, **kwargs: object) -> object:
        seen.update(kwargs)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pydicom, "dcmread", spy)
    document = extract(make_dicom(pixels=4 * 1024 * 1024), name="big.dcm")
    assert seen["stop_before_pixels"] is True
    assert by_label(document)["PatientID"] == [MRN]


def test_invalid_dicom_values_are_never_quoted_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = make_dicom(birth_date=MRN)  # not a valid DA value: pydicom's validation would quote it
    caplog.clear()
    with caplog.at_level("DEBUG"), warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        document = extract(data, name="odd.dcm")
    assert by_label(document)["PatientBirthDate"] == [MRN]
    assert all(MRN not in record.getMessage() for record in caplog.records)
    assert all(MRN not in str(warning.message) for warning in warned)


def test_dicom_without_its_preamble_is_still_read() -> None:
    data = make_dicom(preamble=False)
    assert data[128:132] != b"DICM"
    assert by_label(extract(data))["PatientName"] == ["Testpatient^Jane"]


def test_image_exif_text_tags_and_gps_flag() -> None:
    document = extract(make_jpeg_with_exif(), name="photo.jpg")
    assert document.source == "image"
    labels = by_label(document)
    assert labels["Artist"] == [NAME]
    assert labels["ImageDescription"] == ["Wound photo, left foot"]
    assert labels["UserComment"] == [MRN]
    assert labels["GPSInfo"] == ["GPS position present"]
    assert all("48" not in text for text in labels["GPSInfo"])


def test_zip_members_are_extracted_recursively_and_located() -> None:
    inner = make_zip({"scan.dcm": make_dicom()})
    data = make_zip({"reports/jane.pdf": make_pdf(pages=1), "nested/inner.zip": inner, "empty/": b""})
    document = extract(data, name="export.zip")
    assert document.source == "zip"
    assert segment_with(document, MRN).where == "reports/jane.pdf: page 1"
    assert by_label(document)["PatientName"] == ["Testpatient^Jane"]
    assert segment_with(document, "Testpatient^Jane").where == "nested/inner.zip: scan.dcm: PatientName"
    assert Segment(text="reports/jane.pdf", label="file name", where="reports/jane.pdf") in document.segments


def test_gzip_tar_and_bzip2_members() -> None:
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as archive:
        content = f"Patient: {NAME}".encode()
        info = tarfile.TarInfo("notes/visit.txt")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    document = extract(gzip.compress(tar_bytes.getvalue()), name="backup.tgz")
    assert document.source == "gzip"
    assert segment_with(document, NAME).where == "backup.tar: notes/visit.txt: line 1"
    csv_bz2 = bz2.compress(f"name,mrn\n{NAME},{MRN}\n".encode())
    assert segment_with(extract(csv_bz2, name="list.csv.bz2"), MRN).label == "mrn"


def test_a_corrupt_member_is_skipped_and_the_others_extracted() -> None:
    data = bytearray(make_zip({"a.txt": f"Patient: {NAME} ".encode() * 50, "b.txt": MRN.encode()}))
    start = data.index(b"a.txt") + len("a.txt")
    data[start + 10 : start + 30] = bytes(20)  # corrupt a's deflate stream
    document = extract(bytes(data), name="x.zip")
    assert segment_with(document, MRN).where == "b.txt: line 1"
    assert [skipped.where for skipped in document.skipped] == ["a.txt"]
    assert_clean_error(ExtractionError(document.skipped[0].reason))


def test_the_streaming_extraction_yields_the_same_segments() -> None:
    data = make_xlsx()
    extraction = Extraction(data, name="p.xlsx")
    assert extraction.format is Format.XLSX
    assert list(extraction.segments()) == list(extract(data).segments)


def test_extract_path_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "scan.dcm"
    path.write_bytes(make_dicom())
    document = extract_path(path)
    assert document.name == str(path)
    assert by_label(document)["PatientID"] == [MRN]
    with pytest.raises(ExtractionError) as error:
        extract_path(tmp_path / "missing.pdf")
    assert_clean_error(error.value)


# ---------------------------------------------------------------- sniffing


def test_the_content_decides_not_the_extension() -> None:
    assert sniff(make_pdf(1), "report.txt") is Format.PDF
    assert sniff(f"Patient: {NAME}".encode(), "report.pdf") is Format.TEXT
    assert sniff(make_docx(), "a.zip") is Format.DOCX
    assert sniff(make_xlsx(), "a.bin") is Format.XLSX
    assert sniff(make_dicom(), "image.jpg") is Format.DICOM
    assert sniff(b"<html><body>x</body></html>", "a.xml") is Format.HTML


def test_isolation_is_advised_for_the_formats_with_native_or_complex_parsers() -> None:
    assert Format.PDF.isolate and Format.DICOM.isolate and Format.ZIP.isolate and Format.IMAGE.isolate
    assert not Format.CSV.isolate and not Format.JSON.isolate and not Format.TEXT.isolate


# ---------------------------------------------------------------- limits and malformed input


def zip_bomb() -> bytes:
    return make_zip({"readme.txt": b"hello", "bomb.txt": bytes(20 * 1024 * 1024)})


def nested_zip(depth: int) -> bytes:
    data = make_zip({"core.txt": MRN.encode()})
    for level in range(depth):
        data = make_zip({f"level{level}.zip": data})
    return data


def many_members() -> bytes:
    return make_zip({f"m{n}.txt": b"x" for n in range(30)}, method=zipfile.ZIP_STORED)


def random_bytes() -> bytes:
    return os.urandom(4096)


LIMITED: list[tuple[str, Callable[[], bytes], str, ExtractLimits]] = [
    ("bomb.zip", zip_bomb, "max_compression_ratio", ExtractLimits()),
    ("bomb.zip", zip_bomb, "max_total_uncompressed_bytes", ExtractLimits(max_compression_ratio=1e9,
                                                                         max_total_uncompressed_bytes=4 << 20)),
    ("bomb.gz", lambda: gzip.compress(bytes(50 * 1024 * 1024)), "max_compression_ratio", ExtractLimits()),
    ("bomb.xz.gz", lambda: gzip.compress(bytes(8 << 20)), "max_total_uncompressed_bytes",
     ExtractLimits(max_compression_ratio=1e9, max_total_uncompressed_bytes=1 << 20)),
    ("deep.zip", lambda: nested_zip(6), "max_nesting_depth", ExtractLimits(max_nesting_depth=4)),
    ("many.zip", many_members, "max_archive_members", ExtractLimits(max_archive_members=10)),
    ("long.pdf", lambda: make_pdf(pages=30), "max_pdf_pages", ExtractLimits(max_pdf_pages=10)),
    ("big.txt", lambda: b"x" * 5000, "max_input_bytes", ExtractLimits(max_input_bytes=4096)),
    ("wordy.txt", lambda: b"word " * 2000, "max_output_chars", ExtractLimits(max_output_chars=1000)),
    ("wide.csv", lambda: b"a,b\n" + b"1,2\n" * 100, "max_segments", ExtractLimits(max_segments=0)),
    ("slow.pdf", lambda: make_pdf(pages=2), "max_seconds", ExtractLimits(max_seconds=-1)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "build", "limit", "limits"), LIMITED, ids=[row[2] + ":" + row[0] for row in LIMITED])
def test_each_limit_ends_in_a_one_line_error_naming_it(
    name: str, build: Callable[[], bytes], limit: str, limits: ExtractLimits
) -> None:
    with pytest.raises(ExtractionLimitExceeded) as error:
        extract(build(), name=name, limits=limits)
    assert error.value.limit == limit
    assert limit in str(error.value)
    assert isinstance(error.value, LimitExceeded)
    assert_clean_error(error.value)


def test_a_table_past_the_segment_limit_keeps_the_rows_read_before_it() -> None:
    """A large export is reported on what fits (its first rows), and says it was read in part; a limit reached
    before any text came out is still an error."""
    table = b"mrn,diagnosis\n" + b"".join(b"%d,Asthma\n" % (4_000_000 + row) for row in range(100))
    document = extract(table, name="export.csv", limits=ExtractLimits(max_segments=50))
    assert len(document.segments) == 50
    assert document.read_in_part == "limit max_segments reached"
    assert [s.text for s in document.segments[2:4]] == ["4000000", "Asthma"]  # after the header row
    assert document.segments[-1].where == "row 25"
    assert extract(table, name="export.csv").read_in_part is None


def test_text_past_the_output_limit_keeps_the_blocks_read_before_it() -> None:
    block = ("Patient: Omar Haddad, MRN 4481122. Asthma.\n" * 1600).encode()  # about 70 kB: two blocks
    document = extract(block * 3, name="notes.txt", limits=ExtractLimits(max_output_chars=150_000))
    assert document.read_in_part == "limit max_output_chars reached"
    assert 0 < sum(len(s.text) for s in document.segments) <= 150_000


def test_a_table_over_the_input_cap_is_read_up_to_its_last_whole_line(tmp_path: Path) -> None:
    """A patient export too large to read whole is read from its start, to the last whole row within the cap;
    a file of another format that large is still refused before parsing."""
    table = tmp_path / "export.csv"
    table.write_bytes(b"mrn,diagnosis\n" + b"".join(b"%d,Asthma\n" % (4_000_000 + row) for row in range(100)))
    limits = ExtractLimits(max_input_bytes=1000)
    document = extract_path(table, limits)
    assert document.read_in_part == "limit max_input_bytes reached"
    rows = [segment.text for segment in document.segments[2:]]
    assert len(rows) == 130 and rows[-2:] == ["4000064", "Asthma"]  # 65 whole rows of 15 bytes after the header
    assert extract_path(table).read_in_part is None
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(make_pdf(pages=3))
    with pytest.raises(ExtractionLimitExceeded) as error:
        extract_path(pdf, ExtractLimits(max_input_bytes=1000))
    assert error.value.limit == "max_input_bytes"


async def test_isolated_extraction_of_a_file_over_the_input_cap_reads_its_head(tmp_path: Path) -> None:
    table = tmp_path / "export.csv"
    table.write_bytes(b"mrn,diagnosis\n" + b"".join(b"%d,Asthma\n" % (4_000_000 + row) for row in range(100)))
    document = await extract_path_isolated(table, ExtractLimits(max_input_bytes=1000))
    assert document.read_in_part == "limit max_input_bytes reached" and document.segments[2].text == "4000000"


async def test_isolated_extraction_keeps_a_partial_read() -> None:
    table = b"mrn,diagnosis\n" + b"".join(b"%d,Asthma\n" % (4_000_000 + row) for row in range(100))
    document = await extract_isolated(table, "export.csv", ExtractLimits(max_segments=50))
    assert (len(document.segments), document.read_in_part) == (50, "limit max_segments reached")


def test_nesting_within_the_depth_limit_is_extracted() -> None:
    document = extract(nested_zip(3), limits=ExtractLimits(max_nesting_depth=4))
    assert segment_with(document, MRN).where == "level2.zip: level1.zip: level0.zip: core.txt: line 1"


MALFORMED: list[tuple[str, Callable[[], bytes], str]] = [
    ("truncated.pdf", lambda: make_pdf(pages=3)[: len(make_pdf(pages=3)) // 2], "malformed PDF"),
    ("random.pdf", random_bytes, "unrecognised binary content (named .pdf, but it is not one)"),
    ("header-only.pdf", lambda: b"%PDF-1.7\n" + os.urandom(2000), "malformed PDF"),
    ("broken.dcm", lambda: b"\x02\x00\x10\x00" + os.urandom(64), "unrecognised binary content (named .dcm"),
    ("garbage.dcm", lambda: make_dicom()[:132] + os.urandom(300), "malformed DICOM"),
    ("stub.dcm", lambda: make_dicom()[:140], "malformed DICOM"),
    ("patient.json", lambda: f'{{"name": "{NAME}", "mrn": }}'.encode(), "malformed JSON"),
    ("deep.json", lambda: b"[" * 100_000 + b"]" * 100_000, "malformed JSON"),
    ("cut.zip", lambda: make_zip({"a.txt": MRN.encode() * 100})[:60], "zip"),
    ("cut.xlsx", lambda: make_xlsx()[:-200], "malformed zip"),
    ("cut.gz", lambda: b"\x1f\x8b\x08\x00" + os.urandom(100), "malformed gzip"),
    ("legacy.doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "unsupported format: OLE2"),
    ("broken.jpg", lambda: b"\xff\xd8\xff\xe0" + os.urandom(200), "malformed image"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "build", "expected"), MALFORMED, ids=[row[0] for row in MALFORMED])
def test_malformed_input_is_a_one_line_error(name: str, build: Callable[[], bytes], expected: str) -> None:
    with pytest.raises(ExtractionError) as error:
        extract(build(), name=name)
    assert not isinstance(error.value, ExtractionLimitExceeded)
    assert expected in str(error.value)
    assert_clean_error(error.value)


def test_a_batch_goes_on_past_each_bad_file() -> None:
    batch = [(name, build()) for name, build, _ in MALFORMED] + [("ok.csv", f"mrn\n{MRN}\n".encode())]
    batch += [(name, build()) for name, build, _, _ in LIMITED[:3]] + [("ok.pdf", make_pdf(1))]
    outcomes: list[str] = []
    for name, data in batch:
        try:
            document = extract(data, name=name)
        except ExtractionError as error:
            assert_clean_error(error)
            outcomes.append("error")
        else:
            assert any(MRN in segment.text for segment in document.segments)
            outcomes.append("ok")
    assert outcomes == ["error"] * len(MALFORMED) + ["ok"] + ["error"] * 3 + ["ok"]


# ---------------------------------------------------------------- isolation


async def test_isolated_extraction_matches_the_in_process_one() -> None:
    data = make_zip({"r.pdf": make_pdf(2), "s.dcm": make_dicom()})
    assert await extract_isolated(data, "x.zip") == extract(data, name="x.zip")


async def test_isolated_errors_keep_their_class_and_message(tmp_path: Path) -> None:
    with pytest.raises(ExtractionLimitExceeded) as limit:
        await extract_isolated(make_pdf(pages=12), "long.pdf", ExtractLimits(max_pdf_pages=5))
    assert limit.value.limit == "max_pdf_pages"
    path = tmp_path / "random.pdf"
    path.write_bytes(random_bytes())
    with pytest.raises(ExtractionError) as error:
        await extract_path_isolated(path)
    assert str(error.value) == "unrecognised binary content (named .pdf, but it is not one)"


# ---------------------------------------------------------------- damaged input


def mutations(seed: bytes, count: int, rng_seed: int) -> list[bytes]:
    """`count` copies of `seed`, each with a few random bytes overwritten and some cut short (reproducible)."""
    import random

    rng = random.Random(rng_seed)
    damaged = []
    for _ in range(count):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 12)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.25:
            data = data[: rng.randrange(1, len(data))]
        damaged.append(bytes(data))
    return damaged


DAMAGEABLE: list[tuple[str, Callable[[], bytes]]] = [
    ("a.docx", make_docx),
    ("a.xlsx", make_xlsx),
    ("a.dcm", make_dicom),
    ("a.jpg", make_jpeg_with_exif),
    ("a.zip", lambda: make_zip({"y.csv": f"name,mrn\n{NAME},{MRN}\n".encode(), "z.json": b'{"a": ["b", 1]}'})),
    ("a.gz", lambda: gzip.compress(f"name,mrn\n{NAME},{MRN}\n".encode() * 50)),
    ("a.html", lambda: b'<html><body><p>x</p><form><label for=d>DOB</label><input id=d value="1961"></form>'),
]


@pytest.mark.parametrize(("name", "build"), DAMAGEABLE, ids=[row[0] for row in DAMAGEABLE])
def test_damaged_files_give_a_document_or_a_one_line_error(name: str, build: Callable[[], bytes]) -> None:
    for data in mutations(build(), 40, rng_seed=len(name)):
        try:
            extract(data, name=name)
        except ExtractionError as error:
            assert_clean_error(error)


async def test_damaged_pdfs_in_isolation_give_a_document_or_a_one_line_error() -> None:
    for data in mutations(make_pdf(2), 8, rng_seed=5):
        try:
            await extract_isolated(data, "a.pdf")
        except ExtractionError as error:
            assert_clean_error(error)
