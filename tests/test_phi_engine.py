"""The PHI engine end to end on Documents: context decides (labels, cues, records), PHI is identifier + health
context, people are assembled as keyed hashes, evidence is redacted, and the Python `re` fallback agrees with
hyperscan. Every value here is synthetic."""

from __future__ import annotations

import pytest

from phileak import logsafe
from phileak.model import DataCategory, Severity
from phileak.phi import engine as engine_module
from phileak.phi.engine import Analysis, PhiEngine
from phileak.phi.identity import IdentityHasher
from phileak.phi.patterns import default_patterns, matcher
from phileak.phi.spec import Document, PatternSpec, Segment, VocabularySpec

C = DataCategory
KEY = b"engine-tests-key-0123456789abcdef"
NAMES = VocabularySpec(
    "test-person-names",
    C.PERSON_NAME,
    lambda: ["John", "Jane", "Smith", "Doe", "Marie", "Dupont", "Grant", "Rose", "Amy", "Romero", "Will"],
    "test list",
    needs_context=True,
)
CONDITIONS = VocabularySpec(
    "test-conditions",
    C.HEALTH_CONDITION,
    lambda: ["HIV", "diabetes", "type 2 diabetes", "diabète", "hypertension", "Parkinson"],
    "test list",
)
COLD = VocabularySpec(  # an ambiguous word: a condition only near its context words
    "test-ambiguous", C.HEALTH_CONDITION, lambda: ["cold"], "test list", needs_context=True, context=("symptoms",)
)
MEDICATIONS = VocabularySpec("test-medications", C.MEDICATION, lambda: ["warfarin", "metformin"], "test list")
VOCABULARIES = [NAMES, CONDITIONS, COLD, MEDICATIONS]
HASHER = IdentityHasher(KEY)


@pytest.fixture(scope="module")
def engine() -> PhiEngine:
    return PhiEngine(HASHER, patterns=default_patterns(), vocabularies=VOCABULARIES)


@pytest.fixture(scope="module")
def default_engine() -> PhiEngine:
    """With the shipped vocabularies (census name lists among them)."""
    return PhiEngine(HASHER)


@pytest.fixture(scope="module")
def engine_fr() -> PhiEngine:
    return PhiEngine(
        IdentityHasher(KEY, region="FR"), region="FR", patterns=default_patterns(), vocabularies=VOCABULARIES
    )


def values(analysis: Analysis, document: Document) -> set[tuple[str, str]]:
    texts = {-1: document.name or ""} | {i: s.text for i, s in enumerate(document.segments)}
    return {(d.category.value, texts[d.segment][d.start : d.end]) for d in analysis.detections}


def doc(*texts: str, name: str | None = None, source: str | None = None) -> Document:
    return Document(segments=[Segment(text=t) for t in texts], name=name, source=source)


LAB_REPORT = (
    "Northwind Clinical Laboratory\nPatient: WILLIAMS, LAUREN\nDOB: 06/12/1937    Sex: F\nMRN: 86013032\n"
    "Address: 82462 Ashley Points, North Bonnie, ID 84244\nPhone: 579-555-0178\n"
    "Collected: 10/15/2022    Reported: 10/17/2022\nOrdering physician: Dr. Charles Curtis    NPI: 1234567893\n"
    "Hemoglobin 13.2 g/dL\nComments: on warfarin; history of type 2 diabetes."
)


# --- context decides -----------------------------------------------------------------------------------------------


def test_a_lab_report_yields_each_identifier_once_with_its_category(engine: PhiEngine) -> None:
    document = doc(LAB_REPORT)
    found = values(engine.analyse(document), document)
    assert {
        ("person-name", "WILLIAMS, LAUREN"),
        ("date-of-birth", "06/12/1937"),
        ("mrn", "86013032"),
        ("address", "82462 Ashley Points, North Bonnie, ID 84244"),
        ("phone", "579-555-0178"),
        ("date", "10/15/2022"),
        ("date", "10/17/2022"),
        ("provider-name", "Charles Curtis"),
        ("npi", "1234567893"),
        ("medication", "warfarin"),
        ("health-condition", "type 2 diabetes"),
    } == found


def test_a_date_of_birth_needs_a_label_and_a_date_needs_a_person(engine: PhiEngine) -> None:
    assert engine.analyse_text("03/14/1962").detections == []
    assert engine.analyse_text("Meeting on 03/14/1962 in room 4").detections == []
    assert [d.category for d in engine.analyse_text("DOB: 03/14/1962").detections] == [C.DATE_OF_BIRTH]
    tied = doc("Patient: Jane Doe", "Seen on 09/12/2017 for a follow-up")
    assert values(engine.analyse(tied), tied) == {("person-name", "Jane Doe"), ("date", "09/12/2017")}


def test_a_bare_number_is_not_an_mrn_unless_a_label_says_so(engine: PhiEngine) -> None:
    assert engine.analyse_text("48291033").detections == []
    assert [d.category for d in engine.analyse_text("48291033", label="MRN").detections] == [C.MRN]
    assert [d.category for d in engine.analyse_text("Medical record no. 48291033").detections] == [C.MRN]


def test_a_name_list_word_needs_context_or_corroboration(engine: PhiEngine) -> None:
    assert engine.analyse_text("Will Smith called about the order").detections == []
    assert engine.analyse_text("Rose", label="first_name").detections[0].category is C.PERSON_NAME
    near_dob = doc("John Smith, born 03/14/1962, was admitted")
    assert ("person-name", "John Smith") in values(engine.analyse(near_dob), near_dob)
    with_record = doc("Jane Doe was seen today.", "MRN: 00482913")
    assert ("person-name", "Jane Doe") in values(engine.analyse(with_record), with_record)


def test_a_health_word_inside_a_name_is_not_a_health_fact(engine: PhiEngine) -> None:
    analysis = engine.analyse_text("Referring physician: Dr. James Parkinson")
    assert [d.category for d in analysis.detections] == [C.PROVIDER_NAME]


def test_an_ambiguous_term_needs_its_context_words(engine: PhiEngine) -> None:
    assert engine.analyse_text("a cold morning").detections == []
    analysis = engine.analyse_text("symptoms: cold and cough")
    assert [d.category for d in analysis.detections] == [C.HEALTH_CONDITION]


def test_a_context_requiring_pattern_counts_only_near_its_context_words() -> None:
    cpt = PatternSpec("test-cpt", C.PROCEDURE, r"\b\d{5}\b", needs_context=True, context=("CPT", "procedure code"))
    engine = PhiEngine(HASHER, patterns=[cpt], vocabularies=[])
    assert engine.analyse_text("population 77067").detections == []
    assert [d.detector for d in engine.analyse_text("mammogram (CPT 77067)").detections] == ["test-cpt"]


def test_a_validator_that_raises_drops_its_hits_and_nothing_else() -> None:
    def broken(value: str) -> bool:
        raise ValueError("boom")

    spec = PatternSpec("test-broken", C.ACCOUNT_NUMBER, r"\bACC-\d{4}\b", validate=broken)
    engine = PhiEngine(HASHER, patterns=[spec, *default_patterns()], vocabularies=[])
    analysis = engine.analyse_text("ACC-1234 and SSN 234-56-7890")
    assert [d.category for d in analysis.detections] == [C.SSN]


# --- structure: records, segments, file names, sources -------------------------------------------------------------


def test_csv_rows_are_records_and_each_row_is_a_person(engine: PhiEngine) -> None:
    header = ["mrn", "last_name", "first_name", "dob", "diagnosis"]
    rows = [["86013032", "Williams", "Lauren", "06/12/1937", "diabetes"], ["26487605", "Kelley", "Jacqueline",
            "1980-11-06", "hypertension"]]  # fmt: skip
    document = Document(
        segments=[Segment(text=cell, label=label, where=f"row {n}") for n, row in enumerate(rows, 2)
                  for label, cell in zip(header, row, strict=True)],
        name="exports/patients.csv",
        source="csv",
    )  # fmt: skip
    analysis = engine.analyse(document)
    assert analysis.is_phi
    assert len(analysis.people) == 2
    expected = {HASHER.person(id_value="86013032", id_kind="mrn"), HASHER.person(id_value="26487605", id_kind="mrn")}
    assert {p.key for p in analysis.people} == expected
    first = next(p for p in analysis.people if p.key == HASHER.person(id_value="86013032", id_kind="mrn"))
    assert ("name+dob", HASHER.person(name="Lauren Williams", birth_date="1937-06-12")) in first.attributes
    assert ("mrn", HASHER.hash("mrn", "86013032")) in first.attributes


def test_json_items_are_records(engine: PhiEngine) -> None:
    segments = [
        Segment("Amy Romero", label="patients.name", where="patients[0].name"),
        Segment("amy.romero1@example.org", label="patients.email", where="patients[0].email"),
        Segment("Jane Doe", label="patients.name", where="patients[1].name"),
        Segment("jane.doe@example.org", label="patients.email", where="patients[1].email"),
    ]
    analysis = engine.analyse(Document(segments=segments, source="json"))
    emails = [HASHER.hash("email", "amy.romero1@example.org"), HASHER.hash("email", "jane.doe@example.org")]
    assert sorted(next(v for k, v in p.attributes if k == "email") for p in analysis.people) == sorted(emails)


def test_a_second_patient_in_the_same_page_is_a_second_person(engine: PhiEngine) -> None:
    page = "Patient: John Smith  DOB: 03/14/1962\n\nPatient: Jane Doe  DOB: 07/01/1970\n"
    assert len(engine.analyse_text(page).people) == 2
    repeated = "Patient: John Smith  DOB: 03/14/1962\nPage 2 - Patient: SMITH, JOHN  DOB: 1962-03-14"
    assert len(engine.analyse_text(repeated).people) == 1


def test_french_name_parts_make_one_person_hashed_like_anywhere_else(engine_fr: PhiEngine) -> None:
    text = "Nom : DUPONT    Prénom : Marie\nNée le 03/04/1962\nDiagnostic : diabète"
    analysis = engine_fr.analyse_text(text)
    fr_hasher = IdentityHasher(KEY, region="FR")
    assert [p.key for p in analysis.people] == [fr_hasher.person(name="Marie Dupont", birth_date="1962-04-03")]
    assert analysis.is_phi


def test_file_names_are_analysed_and_reported_as_segment_minus_one(engine: PhiEngine) -> None:
    document = doc("Hemoglobin 13.2 g/dL", name="reports/2023/LAB_PARRISH_DANIEL_19710701_R00006.pdf")
    analysis = engine.analyse(document)
    assert {(d.segment, d.category) for d in analysis.detections} == {(-1, C.PERSON_NAME), (-1, C.DATE_OF_BIRTH)}
    assert [p.key for p in analysis.people] == [HASHER.person(name="Daniel Parrish", birth_date="1971-07-01")]


def test_offsets_point_into_the_right_segment_even_after_accents(engine: PhiEngine) -> None:
    document = doc("Compte rendu — hôpital", "Patient : René Gauthier, IPP 47290936.", "Tél : 04 65 71 51 70 \u2013 é")
    found = values(engine.analyse(document), document)
    assert {("person-name", "René Gauthier"), ("mrn", "47290936"), ("phone", "04 65 71 51 70")} <= found


def test_a_dicom_header_is_phi_with_any_patient_identifier(engine: PhiEngine) -> None:
    header = Document(
        segments=[Segment("ROMERO^AMY", label="PatientName", where="PatientName"),
                  Segment("MG", label="Modality", where="Modality")],
        source="dicom",
    )  # fmt: skip
    analysis = engine.analyse(header)
    assert analysis.clinical_source and analysis.is_phi
    assert [p.key for p in analysis.people] == [HASHER.person(name="Amy Romero")]


def test_tracker_parameters_are_labels(engine: PhiEngine) -> None:
    hit = Document(
        segments=[Segment("Lead", label="ev"), Segment("jane.doe@example.org", label="ud[em]"),
                  Segment("19620314", label="ud[db]"), Segment("book HIV test", label="cd[content_name]")],
        source="query",
    )  # fmt: skip
    analysis = engine.analyse(hit)
    assert analysis.categories == {C.EMAIL, C.DATE_OF_BIRTH, C.HEALTH_CONDITION}
    assert analysis.is_phi


# --- PHI, severity, evidence ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "is_phi", "severity"),
    [
        ("Opening hours: 9-17, closed on Sundays.", False, Severity.INFO),
        ("Learn about type 2 diabetes and hypertension.", False, Severity.INFO),
        ("Contact: jane.doe@example.org", False, Severity.LOW),
        ("Write to info@example.org about diabetes care.", False, Severity.INFO),
        ("Call our clinic at (217) 555-0100 about diabetes care.", False, Severity.INFO),
        ("SSN: 234-56-7890", False, Severity.MEDIUM),
        ("Patient: Jane Doe  DOB: 03/14/1962", False, Severity.MEDIUM),
        ("jane.doe@example.org booked a diabetes consultation", True, Severity.HIGH),
        ("Patient: Jane Doe, on metformin", True, Severity.HIGH),
        ("jane.doe@example.org - HIV test result", True, Severity.CRITICAL),
        ("SSN: 234-56-7890 - diabetes follow-up", True, Severity.CRITICAL),
    ],
)
def test_phi_is_identifier_plus_health_context(engine: PhiEngine, text: str, is_phi: bool, severity: Severity) -> None:
    analysis = engine.analyse_text(text)
    assert (analysis.is_phi, analysis.severity()) == (is_phi, severity)


PUBLIC_PAGES = [
    "Welcome to St. Mary's Hospital, 1216 Second Street SW, Rochester, MN 55902. Main line: (507) 255-5123. Our "
    "cardiology department treats hypertension and diabetes. Dr. Jane Roberts, MD leads it. Version 3.2.1.",
    "Le Centre Hospitalier de Paris, 47 boulevard de l'Hôpital, 75013 Paris. Standard : 01 42 16 00 00. Le "
    "diabète touche 3,5 millions de Français. Rendez-vous sur www.exemple.fr. Mise à jour le 12 mars 2024.",
    "Metformin was approved on December 29, 1994. Call 1-800-555-0123 (a diabetes association) or see "
    "https://www.example.org/about. ISBN 978-0-7817-6860-4, PMID 28190580.",
]


@pytest.mark.parametrize("text", PUBLIC_PAGES)
def test_an_organisations_page_about_health_is_not_phi(engine: PhiEngine, text: str) -> None:
    analysis = engine.analyse_text(text)
    assert not analysis.is_phi
    assert analysis.patient_identifiers == frozenset()
    assert C.DATE not in analysis.categories  # no person to tie a date to


def test_an_organisations_address_is_not_reported_after_its_name(engine: PhiEngine) -> None:
    text = "Welcome to St. Mary's Hospital, 1216 Second Street SW, Rochester, MN 55902."
    assert engine.analyse_text(text).detections == []


def test_a_customers_address_is_an_address_but_not_phi(engine: PhiEngine) -> None:
    text = "Order 4829103 shipped to 42 Elm Street, Portland, OR 97201. Questions? support@shop.example.com"
    analysis = engine.analyse_text(text)
    assert {d.category for d in analysis.detections} == {C.ADDRESS, C.EMAIL}
    assert not analysis.is_phi and analysis.patient_identifiers == frozenset()


def test_analysis_reports_which_identifiers_and_health_facts_co_occur(engine: PhiEngine) -> None:
    analysis = engine.analyse(doc(LAB_REPORT))
    assert analysis.patient_identifiers == {C.PERSON_NAME, C.DATE_OF_BIRTH, C.MRN, C.ADDRESS, C.PHONE}
    assert analysis.identifiers == analysis.patient_identifiers | {C.DATE}
    assert analysis.health == {C.PROVIDER_NAME, C.NPI, C.MEDICATION, C.HEALTH_CONDITION}
    assert analysis.counts()[C.DATE] == 2


RAW_VALUES = ["WILLIAMS", "LAUREN", "06/12/1937", "86013032", "82462 Ashley", "579-555-0178", "Curtis"]


def test_the_excerpt_shows_shapes_never_values(engine: PhiEngine) -> None:
    document = doc(LAB_REPORT)
    excerpt = engine.analyse(document).excerpt(document, max_chars=400)
    assert "W****, L****" in excerpt
    assert "**/**/19**" in excerpt
    assert not any(raw in excerpt for raw in RAW_VALUES)
    assert len(engine.analyse(document).excerpt(document, max_chars=80)) <= 81


def test_an_analysis_holds_positions_and_hashes_only(engine: PhiEngine) -> None:
    analysis = engine.analyse(doc(LAB_REPORT))
    dumped = repr(analysis)
    assert not any(raw in dumped for raw in RAW_VALUES)


def test_people_values_are_registered_with_logsafe(engine: PhiEngine) -> None:
    engine.analyse_text("Patient: Quentin Zebulon-Farquhar  MRN: 99812344")
    assert "Zebulon" not in logsafe.scrub("cannot read file of Quentin Zebulon-Farquhar")
    assert "99812344" not in logsafe.scrub("id 99812344 failed")


def test_a_name_registered_with_logsafe_is_never_a_lone_word(default_engine: PhiEngine) -> None:
    """Names given in columns are registered whole, in both orders; a surname that is also a word ("Page") is
    not scrubbed alone from every later log line and report ("context.page.url", "page_path")."""
    rows = [Segment("Quillon", label="first_name", where="row 2"), Segment("Page", label="last_name", where="row 2"),
            Segment("99812377", label="mrn", where="row 2"), Segment("Page", label="last_name", where="row 3"),
            Segment("99812378", label="mrn", where="row 3")]  # fmt: skip
    analysis = default_engine.analyse(Document(segments=rows, source="csv"))
    assert len(analysis.people) == 2
    assert logsafe.scrub("sent context.page.url and page_path") == "sent context.page.url and page_path"
    assert "Quillon" not in logsafe.scrub("row of Quillon Page") and "Page" not in logsafe.scrub("row of Quillon Page")
    assert "Quillon" not in logsafe.scrub("PAGE, Quillon: unreadable")
    assert "99812378" not in logsafe.scrub("id 99812378 failed")


def test_without_a_hasher_people_are_hashed_with_a_key_of_their_own() -> None:
    text = "Patient: Jane Doe  MRN: 00482913"
    first = PhiEngine(patterns=default_patterns(), vocabularies=[]).analyse_text(text).people
    second = PhiEngine(patterns=default_patterns(), vocabularies=[]).analyse_text(text).people
    assert len(first) == len(second) == 1
    assert first[0].key != second[0].key


def test_an_empty_or_blank_document_is_fine(engine: PhiEngine) -> None:
    assert engine.analyse(Document(segments=[])).detections == []
    analysis = engine.analyse(doc("", "   ", name=""))
    assert (analysis.detections, analysis.people, analysis.severity()) == ([], [], Severity.INFO)
    assert analysis.excerpt(doc("")) == ""


def test_lone_surrogates_from_undecodable_bytes_do_not_break_a_scan(engine: PhiEngine) -> None:
    text = "SSN: 234-56-7890 \udcff\udcfe DOB: 03/14/1962"
    assert {d.category for d in engine.analyse_text(text).detections} == {C.SSN, C.DATE_OF_BIRTH}


# --- the engine's machinery ---------------------------------------------------------------------------------------


SAMPLES = [
    LAB_REPORT,
    "Nom : DUPONT    Prénom : Marie\nNé(e) le : 27/01/1965\nN° IPP : 47290936\nAdresse : 408, rue Gay, 12664 "
    "Muller-sur-Mer\nTéléphone : 04 65 71 51 70\nPrélèvement du 31/07/2022\nMédecin : Dr Henri Breton",
    "jane.doe@example.org visited https://portal.example.org/x?y=1 from 203.0.113.7 and 2001:db8::1",
    "SSN 234-56-7890, card 4111 1111 1111 1111, IBAN FR76 3000 6000 0112 3456 7890 189, MBI 1EG4-TE5-MK73",
    "Order #555-123-4567; version 10.0.19045.2006; 2024-01-15T10:22:33Z",
]


def test_python_re_fallback_finds_what_hyperscan_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("hyperscan")
    fast = PhiEngine(HASHER, patterns=default_patterns(), vocabularies=VOCABULARIES)
    slow = PhiEngine(HASHER, patterns=default_patterns(), vocabularies=VOCABULARIES)
    monkeypatch.setattr(matcher, "_hyperscan", lambda: None)
    slow._patterns = engine_module._PatternSet(tuple(default_patterns()))
    assert fast.uses_hyperscan and not slow.uses_hyperscan
    for text in SAMPLES:
        assert values(slow.analyse_text(text), doc(text)) == values(fast.analyse_text(text), doc(text))


def test_engines_with_the_same_detectors_share_the_compiled_database() -> None:
    first = PhiEngine(HASHER, patterns=default_patterns(), vocabularies=VOCABULARIES)
    second = PhiEngine(
        IdentityHasher(b"another-key-0123456789"), patterns=default_patterns(), vocabularies=VOCABULARIES
    )
    assert first._patterns is second._patterns


def test_many_small_segments_and_a_large_one(engine: PhiEngine) -> None:
    cells = [Segment(text=f"{n:08d}", label="mrn", where=f"row {n}") for n in range(2, 3002)]
    analysis = engine.analyse(Document(segments=cells, source="csv"))
    assert analysis.counts() == {C.MRN: 3000}
    assert len(analysis.people) == 3000
    big = (LAB_REPORT + "\n\n") * 300
    assert engine.analyse_text(big).counts()[C.MRN] == 300


@pytest.mark.parametrize(
    ("key", "named"),
    [
        ("reports/2026-w36/Omar_Haddad.pdf", "Omar_Haddad"),  # one of the two words is in the name lists
        ("exports/Daniel Patel.docx", "Daniel Patel"),
        ("Annual_Report.pdf", None),
        ("reports/Q3_Summary.pdf", None),
        ("scans/IMG_2041.jpg", None),
        ("Omar_Haddad_minutes_draft_final.pdf", None),  # more than a name: not read as one
    ],
)
def test_a_file_named_after_a_person_is_read_as_a_name(
    default_engine: PhiEngine, key: str, named: str | None
) -> None:
    found = [key[d.start : d.end] for d in default_engine.analyse(Document(segments=(), name=key)).detections]
    assert found == ([named] if named else [])


def test_a_hashed_email_in_a_capture_links_to_the_person_named_in_plain_elsewhere(default_engine: PhiEngine) -> None:
    import hashlib

    from phileak.phi.people import PeopleCounter

    digest = hashlib.sha256(b"ada.brisk@example.org").hexdigest()  # Meta's normalisation: trimmed, lower-cased
    capture = Document(segments=(
        Segment("Lead", label="ev"), Segment(digest, label="ud[em]"), Segment("Ada", label="ud[fn]"),
        Segment("HIV testing", label="cd[content_name]"),
    ))  # fmt: skip
    letter = Document(segments=(Segment("Patient: Ada Brisk, DOB 04/03/1981, email Ada.Brisk@example.org"),))
    hashed_only = Document(segments=(Segment(digest, label="ud[em]"), Segment("Lead", label="ev")))

    sent = default_engine.analyse(capture)
    assert DataCategory.EMAIL in sent.identifiers and sent.is_phi
    assert {d.detector for d in sent.detections if d.category is DataCategory.EMAIL} == {"hashed:email"}
    # nothing but a digest: a detection, but no person of its own (it could be anyone the other files name)
    alone = default_engine.analyse(hashed_only)
    assert DataCategory.EMAIL in alone.categories and not alone.people
    counter = PeopleCounter()
    for name, document in (("capture", capture), ("letter", letter), ("alone", hashed_only)):
        counter.add(name, default_engine.analyse(document).people)
    assert counter.distinct() == 1


def test_a_french_or_day_first_document_reads_its_ambiguous_dates_day_first(default_engine: PhiEngine) -> None:
    """The scan's region is US (month first); each document still says how it writes dates."""
    from phileak.phi.people import PeopleCounter

    def people(*texts: str) -> int:
        counter = PeopleCounter()
        for number, text in enumerate(texts):
            counter.add(str(number), default_engine.analyse(Document(segments=(Segment(text),))).people)
        return counter.distinct()

    iso = "Patient: Louise Garnier, DOB 1980-04-03, MRN 448812"
    french = "Compte rendu. Patiente : Louise Garnier, née le 03/04/1980."
    day_first = "Patient: Louise Garnier, DOB 03/04/1980. Seen 25/11/2026."
    us = "Patient: Louise Garnier, DOB 03/04/1980. Seen 11/25/2026."
    assert people(iso, french) == 1
    assert people(iso, day_first) == 1
    assert people(iso, us) == 2  # March 4th: another Louise Garnier
