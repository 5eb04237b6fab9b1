"""generate_corpus(): fictional patients, each with a few documents of the requested kinds, plus patient-list
exports and documents without PHI. Deterministic for a seed (faker's lists and Python's random)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from phileak.lab.corpus.clinical import CONDITIONS, MEDICINES
from phileak.lab.corpus.identities import PeopleFactory, Provider
from phileak.lab.corpus.kinds import appointment, csv_export, discharge, lab_report, negative, radiology, tracker
from phileak.lab.corpus.kinds.common import Context, Patient, some_day
from phileak.lab.corpus.model import Kind, LabelledDoc

ALL_KINDS: tuple[Kind, ...] = tuple(Kind)
LANGUAGES = ("en", "fr")
PER_PATIENT_KINDS = (Kind.LAB_REPORT, Kind.RADIOLOGY, Kind.APPOINTMENT, Kind.DISCHARGE, Kind.TRACKER)
NEGATIVE_SHARE = 0.15  # of the per-patient documents, added as documents without PHI
PATIENTS_PER_EXPORT = 20  # one patient-list export per this many patients (5 to 20 rows each)


def generate_corpus(
    n_patients: int,
    docs_per_patient: tuple[int, int] = (1, 4),
    kinds: Iterable[Kind | str] = ALL_KINDS,
    languages: Sequence[str] = LANGUAGES,
    seed: int = 0,
) -> list[LabelledDoc]:
    """Documents about `n_patients` fictional patients: each gets between docs_per_patient[0] and [1] documents
    (uniformly) of the per-patient kinds requested; CSV exports and negatives come on top when requested."""
    wanted = tuple(Kind(k) for k in kinds)
    low, high = docs_per_patient
    if not 0 <= low <= high or n_patients < 0:
        raise ValueError("need 0 <= docs_per_patient[0] <= docs_per_patient[1] and n_patients >= 0")
    unknown = set(languages) - set(LANGUAGES)
    if unknown or not languages:
        raise ValueError(f"languages must be among {LANGUAGES}")
    people = PeopleFactory(seed)
    rng = people.rng
    providers = {lang: [people.provider(lang) for _ in range(max(3, n_patients // 10))] for lang in languages}
    patients = [
        _patient(people, rng, f"P{index:06d}", languages[index % len(languages)], providers)
        for index in range(n_patients)
    ]
    docs: list[LabelledDoc] = []
    per_patient = [k for k in PER_PATIENT_KINDS if k in wanted]

    def context(language: str) -> Context:
        number = len(docs) + 1
        return Context(f"D{number:06d}", number, language, rng, some_day(rng))

    if per_patient:
        for patient in patients:
            for _ in range(rng.randint(low, high)):
                kind = rng.choice(per_patient)
                radiologist = rng.choice(providers[patient.person.language])
                docs.append(_build(kind, context(patient.person.language), patient, radiologist))
    if Kind.CSV_EXPORT in wanted:
        for language in languages:
            pool = [p for p in patients if p.person.language == language]
            for _ in range(-(-len(pool) // PATIENTS_PER_EXPORT)):
                rows = rng.sample(pool, min(len(pool), rng.randint(5, PATIENTS_PER_EXPORT)))
                docs.append(csv_export.build(context(language), rows))
    if Kind.NEGATIVE in wanted:
        count = max(1, round(NEGATIVE_SHARE * len(docs))) if docs else max(1, n_patients)
        for index in range(count):
            docs.append(negative.build(context(languages[index % len(languages)])))
    return docs


def _patient(
    people: PeopleFactory, rng: random.Random, pid: str, language: str, providers: dict[str, list[Provider]]
) -> Patient:
    return Patient(
        person=people.person(pid, language),
        conditions=tuple(rng.sample(CONDITIONS, rng.randint(1, 3))),
        medicines=tuple(rng.sample(MEDICINES, rng.randint(1, 3))),
        provider=rng.choice(providers[language]),
    )


def _build(kind: Kind, ctx: Context, patient: Patient, radiologist: Provider) -> LabelledDoc:
    if kind is Kind.LAB_REPORT:
        return lab_report.build(ctx, patient)
    if kind is Kind.RADIOLOGY:
        return radiology.build(ctx, patient, radiologist)
    if kind is Kind.APPOINTMENT:
        return appointment.build(ctx, patient)
    if kind is Kind.DISCHARGE:
        return discharge.build(ctx, patient)
    return tracker.build(ctx, patient)
