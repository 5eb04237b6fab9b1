"""Discharge letters: paragraphs naming the patient, the stay, diagnoses, procedures and medicines."""

from __future__ import annotations

from datetime import timedelta

from phileak.lab.corpus.builder import DocBuilder, Text
from phileak.lab.corpus.clinical import PROCEDURES
from phileak.lab.corpus.kinds.common import C, Context, Patient, key_part, numeric_date
from phileak.lab.corpus.model import Kind, LabelledDoc


def build(ctx: Context, patient: Patient) -> LabelledDoc:
    person, rng, lang = patient.person, ctx.rng, ctx.language
    doc = DocBuilder(ctx.doc_id, Kind.DISCHARGE, lang, "docx")
    admitted = ctx.day - timedelta(days=rng.randint(1, 9))
    procedure = rng.choice(PROCEDURES)
    provider = patient.provider
    if ctx.fr:
        doc.segment(Text().add("Compte rendu d'hospitalisation"))
        doc.segment(
            Text().fill(
                "Patient : {name}, né(e) le {dob}, IPP {mrn}.",
                name=(person.full_name, C.PERSON_NAME),
                dob=(numeric_date(person.birth_date, lang), C.DATE_OF_BIRTH),
                mrn=(person.mrn, C.MRN),
            )
        )
        if rng.random() < 0.6:
            doc.segment(Text().fill("N° de sécurité sociale : {nir}", nir=(person.national_id, C.FR_NIR)))
        doc.segment(
            Text().fill(
                "Hospitalisé(e) du {a} au {b}.",
                a=(numeric_date(admitted, lang), C.DATE),
                b=(numeric_date(ctx.day, lang), C.DATE),
            )
        )
        _diagnoses(doc, ctx, patient, "Diagnostics : ")
        doc.segment(Text().fill("Acte réalisé : {proc}.", proc=(procedure.fr, C.PROCEDURE)))
        _medicines(doc, ctx, patient, "Traitement de sortie : ")
        doc.segment(
            Text().fill("Suivi avec le Dr {doctor} dans deux semaines.", doctor=(provider.full_name, C.PROVIDER_NAME))
        )
    else:
        doc.segment(Text().add("Discharge Summary"))
        doc.segment(
            Text().fill(
                "Patient: {name}    DOB: {dob}    MRN: {mrn}",
                name=(person.full_name, C.PERSON_NAME),
                dob=(numeric_date(person.birth_date, lang), C.DATE_OF_BIRTH),
                mrn=(person.mrn, C.MRN),
            )
        )
        registration = Text().fill("Account: {account}", account=(person.account, C.ACCOUNT_NUMBER))
        if rng.random() < 0.4:
            registration.fill("    SSN: {ssn}", ssn=(person.national_id, C.SSN))
        if person.plan_id and rng.random() < 0.5:
            registration.fill("    Medicare MBI: {mbi}", mbi=(person.plan_id, C.HEALTH_PLAN_ID))
        doc.segment(registration)
        doc.segment(
            Text().fill(
                "Admitted: {a}    Discharged: {b}",
                a=(numeric_date(admitted, lang), C.DATE),
                b=(numeric_date(ctx.day, lang), C.DATE),
            )
        )
        _diagnoses(doc, ctx, patient, "Diagnoses: ")
        doc.segment(
            Text().fill(
                "Procedures: {proc} (CPT {cpt}).", proc=(procedure.en, C.PROCEDURE), cpt=(procedure.cpt, C.PROCEDURE)
            )
        )
        _medicines(doc, ctx, patient, "Discharge medications: ")
        doc.segment(
            Text().fill(
                "Follow up with Dr. {doctor} (NPI {npi}, DEA {dea}) in two weeks.",
                doctor=(provider.full_name, C.PROVIDER_NAME),
                npi=(provider.npi, C.NPI),
                dea=(provider.dea, C.DEA),
            )
        )
    name = Text().add(f"letters/{ctx.day.year}/")
    if rng.random() < 0.5:
        name.add("discharge_").add(f"{key_part(person.family)}_{key_part(person.given)}", C.PERSON_NAME)
        name.add(f"_{ctx.number:05d}.docx")
    else:
        name.add(f"DL-{ctx.number:06d}.docx")
    doc.file_name(name)
    return doc.build((person.pid,), phi=True)


def _diagnoses(doc: DocBuilder, ctx: Context, patient: Patient, lead: str) -> None:
    text = Text().add(lead)
    for index, condition in enumerate(patient.conditions):
        if index:
            text.add("; ")
        text.add(condition.fr if ctx.fr else condition.en, C.HEALTH_CONDITION).add(" (")
        text.add(condition.icd10, C.HEALTH_CONDITION).add(")")
    doc.segment(text.add("."))


def _medicines(doc: DocBuilder, ctx: Context, patient: Patient, lead: str) -> None:
    text = Text().add(lead)
    for index, medicine in enumerate(patient.medicines):
        if index:
            text.add("; ")
        text.add(medicine.fr if ctx.fr else medicine.en, C.MEDICATION)
        text.add(f" {medicine.dose} {medicine.schedule_fr if ctx.fr else medicine.schedule_en}")
    doc.segment(text.add("."))
