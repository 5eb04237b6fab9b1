"""A practice's patient-list export: a header row, then one row per patient (a segment per cell, labelled by
its column, as the CSV extractor reads it)."""

from __future__ import annotations

from collections.abc import Sequence

from phileak.lab.corpus.builder import DocBuilder, Text
from phileak.lab.corpus.kinds.common import C, Context, Patient, numeric_date
from phileak.lab.corpus.model import Kind, LabelledDoc
from phileak.model import DataCategory

_COLUMNS: dict[str, tuple[tuple[str, DataCategory | None], ...]] = {
    "en": (("mrn", C.MRN), ("last_name", C.PERSON_NAME), ("first_name", C.PERSON_NAME),
           ("dob", C.DATE_OF_BIRTH), ("sex", None), ("email", C.EMAIL), ("phone", C.PHONE), ("zip", C.ADDRESS),
           ("diagnosis", C.HEALTH_CONDITION), ("icd10", C.HEALTH_CONDITION), ("medication", C.MEDICATION),
           ("last_visit", C.DATE)),
    "fr": (("ipp", C.MRN), ("nom", C.PERSON_NAME), ("prenom", C.PERSON_NAME), ("date_naissance", C.DATE_OF_BIRTH),
           ("sexe", None), ("nir", C.FR_NIR), ("telephone", C.PHONE), ("code_postal", C.ADDRESS),
           ("diagnostic", C.HEALTH_CONDITION), ("cim10", C.HEALTH_CONDITION), ("traitement", C.MEDICATION),
           ("derniere_visite", C.DATE)),
}  # fmt: skip


def build(ctx: Context, patients: Sequence[Patient]) -> LabelledDoc:
    doc = DocBuilder(ctx.doc_id, Kind.CSV_EXPORT, ctx.language, "csv")
    columns = _COLUMNS[ctx.language]
    for row_number, patient in enumerate(patients, start=2):
        for (label, category), value in zip(columns, _row(ctx, patient), strict=True):
            doc.segment(Text().add(value, category), label=label, where=f"row {row_number}")
    doc.file_name(Text().add(f"exports/patients_{ctx.day.isoformat()}_{ctx.number}.csv"))
    return doc.build(tuple(p.person.pid for p in patients), phi=True)


def _row(ctx: Context, patient: Patient) -> tuple[str, ...]:
    person, lang = patient.person, ctx.language
    condition, medicine = patient.conditions[0], patient.medicines[0]
    return (
        person.mrn,
        person.family,
        person.given,
        numeric_date(person.birth_date, lang) if ctx.rng.random() < 0.5 else person.birth_date.isoformat(),
        person.sex,
        person.national_id if ctx.fr else person.email,
        person.phone,
        person.postcode,
        condition.fr if ctx.fr else condition.en,
        condition.icd10,
        medicine.fr if ctx.fr else medicine.en,
        numeric_date(ctx.day, lang),
    )
