"""Laboratory reports like the PHM bucket's: one page of text per report, keyed by the patient's name and DOB."""

from __future__ import annotations

from datetime import timedelta

from phileak.lab.corpus.builder import DocBuilder, Text
from phileak.lab.corpus.clinical import ANALYTES, Analyte
from phileak.lab.corpus.kinds.common import (
    C,
    Context,
    Patient,
    compact_date,
    decimal,
    key_part,
    numeric_date,
    phone_as_written,
)
from phileak.lab.corpus.model import Kind, LabelledDoc

_LABS = ("Northwind Clinical Laboratory", "Bayside Diagnostics", "Cedar Valley Reference Lab")
_LABS_FR = ("Laboratoire de biologie médicale des Tilleuls", "Biolab Atlantique", "Laboratoire Saint-Roch")


def build(ctx: Context, patient: Patient) -> LabelledDoc:
    person, provider, rng, fr = patient.person, patient.provider, ctx.rng, ctx.fr
    lang = ctx.language
    collected = ctx.day
    reported = collected + timedelta(days=rng.choice((0, 1, 1, 2)))
    doc = DocBuilder(ctx.doc_id, Kind.LAB_REPORT, lang, "pdf")
    page = Text()
    page.line(rng.choice(_LABS_FR if fr else _LABS))
    page.line("COMPTE RENDU D'ANALYSES DE BIOLOGIE MÉDICALE" if fr else "LABORATORY REPORT")
    if fr:
        page.fill("Patient : {name}\n", name=(f"{person.family.upper()} {person.given}", C.PERSON_NAME))
        page.fill("Né(e) le : {dob}    Sexe : {sex}\n", dob=(numeric_date(person.birth_date, lang), C.DATE_OF_BIRTH),
                  sex=person.sex)  # fmt: skip
        page.fill("N° IPP : {mrn}\n", mrn=(person.mrn, C.MRN))
        if rng.random() < 0.5:
            page.fill("NIR : {nir}\n", nir=(person.national_id, C.FR_NIR))
        page.fill("Adresse : {address}\n", address=(person.address, C.ADDRESS))
        page.fill("Téléphone : {phone}\n", phone=(phone_as_written(person, rng), C.PHONE))
        page.fill(
            "Prélèvement du {collected}    Édité le {reported}\n",
            collected=(numeric_date(collected, lang), C.DATE),
            reported=(numeric_date(reported, lang), C.DATE),
        )
        page.fill("Prescripteur : Dr {provider}\n", provider=(provider.full_name, C.PROVIDER_NAME))
        page.line("")
        page.line("Résultats")
    else:
        page.fill("Patient: {name}\n", name=(f"{person.family.upper()}, {person.given.upper()}", C.PERSON_NAME))
        page.fill("DOB: {dob}    Sex: {sex}\n", dob=(numeric_date(person.birth_date, lang), C.DATE_OF_BIRTH),
                  sex=person.sex)  # fmt: skip
        page.fill("MRN: {mrn}\n", mrn=(person.mrn, C.MRN))
        if person.plan_id and rng.random() < 0.4:
            page.fill("Medicare ID: {mbi}\n", mbi=(person.plan_id, C.HEALTH_PLAN_ID))
        page.fill("Address: {address}\n", address=(person.address, C.ADDRESS))
        page.fill("Phone: {phone}\n", phone=(phone_as_written(person, rng), C.PHONE))
        page.fill(
            "Collected: {collected}    Reported: {reported}\n",
            collected=(numeric_date(collected, lang), C.DATE),
            reported=(numeric_date(reported, lang), C.DATE),
        )
        page.fill(
            "Ordering physician: Dr. {provider}    NPI: {npi}\n",
            provider=(provider.full_name, C.PROVIDER_NAME),
            npi=(provider.npi, C.NPI),
        )
        page.line("")
        page.line("Test results")
    for analyte in rng.sample(ANALYTES, rng.randint(3, 7)):
        _result_line(page, analyte, ctx)
    page.line("")
    _comment(page, ctx, patient)
    doc.segment(page, where="page 1")
    doc.file_name(_key(ctx, patient))
    return doc.build((person.pid,), phi=True)


def _result_line(page: Text, analyte: Analyte, ctx: Context) -> None:
    rng, lang = ctx.rng, ctx.language
    value = rng.uniform(analyte.low, analyte.high)
    name = analyte.fr if ctx.fr else analyte.en
    shown = f"{name} {decimal(value, analyte.decimals, lang)}" + (f" {analyte.unit}" if analyte.unit else "")
    span = (analyte.high - analyte.low) / 4
    low, high = (
        decimal(analyte.low + span, analyte.decimals, lang),
        decimal(analyte.high - span, analyte.decimals, lang),
    )
    reference = f"{low}-{high}"
    page.fill("{result}    ({ref} {reference})\n", result=(shown, C.LAB_RESULT), ref="réf." if ctx.fr else "ref",
              reference=reference)  # fmt: skip


def _comment(page: Text, ctx: Context, patient: Patient) -> None:
    medicine, condition = patient.medicines[0], patient.conditions[0]
    if ctx.fr:
        page.fill(
            "Commentaire : patient(e) sous {med} pour {cond}. Contrôle hebdomadaire.\n",
            med=(medicine.fr, C.MEDICATION),
            cond=(condition.fr, C.HEALTH_CONDITION),
        )
    else:
        page.fill(
            "Comment: patient on {med} for {cond}. Weekly monitoring.\n",
            med=(medicine.en, C.MEDICATION),
            cond=(condition.en, C.HEALTH_CONDITION),
        )


def _key(ctx: Context, patient: Patient) -> Text:
    """reports/2024/LAB_DOE_JANE_19680412_R00042.pdf -- the PHM bucket's naming: the object key is PHI."""
    person = patient.person
    key = Text().add(f"{'comptes-rendus' if ctx.fr else 'reports'}/{ctx.day.year}/{'BIO' if ctx.fr else 'LAB'}_")
    key.add(f"{key_part(person.family)}_{key_part(person.given)}", C.PERSON_NAME).add("_")
    return key.add(compact_date(person.birth_date), C.DATE_OF_BIRTH).add(f"_R{ctx.number:05d}.pdf")
