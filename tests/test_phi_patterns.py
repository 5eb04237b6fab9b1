"""Identifier detectors, one flag/no-flag row each: true positives in English and French, and the tricky
negatives that look like identifiers (order numbers, timestamps, prices, versions, UUIDs, product codes).

All values are synthetic: SSNs in valid ranges but never issued to anyone we know of, checksummed ids
computed here with independent code, 555-01xx phone numbers, example.org addresses."""

from __future__ import annotations

import re

import pytest

from phileak.model import DataCategory
from phileak.phi import validators
from phileak.phi.engine import PhiEngine
from phileak.phi.identity import IdentityHasher
from phileak.phi.labels import Role, label_role, label_tokens, loose
from phileak.phi.patterns import default_patterns
from phileak.phi.patterns.matcher import Expression, MultiMatcher
from phileak.phi.patterns.readers import read_file_name
from phileak.phi.spec import IDENTIFIER_CATEGORIES, PROVIDER_CATEGORIES

C = DataCategory
ENGINE = PhiEngine(IdentityHasher(b"pattern-tests-key-0123456789"), patterns=default_patterns(), vocabularies=[])
IDENTIFYING = IDENTIFIER_CATEGORIES | PROVIDER_CATEGORIES | {C.PROVIDER_NAME}


def _mod97_key(number: str) -> str:
    """The NIR key, written independently of phileak: 97 - (number mod 97), Corsica 2A/2B as 19/18."""
    digits = number.replace(" ", "").upper().replace("2A", "19").replace("2B", "18")
    return f"{97 - int(digits) % 97:02d}"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


NIR_BODY = "1 84 12 75 123 456"
NIR = f"{NIR_BODY} {_mod97_key(NIR_BODY)}"
CORSICAN_NIR_BODY = "2 62 03 2A 123 456"
CORSICAN_NIR = f"{CORSICAN_NIR_BODY} {_mod97_key(CORSICAN_NIR_BODY)}"
WRONG_KEY_NIR = f"{NIR_BODY} {(int(_mod97_key(NIR_BODY)) + 1) % 97:02d}"


def found(text: str, label: str | None = None) -> set[tuple[str, str]]:
    analysis = ENGINE.analyse_text(text, label=label)
    return {(d.category.value, text[d.start : d.end]) for d in analysis.detections}


def identifiers(text: str, label: str | None = None) -> set[tuple[str, str]]:
    analysis = ENGINE.analyse_text(text, label=label)
    return {(d.category.value, text[d.start : d.end]) for d in analysis.detections if d.category in IDENTIFYING}


# --- true positives ----------------------------------------------------------------------------------------------

POSITIVES: list[tuple[str, DataCategory, str]] = [
    # email
    ("Contact: jane.doe@example.org for results", C.EMAIL, "jane.doe@example.org"),
    ("Écrire à marie-claire.dupont+rdv@exemple.fr svp", C.EMAIL, "marie-claire.dupont+rdv@exemple.fr"),
    ("em=john.smith%40example.com&ev=Lead", C.EMAIL, "john.smith%40example.com"),
    # phones, US and French, with and without a label
    ("Phone: (217) 555-0143", C.PHONE, "(217) 555-0143"),
    ("Call me at 217-555-0143 tomorrow", C.PHONE, "217-555-0143"),
    ("Mobile +1-636-208-3778x353", C.PHONE, "+1-636-208-3778x353"),
    ("cell 217.555.0143", C.PHONE, "217.555.0143"),
    ("Tél : 06 12 34 56 78", C.PHONE, "06 12 34 56 78"),
    ("Joignable au +33 (0)4 71 00 08 06 le matin", C.PHONE, "+33 (0)4 71 00 08 06"),
    ("Portable : +33 6 12 34 56 78", C.PHONE, "+33 6 12 34 56 78"),
    ("ph: 12175550143", C.PHONE, "12175550143"),
    ("Phone: 2175550143", C.PHONE, "2175550143"),
    # fax, by label
    ("Fax: (217) 555-0199", C.FAX, "(217) 555-0199"),
    ("Télécopie : 01 45 00 00 01", C.FAX, "01 45 00 00 01"),
    # SSN: dashed alone, other shapes after a label
    ("SSN: 234-56-7890", C.SSN, "234-56-7890"),
    ("her number 234-56-7890 was on file", C.SSN, "234-56-7890"),
    ("Social Security Number of the patient: 234567890", C.SSN, "234567890"),
    ("SSN 234 56 7890", C.SSN, "234 56 7890"),
    # NIR: with a good key alone, without key after a label; Corsica
    (f"assuré {NIR}", C.FR_NIR, NIR),
    (f"N° de sécurité sociale : {CORSICAN_NIR}", C.FR_NIR, CORSICAN_NIR),
    (f"NIR : {NIR_BODY}", C.FR_NIR, NIR_BODY),
    (f"Numéro de sécurité sociale : {NIR.replace(' ', '')}", C.FR_NIR, NIR.replace(" ", "")),
    # MRN: only after a label
    ("MRN: 00482913", C.MRN, "00482913"),
    ("Medical record #: A-0048-2913", C.MRN, "A-0048-2913"),
    ("N° de dossier : 123456789", C.MRN, "123456789"),
    ("Patient : René Gauthier, IPP 47290936.", C.MRN, "47290936"),
    ("Patient ID: PAT-009931", C.MRN, "PAT-009931"),
    # health plan ids
    ("Member ID: XYZ123456789", C.HEALTH_PLAN_ID, "XYZ123456789"),
    ("Medicare beneficiary 1EG4-TE5-MK73", C.HEALTH_PLAN_ID, "1EG4-TE5-MK73"),
    ("MBI 1EG4TE5MK73", C.HEALTH_PLAN_ID, "1EG4TE5MK73"),
    ("N° d'adhérent : MUT-44820193", C.HEALTH_PLAN_ID, "MUT-44820193"),
    # provider numbers, with their checksums, only with a label
    ("NPI: 1234567893", C.NPI, "1234567893"),
    ("(NPI 1234567893, DEA AB1234563)", C.DEA, "AB1234563"),
    # accounts, licences, devices
    ("Account #: 41964541", C.ACCOUNT_NUMBER, "41964541"),
    ("IBAN FR76 3000 6000 0112 3456 7890 189", C.ACCOUNT_NUMBER, "FR76 3000 6000 0112 3456 7890 189"),
    ("paid with 4111 1111 1111 1111", C.ACCOUNT_NUMBER, "4111 1111 1111 1111"),
    ("Driver's license: D1234567", C.LICENCE_NUMBER, "D1234567"),
    ("Permis de conduire n° 12AB34567", C.LICENCE_NUMBER, "12AB34567"),
    ("Pacemaker serial number: SN-4821-77A", C.DEVICE_ID, "SN-4821-77A"),
    ("IMEI: 35-209900-176148-1", C.DEVICE_ID, "35-209900-176148-1"),
    ("UDI (01)00812345678901(17)251231(21)A12345", C.DEVICE_ID, "(01)00812345678901(17)251231(21)A12345"),
    # network
    ("login from 203.0.113.7 at night", C.IP_ADDRESS, "203.0.113.7"),
    ("client 2001:db8::8a2e:370:7334 connected", C.IP_ADDRESS, "2001:db8::8a2e:370:7334"),
    ("see https://portal.example.org/patient/123?tab=labs for details", C.URL,
     "https://portal.example.org/patient/123?tab=labs"),
    ("www.clinique-exemple.fr/rdv", C.URL, "www.clinique-exemple.fr/rdv"),
    # dates of birth need a label; other dates a cue or a person
    ("DOB: 03/14/1962", C.DATE_OF_BIRTH, "03/14/1962"),
    ("Date of birth (MM/DD/YYYY): 03/14/1962", C.DATE_OF_BIRTH, "03/14/1962"),
    ("born March 14th, 1962 in Ohio", C.DATE_OF_BIRTH, "March 14th, 1962"),
    ("Né le 14 mars 1962 à Lyon", C.DATE_OF_BIRTH, "14 mars 1962"),
    ("Née le 1er août 1962", C.DATE_OF_BIRTH, "1er août 1962"),
    ("Date de naissance : 14/03/1962", C.DATE_OF_BIRTH, "14/03/1962"),
    ("DOB 19620314", C.DATE_OF_BIRTH, "19620314"),
    ("D.O.B. 03/14/62", C.DATE_OF_BIRTH, "03/14/62"),
    ("Admitted: 01/28/2023", C.DATE, "01/28/2023"),
    ("Prélevé le : 31/07/2022", C.DATE, "31/07/2022"),
    ("Date of service 2023-01-28", C.DATE, "2023-01-28"),
    # addresses
    ("Address: 123 Main St, Springfield, IL 62704", C.ADDRESS, "123 Main St, Springfield, IL 62704"),
    ("lives at 38836 Farley Ports Apt. 123, Stephenview, TN 72327.", C.ADDRESS,
     "38836 Farley Ports Apt. 123, Stephenview, TN 72327"),
    ("Mail to 8288 RONALD CENTERS", C.ADDRESS, "8288 RONALD CENTERS"),
    ("Stephenview, TN 72327", C.ADDRESS, "Stephenview, TN 72327"),
    ("ZIP: 62704", C.ADDRESS, "62704"),
    ("12 bis, rue de la République\n69002 Lyon", C.ADDRESS, "69002 Lyon"),
    ("12 bis, rue de la République\n69002 Lyon", C.ADDRESS, "12 bis, rue de la République"),
    ("Adresse : 89, avenue de Pruvost, 05591 Bernier", C.ADDRESS, "89, avenue de Pruvost, 05591 Bernier"),
    ("5 place de l'Église", C.ADDRESS, "5 place de l'Église"),
    ("Code postal : 75011", C.ADDRESS, "75011"),
    # names after a label, DICOM names, greetings
    ("Patient: SMITH, JOHN    DOB: 03/14/1962", C.PERSON_NAME, "SMITH, JOHN"),
    ("Patient: Mr. John Q. Smith", C.PERSON_NAME, "John Q. Smith"),
    ("Nom : DUPONT    Prénom : Marie", C.PERSON_NAME, "DUPONT"),
    ("Nom : DUPONT    Prénom : Marie", C.PERSON_NAME, "Marie"),
    ("Patient : Jean de La Fontaine, né le 8 juillet 1621", C.PERSON_NAME, "Jean de La Fontaine"),
    ("Bonjour Marcel Lopez,", C.PERSON_NAME, "Marcel Lopez"),
    ("Dear Ms. Amy Romero,", C.PERSON_NAME, "Amy Romero"),
    ("scanned as ROMERO^AMY^^^", C.PERSON_NAME, "ROMERO^AMY^^^"),
    # providers
    ("Ordering physician: Dr. Charles Curtis    NPI: 1234567893", C.PROVIDER_NAME, "Charles Curtis"),
    ("Follow up with Dr. April Padilla in two weeks", C.PROVIDER_NAME, "April Padilla"),
    ("Médecin prescripteur : Dr Henri Breton", C.PROVIDER_NAME, "Henri Breton"),
    ("Results reviewed by Jane Smith, MD", C.PROVIDER_NAME, "Jane Smith, MD"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "category", "value"), POSITIVES, ids=[f"{c.value}-{i}" for i, (_, c, _) in enumerate(POSITIVES)]
)
def test_flags(text: str, category: DataCategory, value: str) -> None:
    assert (category.value, value) in found(text)


# --- labelled values: CSV headers, JSON keys, query parameters, form fields, DICOM keywords -----------------------

LABELLED: list[tuple[str, str, DataCategory]] = [
    ("mrn", "86013032", C.MRN),
    ("ipp", "19039243", C.MRN),
    ("PatientID", "32555071", C.MRN),
    ("patient.id", "PAT-77102", C.MRN),
    ("last_name", "Williams", C.PERSON_NAME),
    ("prenom", "René", C.PERSON_NAME),
    ("given-name First name fname", "lauren", C.PERSON_NAME),
    ("PatientName", "ROMERO^AMY", C.PERSON_NAME),
    ("ReferringPhysicianName", "NGUYEN^EDWARD", C.PROVIDER_NAME),
    ("dob", "06/12/1937", C.DATE_OF_BIRTH),
    ("date_naissance", "1965-05-11", C.DATE_OF_BIRTH),
    ("PatientBirthDate", "20050511", C.DATE_OF_BIRTH),
    ("bday", "1937-06-12", C.DATE_OF_BIRTH),
    ("ud[db]", "19370612", C.DATE_OF_BIRTH),
    ("StudyDate", "20241128", C.DATE),
    ("ud[em]", "lauren.williams3@example.net", C.EMAIL),
    ("ud[ph]", "15795550178", C.PHONE),
    ("tel", "2175550143", C.PHONE),
    ("telephone", "04 65 71 07 24", C.PHONE),
    ("ep.patient_phone", "+33465710724", C.PHONE),
    ("zip", "08609", C.ADDRESS),
    ("code_postal", "07326", C.ADDRESS),
    ("postal-code", "62704", C.ADDRESS),
    ("ud[ct]", "springfield", C.ADDRESS),
    ("PatientAddress", "82462 Ashley Points, North Bonnie, ID 84244", C.ADDRESS),
    ("ssn", "234567890", C.SSN),
    ("nir", NIR, C.FR_NIR),
    ("member_id", "XYZ123456789", C.HEALTH_PLAN_ID),
    ("npi", "1234567893", C.NPI),
    ("DeviceSerialNumber", "MR-55120-B", C.DEVICE_ID),
    ("client_ip", "198.51.100.24", C.IP_ADDRESS),
    ("00100010.Value.Alphabetic", "ROMERO^AMY", C.PERSON_NAME),  # DICOMweb JSON keys elements by tag
    ("00100030.Value", "20050511", C.DATE_OF_BIRTH),
]


@pytest.mark.parametrize(("label", "value", "category"), LABELLED, ids=[lbl for lbl, _, _ in LABELLED])
def test_labelled_values(label: str, value: str, category: DataCategory) -> None:
    assert found(value, label=label) == {(category.value, value)}


HASHED_EMAIL = "d96f1ecd7f2c5ab9af504c5fb5b15e0b6bc5119f334510b4bfb4e7e3fe8f26d5"
HASHED_PHONE = "a8cfcd74832004951b4408cdb0a5dbcd8c7e52d43f7fe244bf720582e05241da"


@pytest.mark.parametrize(
    ("label", "value", "expected"),
    [
        ("ud[em]", HASHED_EMAIL, {(C.EMAIL.value, HASHED_EMAIL)}),  # Meta advanced matching
        ("ud[ph]", HASHED_PHONE, {(C.PHONE.value, HASHED_PHONE)}),
        ("ud[fn]", HASHED_PHONE, {(C.PERSON_NAME.value, HASHED_PHONE)}),
        ("context.user.email", HASHED_EMAIL.upper(), {(C.EMAIL.value, HASHED_EMAIL.upper())}),  # TikTok
        (
            "em",  # GA4 user-provided data
            f"tv.1~em.{HASHED_EMAIL}~pn.{HASHED_PHONE}",
            {(C.EMAIL.value, HASHED_EMAIL), (C.PHONE.value, HASHED_PHONE)},
        ),
    ],
)
def test_identifiers_sent_hashed_are_identifiers(label: str, value: str, expected: set[tuple[str, str]]) -> None:
    analysis = ENGINE.analyse_text(value, label=label)
    found = {(d.category.value, value[d.start : d.end]) for d in analysis.detections}
    assert found == expected
    assert all(d.detector.startswith("hashed:") for d in analysis.detections)


@pytest.mark.parametrize(
    ("label", "value"),
    [
        ("order_hash", "d96f1ecd7f2c5ab9af504c5fb5b15e0b6bc5119f334510b4bfb4e7e3fe8f26d5"),  # a digest of what?
        ("ud[ge]", "252f10c83610ebca1a059c0bae8255eba2f95be4d1d7bcfa89d7248a82d9f111"),  # hashed gender
        ("order_id", "340717"),
        ("cd[content_name]", "Essential Hypertension"),
        ("Test Name", "Complete Blood Count"),
        ("InstitutionName", "Northwind Imaging Center"),
        ("price", "12.50"),
        ("sku", "9284-664"),
        ("mrn", "N/A"),
        ("first_name", "Unknown"),
        ("dob", "not given"),
        ("PatientSex", "F"),
        ("ts", "1709547891266"),
        ("id", "5797165893906983"),
    ],
)
def test_labelled_values_that_are_not_identifiers(label: str, value: str) -> None:
    assert identifiers(value, label=label) == set()


# --- tricky negatives --------------------------------------------------------------------------------------------

NEGATIVES: list[str] = [
    # order numbers, invoices, product codes that look like phones or ids
    "Order #555-123-4567 shipped on time",
    "N° de commande : 06 12 34 56 78",
    "Part no. 800-555-0199 (replacement filter)",
    "SKU 9284-664  Chaussettes en laine, taille 42-45  3 x 3,20 EUR",
    "Facture n° 2023-0145, réf. 01 23 45 67 89",
    "ISBN 978-3-16-148410-0",
    "Tracking number 1Z999AA10123456784",
    "Call the clinic at 217-555-0100 to reschedule",
    # versions, builds, UUIDs, hashes
    "Version 10.0.19045.2006 installed",
    "Build 2.1.0.1 released",
    "request 123e4567-e89b-12d3-a456-426614174000 done",
    "sha256 d96f1ecd7f2c5ab9af504c5fb5b15e0b6bc5119f334510b4bfb4e7e3fe8f26d5",
    "Study instance 1.2.840.113619.2.55.3.604688119.969.1270021187.1234",
    # timestamps and dates with nobody around
    "2024-01-15T10:22:33Z INFO request served in 12 ms",
    "Meeting moved to 09/12/2017 in room B",
    "Released on March 14, 1962 by the studio",
    "at 10:22:33 the job ended",
    # numbers that are only numbers
    "Patient count 48291033 this year",
    "1234567893 widgets sold",
    "Reference AB1234563 in the catalogue",
    "Total: $1,234.56 (tax 12/2023)",
    "population of 62704 residents",
    "invalid SSNs 000-12-3456, 666-12-3456, 912-34-5678 and the advertising 078-05-1120",
    f"bad key {WRONG_KEY_NIR}",
    "IP 999.1.1.1 is not an address",
    "asset image@2x.png and icon@3x.svg",
    # words that follow a label but are not names
    "Patient: stable, afebrile",
    "Test Name: Complete Blood Count",
    "Name of the drug: Aspirin",
    "Dr. appointment: pending",
    # lab report lines
    "Hemoglobin 13.2 g/dL (13.5-17.5) L",
    "INR 2,4   Plaquettes 250 G/L",
    "St. Louis Blues won 3-2",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_does_not_flag(text: str) -> None:
    assert identifiers(text) == set()


def test_a_web_log_line_has_an_ip_address_and_no_person_date() -> None:
    line = '192.0.2.70 - - [2022-08-22T03:05:16Z] "GET /cart HTTP/1.1" 200 55345'
    assert identifiers(line) == {("ip-address", "192.0.2.70")}


# --- structure: labels, cues, file names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "tokens"),
    [
        ("ud[em]", ("ud", "em")),
        ("PatientBirthDate", ("patient", "birth", "date")),
        ("address-line1", ("address", "line", "1")),
        ("OtherPatientIDs", ("other", "patient", "ids")),
        ("Date of birth (MM/DD/YYYY)", ("date", "of", "birth")),
        ("N° de dossier", ("n", "de", "dossier")),
    ],
)
def test_label_tokens(label: str, tokens: tuple[str, ...]) -> None:
    assert label_tokens(label) == tokens


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("ud[em]", Role.EMAIL), ("user_data.em", Role.EMAIL), ("ep.patient_dob", Role.BIRTH_DATE),
        ("up.date_of_birth", Role.BIRTH_DATE), ("patient.id", Role.MRN), ("patient.name", Role.PERSON_NAME),
        ("patient.gender", None), ("Patient Name (Last, First)", Role.PERSON_NAME), ("name.given", Role.GIVEN_NAME),
        ("family-name", Role.FAMILY_NAME), ("Nom", Role.FAMILY_NAME), ("Prénom", Role.GIVEN_NAME),
        ("email Email address email", Role.EMAIL), ("StudyDescription", Role.PROCEDURE),
        ("InstitutionAddress", Role.NOT_PERSONAL), ("PatientTelephoneNumbers", Role.PHONE),
        ("cd[content_name]", Role.NOT_PERSONAL), ("search_term", None), ("file name", Role.FILE_NAME),
        (None, None), ("", None),
    ],
)  # fmt: skip
def test_label_roles(label: str | None, role: Role | None) -> None:
    assert label_role(label) is role


@pytest.mark.parametrize(
    ("phrase", "matches", "misses"),
    [
        ("né(e) le", ["Né(e) le", "NE(E) LE", "né(e)  le"], ["ne le"]),
        ("n° de dossier", ["N° de dossier", "No de dossier", "nº de dossier"], ["n de dossier"]),
        ("date d'examen", ["Date d\u2019examen", "date d examen", "DATE D'EXAMEN"], ["date examen x"]),
    ],
)
def test_loose_cue_regex_is_accent_and_case_tolerant(phrase: str, matches: list[str], misses: list[str]) -> None:
    pattern = re.compile(loose(phrase), re.IGNORECASE)
    assert all(pattern.fullmatch(text) for text in matches)
    assert not any(pattern.fullmatch(text) for text in misses)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("reports/2023/LAB_PARRISH_DANIEL_19710701_R00006.pdf",
         [("PARRISH_DANIEL", Role.PERSON_NAME), ("19710701", Role.BIRTH_DATE)]),
        ("dicom/BODIN_JOSETTE_19310830/MR_20240720/IM0020.dcm",
         [("BODIN_JOSETTE", Role.PERSON_NAME), ("19310830", Role.BIRTH_DATE), ("20240720", Role.DATE)]),
        ("letters/2022/discharge_JENKINS_CHRISTY_00003.docx", [("JENKINS_CHRISTY", Role.PERSON_NAME)]),
        ("Smith_John_1962-03-14.pdf", [("Smith_John", Role.PERSON_NAME), ("1962-03-14", Role.BIRTH_DATE)]),
        ("exports/patients_2024-01-03_17.csv", [("2024-01-03", Role.DATE)]),
        ("uploads/john_smith_dob_1962-03-14.pdf", [("1962-03-14", Role.BIRTH_DATE)]),
        ("invoices/2023/INV-000020.pdf", []),
        ("README_FIRST.txt", []),
        ("CT_MRI_REPORT_FINAL.pdf", []),
        ("dicom/1.2.826.0.1.3680043.8.498.8688481670/IM0002.dcm", []),
        ("Moreno_Shawn_MRN_9524535_labs.txt", [("9524535", Role.MRN)]),
        ("scans/MRN9524535.pdf", [("9524535", Role.MRN)]),
        ("IPP-00412345_compte-rendu.pdf", [("00412345", Role.MRN)]),
        ("chartreuse_2024.pdf", []),
    ],
)  # fmt: skip
def test_names_and_dates_in_file_names(name: str, expected: list[tuple[str, Role]]) -> None:
    assert [(name[s:e], role) for s, e, role in read_file_name(name)] == expected


# --- validators ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (validators.ssn_valid, ["234-56-7890", "668-49-3440", "097-63-0465"],
         ["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "078-05-1120", "123-45-6789"]),
        (validators.nir_valid, [NIR, NIR.replace(" ", ""), CORSICAN_NIR, CORSICAN_NIR.replace("2A", "2a")],
         [WRONG_KEY_NIR, NIR_BODY, "3 84 12 75 123 456 40", "1 84 13 75 123 456 40"]),
        (validators.npi_valid, ["1234567893", "1245319599"], ["1234567890", "3234567893", "123456789"]),
        (validators.dea_valid, ["AB1234563", "F91234563"], ["AB1234567", "IB1234563", "A11234563"]),
        (validators.mbi_valid, ["1EG4-TE5-MK73", "1EG4TE5MK73"], ["1EG4-TE5-MK7", "0EG4TE5MK73", "1SG4TE5MK73"]),
        (validators.iban_valid, ["FR76 3000 6000 0112 3456 7890 189", "GB82WEST12345698765432"],
         ["FR76 3000 6000 0112 3456 7890 188", "FR76"]),
        (validators.imei_valid, ["490154203237518", "35-209900-176148-1"], ["490154203237519", "4901542032375"]),
        (validators.gs1_valid, ["00812345678901", "4006381333931"], ["00812345678903", "4006381333932"]),
        (validators.payment_card_valid, ["4111 1111 1111 1111", "5500-0000-0000-0004"],
         ["4111 1111 1111 1112", "9111 1111 1111 1111"]),
        (validators.ipv4_valid, ["203.0.113.7", "10.1.2.3"], ["256.1.1.1", "01.2.3.4", "127.0.0.1", "0.1.2.3"]),
        (validators.ipv6_valid, ["2001:db8::1", "fe80:0:0:0:202:b3ff:fe1e:8329"], ["::1", "10:22:33", "::"]),
        (validators.nanp_phone_valid, ["(217) 555-0143", "1-217-555-0143"], ["(017) 555-0143", "911-555-0143"]),
        (validators.fr_phone_valid, ["06 12 34 56 78", "+33 (0)4 71 00 08 06", "0033 1 45 00 00 00"],
         ["00 12 34 56 78", "06 12 34 56"]),
    ],
)  # fmt: skip
def test_validators(check: object, good: list[str], bad: list[str]) -> None:
    assert callable(check)
    assert [value for value in good if not check(value)] == []
    assert [value for value in bad if check(value)] == []


def test_independent_checksums_agree_with_the_validators() -> None:
    """Generated NPIs: every Luhn-valid "80840"+9 digits+check is an NPI, and no other check digit is."""
    for base in ("123456789", "124531959", "199999999", "200000000"):
        good = [d for d in "0123456789" if _luhn_ok("80840" + base + d)]
        assert len(good) == 1
        assert validators.npi_valid(base + good[0])
        assert not any(validators.npi_valid(base + d) for d in "0123456789" if d != good[0])


# --- the matcher ---------------------------------------------------------------------------------------------------


def test_every_shipped_pattern_compiles_with_python_re_and_is_not_empty() -> None:
    for spec in default_patterns():
        compiled = re.compile(spec.regex, re.IGNORECASE if spec.case_insensitive else 0)
        assert compiled.search("") is None, spec.name


def test_the_matcher_takes_every_shipped_pattern_into_hyperscan() -> None:
    matcher = MultiMatcher([Expression(spec.regex, spec.case_insensitive) for spec in default_patterns()])
    pytest.importorskip("hyperscan")
    assert matcher.uses_hyperscan
    assert matcher.fallback_count == 0


def test_an_expression_hyperscan_cannot_compile_falls_back_to_python_re() -> None:
    matcher = MultiMatcher([Expression(r"\bref(?=:)"), Expression(r"\d{3}")])  # lookahead: not for hyperscan
    hits = sorted(matcher.scan("ref: 123, ref 456"))
    assert hits == [(0, 0, 3), (1, 5, 8), (1, 14, 17)]
    if matcher.uses_hyperscan:
        assert matcher.fallback_count == 1


def test_offsets_are_characters_even_after_multibyte_text() -> None:
    matcher = MultiMatcher([Expression(r"\d{3}-\d{4}"), Expression(r"https?://\S+", prefilter=(r"https?://", 8, 200))])
    text = "Tél. à l\u2019hôpital — 555-0143 ou https://exemple.fr/é"
    hits = {(i, text[s:e]) for i, s, e in matcher.scan(text)}
    assert hits == {(0, "555-0143"), (1, "https://exemple.fr/é")}
