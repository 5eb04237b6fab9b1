"""The labelled synthetic corpus: deterministic, fictional, annotations that point at the right text, identifiers
that pass their checksums, and renderings whose extracted text still holds every annotated value."""

from __future__ import annotations

import io
import json
import re
from collections import Counter

import pytest

from phileak.lab.corpus import FORMATS, NAME_SEGMENT, Form, Kind, LabelledDoc, generate_corpus, natural_format, render
from phileak.lab.corpus.builder import Text
from phileak.lab.corpus.render import files
from phileak.model import DataCategory
from phileak.phi import validators
from phileak.phi.extract import extract

C = DataCategory


@pytest.fixture(scope="module")
def corpus() -> list[LabelledDoc]:
    return generate_corpus(60, seed=11)


def test_the_same_seed_gives_the_same_corpus_and_another_seed_another() -> None:
    first, again, other = (generate_corpus(8, seed=s) for s in (5, 5, 6))
    assert first == again
    assert [d.segments for d in first] != [d.segments for d in other]


def test_every_kind_and_both_languages_appear(corpus: list[LabelledDoc]) -> None:
    assert {d.kind for d in corpus} == set(Kind)
    assert {d.language for d in corpus} == {"en", "fr"}
    assert len({d.doc_id for d in corpus}) == len(corpus)


def test_gold_spans_point_at_whole_non_empty_values(corpus: list[LabelledDoc]) -> None:
    for doc in corpus:
        for gold in doc.gold:
            text = doc.text(gold)
            assert text and text == text.strip(), (doc.doc_id, gold)
            source = doc.file_name if gold.segment == NAME_SEGMENT else doc.segments[gold.segment].text
            assert 0 <= gold.start < gold.end <= len(source)


def test_each_patient_has_documents_within_the_requested_range() -> None:
    docs = generate_corpus(30, docs_per_patient=(2, 3), kinds=[Kind.LAB_REPORT, Kind.DISCHARGE], seed=1)
    assert {d.kind for d in docs} == {Kind.LAB_REPORT, Kind.DISCHARGE}
    per_patient = Counter(pid for d in docs for pid in d.patient_ids)
    assert len(per_patient) == 30
    assert set(per_patient.values()) <= {2, 3}


def test_language_and_kind_filters(corpus: list[LabelledDoc]) -> None:
    french = generate_corpus(10, languages=("fr",), kinds=["lab-report"], seed=2)
    assert {(d.language, d.kind) for d in french} == {("fr", Kind.LAB_REPORT)}
    with pytest.raises(ValueError, match="languages"):
        generate_corpus(3, languages=("de",))


def test_phi_flags_and_people_per_kind(corpus: list[LabelledDoc]) -> None:
    for doc in corpus:
        if doc.kind is Kind.NEGATIVE:
            assert not doc.phi and doc.patient_ids == ()
            assert {g.category for g in doc.gold} <= {C.IP_ADDRESS}
        else:
            assert doc.phi and doc.patient_ids
        if doc.kind is Kind.CSV_EXPORT:
            rows = {s.where for s in doc.segments}
            assert len(rows) == len(doc.patient_ids) >= 5


def test_lab_reports_are_keyed_like_the_phm_bucket(corpus: list[LabelledDoc]) -> None:
    key = re.compile(r"(reports/\d{4}/LAB|comptes-rendus/\d{4}/BIO)_[A-Z' -]+_[A-Z' -]+_\d{8}_R\d{5}\.pdf")
    labs = [d for d in corpus if d.kind is Kind.LAB_REPORT]
    assert labs
    for doc in labs:
        assert key.fullmatch(doc.file_name), doc.file_name
        in_name = {g.category for g in doc.gold if g.segment == NAME_SEGMENT}
        assert in_name == {C.PERSON_NAME, C.DATE_OF_BIRTH}
        assert {C.LAB_RESULT, C.MRN, C.PROVIDER_NAME} <= {g.category for g in doc.gold}


CHECKS = {
    C.SSN: validators.ssn_valid,
    C.FR_NIR: validators.nir_valid,
    C.NPI: validators.npi_valid,
    C.DEA: validators.dea_valid,
    C.HEALTH_PLAN_ID: validators.mbi_valid,
    C.PHONE: validators.phone_valid,
}


def test_identifiers_pass_their_checksums(corpus: list[LabelledDoc]) -> None:
    checked: Counter[DataCategory] = Counter()
    for doc in corpus:
        for gold in doc.gold:
            check = CHECKS.get(gold.category)
            if check and gold.form is Form.PLAIN:
                assert check(doc.text(gold)), (gold.category, doc.doc_id)
                checked[gold.category] += 1
    assert set(checked) == set(CHECKS)


def test_contact_details_are_reserved_for_fiction(corpus: list[LabelledDoc]) -> None:
    fr_fiction = ("019900", "026191", "035301", "046571", "053649")  # ARCEP's numbers for fiction
    for doc in corpus:
        for gold in doc.gold:
            if gold.form is not Form.PLAIN:
                continue
            value = doc.text(gold)
            if gold.category is C.EMAIL:
                assert value.rsplit("@", 1)[1] in ("example.com", "example.net", "example.org")
            elif gold.category is C.PHONE and doc.language == "en":
                assert re.search(r"555[- )]*01\d\d$", value), value
            elif gold.category is C.PHONE:
                digits = re.sub(r"\D", "", value)
                national = "0" + digits[2:] if digits.startswith("33") else digits
                assert national[:6] in fr_fiction, value
            elif gold.category is C.IP_ADDRESS:
                assert value.startswith(("192.0.2.", "198.51.100.", "203.0.113."))


def test_tracker_values_are_sent_as_sha256_hex(corpus: list[LabelledDoc]) -> None:
    hashed = [doc.text(g) for doc in corpus for g in doc.gold if g.form is Form.SHA256]
    assert hashed and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashed)


def test_template_markup_annotates_placeholders_and_marked_conditions() -> None:
    text = Text().fill("Dr {doc} saw {name} for [[asthma]].", doc="Roe", name=("Ada Brisk", C.PERSON_NAME))
    assert text.value == "Dr Roe saw Ada Brisk for asthma."
    assert [(s.category, text.value[s.start : s.end]) for s in text.spans] == [
        (C.PERSON_NAME, "Ada Brisk"),
        (C.HEALTH_CONDITION, "asthma"),
    ]


def _natural_extension(doc: LabelledDoc) -> str:
    return {"dicom": "dcm"}.get(natural_format(doc), natural_format(doc))


def test_every_annotated_value_survives_rendering_and_extraction_in_its_natural_format(
    corpus: list[LabelledDoc],
) -> None:
    one_per_source = {}
    for doc in corpus:
        one_per_source.setdefault((doc.source, doc.language), doc)
    for doc in one_per_source.values():
        data = render(doc, natural_format(doc))
        extracted = "\n".join(s.text for s in extract(data, name=f"doc.{_natural_extension(doc)}").segments)
        for gold in doc.gold:
            if gold.segment == NAME_SEGMENT:
                continue
            value = doc.text(gold)  # a tracker hit's capture line is read back as its decoded parameters
            assert value in extracted, (doc.source, doc.language, value)


def test_any_document_renders_to_every_format(corpus: list[LabelledDoc]) -> None:
    doc = next(d for d in corpus if d.kind is Kind.DISCHARGE and d.language == "fr")
    for fmt in FORMATS:
        data = render(doc, fmt)
        assert data
        extracted = extract(data, name=f"doc.{'dcm' if fmt == 'dicom' else fmt}")
        assert extracted.segments
    with pytest.raises(ValueError, match="unknown format"):
        render(doc, "rtf")


def test_pdf_keeps_french_accents_and_is_reproducible(corpus: list[LabelledDoc]) -> None:
    doc = next(d for d in corpus if d.kind is Kind.LAB_REPORT and d.language == "fr")
    data = render(doc, "pdf")
    assert data == render(doc, "pdf")
    assert data.startswith(b"%PDF")
    text = "\n".join(s.text for s in extract(data, name="report.pdf").segments)
    assert "COMPTE RENDU D'ANALYSES DE BIOLOGIE MÉDICALE" in text
    assert "Né(e) le" in text


def test_dicom_header_has_the_patient_as_family_caret_given(corpus: list[LabelledDoc]) -> None:
    import pydicom

    doc = next(d for d in corpus if d.source == "dicom")
    dataset = pydicom.dcmread(io.BytesIO(render(doc, "dicom")))
    fields = {s.label: s.text for s in doc.segments}
    assert str(dataset.PatientName) == fields["PatientName"] and "^" in fields["PatientName"]
    assert dataset.PatientBirthDate == fields["PatientBirthDate"]
    assert dataset.PatientID == fields["PatientID"]
    assert dataset.Rows == dataset.Columns == 8


def test_tables_render_as_a_header_row_and_one_row_per_patient(corpus: list[LabelledDoc]) -> None:
    from openpyxl import load_workbook

    doc = next(d for d in corpus if d.kind is Kind.CSV_EXPORT)
    rows = list(load_workbook(io.BytesIO(render(doc, "xlsx"))).active.iter_rows(values_only=True))
    assert len(rows) == len(doc.patient_ids) + 1
    assert rows[0][0] in ("mrn", "ipp")
    records = json.loads(render(doc, "json"))
    assert len(records) == len(doc.patient_ids) and set(records[0]) == set(rows[0])


def test_files_pairs_each_key_with_bytes_of_the_format_its_extension_names() -> None:
    docs = generate_corpus(4, kinds=[Kind.LAB_REPORT, Kind.RADIOLOGY, Kind.DISCHARGE], seed=9)
    magic = {".pdf": b"%PDF", ".dcm": b"DICM", ".docx": b"PK"}
    for name, data in files(docs):
        extension = name[name.rindex(".") :]
        offset = 128 if extension == ".dcm" else 0
        assert data[offset : offset + len(magic[extension])] == magic[extension], name
