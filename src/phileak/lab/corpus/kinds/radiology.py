"""Imaging: a DICOM header (PatientName as FAMILY^GIVEN, dates as YYYYMMDD) or the radiologist's report."""

from __future__ import annotations

from phileak.lab.corpus.builder import DocBuilder, Text
from phileak.lab.corpus.clinical import STUDIES, Study
from phileak.lab.corpus.identities import Provider, ascii_fold
from phileak.lab.corpus.kinds.common import C, Context, Patient, compact_date, key_part, numeric_date
from phileak.lab.corpus.model import Kind, LabelledDoc

_INSTITUTIONS = ("Northwind Imaging Center", "Lakeside Radiology", "Centre d'imagerie du Parc")


def build(ctx: Context, patient: Patient, radiologist: Provider) -> LabelledDoc:
    study = ctx.rng.choice(STUDIES)
    if ctx.rng.random() < 0.5:
        return _dicom_header(ctx, patient, study)
    return _report(ctx, patient, study, radiologist)


def dicom_name(family: str, given: str) -> str:
    return f"{ascii_fold(family).upper()}^{ascii_fold(given).upper()}"


def _dicom_header(ctx: Context, patient: Patient, study: Study) -> LabelledDoc:
    person, rng = patient.person, ctx.rng
    doc = DocBuilder(ctx.doc_id, Kind.RADIOLOGY, ctx.language, "dicom")
    doc.field("PatientName", dicom_name(person.family, person.given), C.PERSON_NAME)
    doc.field("PatientID", person.mrn, C.MRN)
    doc.field("PatientBirthDate", compact_date(person.birth_date), C.DATE_OF_BIRTH)
    doc.field("PatientSex", person.sex, None)
    doc.field("StudyDate", compact_date(ctx.day), C.DATE)
    doc.field("Modality", study.modality, C.PROCEDURE)  # the kind of imaging the patient had
    doc.field("StudyDescription", study.description_fr if ctx.fr else study.description_en, C.PROCEDURE)
    doc.field("ReferringPhysicianName", dicom_name(patient.provider.family, patient.provider.given), C.PROVIDER_NAME)
    doc.field("InstitutionName", rng.choice(_INSTITUTIONS), None)
    condition = patient.conditions[0]
    comment = Text().fill("Indication: {cond}", cond=(condition.fr if ctx.fr else condition.en, C.HEALTH_CONDITION))
    doc.segment(comment, label="ImageComments", where="ImageComments")
    name = Text().add("dicom/")
    if rng.random() < 0.5:
        name.add(f"{key_part(person.family)}_{key_part(person.given)}", C.PERSON_NAME).add("_")
        name.add(compact_date(person.birth_date), C.DATE_OF_BIRTH).add(f"/{study.modality}_")
        name.add(compact_date(ctx.day), C.DATE)
    else:
        name.add(f"1.2.826.0.1.3680043.8.498.{rng.randrange(10**9, 10**10)}")
    doc.file_name(name.add(f"/IM{ctx.number % 10000:04d}.dcm"))
    return doc.build((person.pid,), phi=True)


def _report(ctx: Context, patient: Patient, study: Study, radiologist: Provider) -> LabelledDoc:
    person, rng, lang = patient.person, ctx.rng, ctx.language
    doc = DocBuilder(ctx.doc_id, Kind.RADIOLOGY, lang, "pdf")
    text = Text()
    description = study.description_fr if ctx.fr else study.description_en
    findings = study.findings_fr if ctx.fr else study.findings_en
    condition = patient.conditions[0]
    if ctx.fr:
        text.line("COMPTE RENDU D'IMAGERIE")
        text.fill("Patient : {name}    Né(e) le : {dob}\n", name=(person.full_name, C.PERSON_NAME),
                  dob=(numeric_date(person.birth_date, lang), C.DATE_OF_BIRTH))  # fmt: skip
        text.fill("N° IPP : {mrn}\n", mrn=(person.mrn, C.MRN))
        text.fill("Examen : {exam}, réalisé le {day}\n", exam=(description, C.PROCEDURE),
                  day=(numeric_date(ctx.day, lang), C.DATE))  # fmt: skip
        text.fill("Médecin demandeur : Dr {doctor}\n", doctor=(patient.provider.full_name, C.PROVIDER_NAME))
        text.fill("Indication : {cond}\n\n", cond=(condition.fr, C.HEALTH_CONDITION))
        text.fill("Résultats : " + findings[0] + ".\n")
        text.fill("Conclusion : " + findings[1] + ".\n\n")
        text.fill("Compte rendu validé par Dr {rad}\n", rad=(radiologist.full_name, C.PROVIDER_NAME))
    else:
        text.line("RADIOLOGY REPORT")
        text.fill("Patient: {name}    DOB: {dob}\n", name=(person.full_name, C.PERSON_NAME),
                  dob=(numeric_date(person.birth_date, lang), C.DATE_OF_BIRTH))  # fmt: skip
        text.fill("MRN: {mrn}\n", mrn=(person.mrn, C.MRN))
        text.fill("Exam: {exam} (CPT {cpt})    Date of exam: {day}\n", exam=(description, C.PROCEDURE),
                  cpt=(study.cpt, C.PROCEDURE), day=(numeric_date(ctx.day, lang), C.DATE))  # fmt: skip
        text.fill("Referring physician: Dr. {doctor}\n", doctor=(patient.provider.full_name, C.PROVIDER_NAME))
        text.fill("Clinical history: {cond}\n\n", cond=(condition.en, C.HEALTH_CONDITION))
        text.fill("Findings: " + findings[0][:1].upper() + findings[0][1:] + ".\n")
        text.fill("Impression: " + findings[1][:1].upper() + findings[1][1:] + ".\n\n")
        text.fill("Electronically signed by Dr. {rad}\n", rad=(radiologist.full_name, C.PROVIDER_NAME))
    doc.segment(text, where="page 1")
    doc.file_name(Text().add(f"radiology/{ctx.day.year}/RAD_{ctx.number:06d}_{rng.randrange(100, 999)}.pdf"))
    return doc.build((person.pid,), phi=True)
