"""PHI engine self-benchmark: MB/s of `PhiEngine.analyse` with every detector on, on synthetic lab reports.

Run: .venv/bin/python benchmarks/phi_engine_speed.py [MEGABYTES] [--profile]   (default 4 MB)

The reports imitate the PHM case (blood tests): a patient block (name, date of birth, MRN, address, phone), a
physician with NPI, 12-22 result lines ("INR 2.4 H 0.8-1.2"), comments; English and French, one report per
Document, about 1.5 kB each, each patient in about 2.1 reports as in the PHM bucket. All data is synthetic
(Faker, seeded). Times are CPU seconds of this process. The first pass meets every person for the first time;
a repeat pass over the same reports shows the steady state of a long scan, where people recur and their hashes
are cached. The default vocabularies come from phileak.phi.vocab; while that package is not installed a
stand-in (Faker's name lists and a few dozen health terms) is used, and the run says so.
"""

from __future__ import annotations

import cProfile
import pstats
import random
import sys
import time
from dataclasses import dataclass
from datetime import date

from faker import Faker

from phileak.model import DataCategory
from phileak.phi.engine import PhiEngine, default_vocabularies
from phileak.phi.identity import IdentityHasher
from phileak.phi.spec import Document, Segment, VocabularySpec

REPORTS_PER_PATIENT = 2.1  # the PHM bucket: 316,363 reports, about 150,000 patients

_ANALYTES_EN = [
    ("INR", "", 0.8, 1.2), ("Hemoglobin", "g/dL", 13.5, 17.5), ("Hematocrit", "%", 38.0, 50.0),
    ("WBC", "10^3/uL", 4.0, 11.0), ("Platelets", "10^3/uL", 150, 400), ("Sodium", "mmol/L", 135, 145),
    ("Potassium", "mmol/L", 3.5, 5.1), ("Chloride", "mmol/L", 98, 107), ("Glucose", "mg/dL", 70, 99),
    ("Creatinine", "mg/dL", 0.7, 1.3), ("ALT", "U/L", 7, 56), ("AST", "U/L", 10, 40), ("TSH", "mIU/L", 0.4, 4.0),
    ("HbA1c", "%", 4.0, 5.6), ("Cholesterol", "mg/dL", 125, 200), ("LDL", "mg/dL", 0, 100),
    ("HDL", "mg/dL", 40, 60), ("Triglycerides", "mg/dL", 0, 150), ("BUN", "mg/dL", 7, 20),
    ("Calcium", "mg/dL", 8.5, 10.2), ("Albumin", "g/dL", 3.4, 5.4), ("Bilirubin", "mg/dL", 0.1, 1.2),
    ("PT", "s", 11, 13.5), ("Ferritin", "ng/mL", 24, 336), ("CRP", "mg/L", 0, 10),
]  # fmt: skip
_ANALYTES_FR = [
    ("INR", "", 0.8, 1.2), ("Hémoglobine", "g/dL", 13.0, 17.0), ("Hématocrite", "%", 40.0, 52.0),
    ("Leucocytes", "G/L", 4.0, 10.0), ("Plaquettes", "G/L", 150, 400), ("Sodium", "mmol/L", 136, 145),
    ("Potassium", "mmol/L", 3.5, 5.0), ("Glycémie à jeun", "g/L", 0.70, 1.10), ("Créatinine", "µmol/L", 60, 110),
    ("ASAT", "UI/L", 5, 40), ("ALAT", "UI/L", 5, 40), ("TSH", "mUI/L", 0.4, 4.0), ("HbA1c", "%", 4.0, 6.0),
    ("Cholestérol total", "g/L", 1.5, 2.0), ("Triglycérides", "g/L", 0.5, 1.5), ("Ferritine", "µg/L", 30, 300),
    ("CRP", "mg/L", 0, 5), ("Urée", "mmol/L", 2.5, 7.5),
]  # fmt: skip
_COMMENTS_EN = [
    "Patient on warfarin therapy; INR within the therapeutic range.",
    "Results reviewed with the patient. History of type 2 diabetes and hypertension.",
    "Specimen slightly hemolyzed. Repeat potassium recommended.",
    "Please fax results to the referring office.",
]
_COMMENTS_FR = [
    "Patient sous AVK (warfarine), INR dans la zone thérapeutique.",
    "Antécédents de diabète de type 2 et d'hypertension artérielle.",
    "Prélèvement légèrement hémolysé, contrôle du potassium conseillé.",
]


@dataclass(frozen=True)
class _Patient:
    family: str
    given: str
    birth: date
    sex: str
    record: int
    street: str
    city: str
    region: str
    postcode: str
    phone: str


def _patient(fake: Faker, rng: random.Random, french: bool) -> _Patient:
    return _Patient(
        family=fake.last_name(),
        given=fake.first_name(),
        birth=fake.date_of_birth(minimum_age=18, maximum_age=90),
        sex=rng.choice("MF"),
        record=rng.randrange(10**7, 10**9),
        street=fake.street_address(),
        city=fake.city(),
        region="" if french else fake.state_abbr(),
        postcode=fake.postcode(),
        phone=fake.numerify("0# ## ## ## ##" if french else "(###) 555-01##"),
    )


def _report_en(fake: Faker, rng: random.Random, p: _Patient) -> str:
    lines = [
        "QUEST REGIONAL LABORATORY - 1200 Commerce Blvd, Springfield, IL 62701 - Tel (217) 555-0100",
        "",
        f"PATIENT: {p.family.upper()}, {p.given.upper()}    DOB: {p.birth.strftime('%m/%d/%Y')}"
        f"    SEX: {p.sex}    MRN: {p.record}",
        f"Address: {p.street}, {p.city}, {p.region} {p.postcode}",
        f"Phone: {p.phone}",
        f"Ordering Physician: Dr. {fake.first_name()} {fake.last_name()}, MD    NPI: 1234567893",
        f"Collected: {fake.date_this_decade().strftime('%m/%d/%Y')} 08:{rng.randrange(10, 59)}    "
        f"Received: {fake.date_this_decade().strftime('%m/%d/%Y')}    Accession: A{rng.randrange(10**6, 10**7)}",
        "",
        "TEST                 RESULT     FLAG   UNITS       REFERENCE RANGE",
    ]
    for analyte, unit, low, high in rng.sample(_ANALYTES_EN, rng.randrange(15, 22)):
        value = rng.uniform(low * 0.7, high * 1.3)
        flag = "H" if value > high else "L" if value < low else ""
        lines.append(f"{analyte:<20} {value:>7.1f}    {flag:<4}   {unit:<10}  {low}-{high}")
    lines += ["", f"Comments: {rng.choice(_COMMENTS_EN)}", "Page 1 of 1 - Report generated electronically"]
    return "\n".join(lines)


def _report_fr(fake: Faker, rng: random.Random, p: _Patient) -> str:
    lines = [
        "LABORATOIRE DE BIOLOGIE MÉDICALE - 12 rue de la Santé, 75014 Paris - Tél : 01 45 00 00 00",
        "",
        f"Nom : {p.family.upper()}    Prénom : {p.given}",
        f"Né(e) le : {p.birth.strftime('%d/%m/%Y')}    N° de dossier : {p.record}    Tél : {p.phone}",
        f"Adresse : {p.street}, {p.postcode} {p.city}",
        f"Médecin prescripteur : Dr {fake.first_name()} {fake.last_name()}",
        f"Prélevé le : {fake.date_this_decade().strftime('%d/%m/%Y')} à 07h{rng.randrange(10, 59)}",
        "",
        "ANALYSE                    RÉSULTAT    UNITÉ       VALEURS DE RÉFÉRENCE",
    ]
    for analyte, unit, low, high in rng.sample(_ANALYTES_FR, rng.randrange(12, 18)):
        value = rng.uniform(low * 0.7, high * 1.3)
        lines.append(f"{analyte:<26} {value:>8.2f}    {unit:<10}  {low} - {high}".replace(".", ","))
    lines += ["", f"Commentaire : {rng.choice(_COMMENTS_FR)}", "Compte rendu validé par le biologiste."]
    return "\n".join(lines)


def corpus(megabytes: float, seed: int = 4, reports_per_patient: float = REPORTS_PER_PATIENT) -> list[Document]:
    """Lab reports totalling `megabytes`, each patient in about `reports_per_patient` of them."""
    fake_en, fake_fr = Faker("en_US"), Faker("fr_FR")
    fake_en.seed_instance(seed)
    fake_fr.seed_instance(seed + 1)
    rng = random.Random(seed)
    patients: list[tuple[bool, _Patient]] = []
    documents: list[Document] = []
    size = 0
    while size < megabytes * 1e6:
        if not patients or rng.random() < 1 / reports_per_patient:
            french = rng.random() < 0.3
            patients.append((french, _patient(fake_fr if french else fake_en, rng, french)))
        french, patient = rng.choice(patients)
        text = _report_fr(fake_fr, rng, patient) if french else _report_en(fake_en, rng, patient)
        documents.append(Document(segments=[Segment(text=text, where="page 1")], source="pdf"))
        size += len(text.encode())
    return documents


def _stand_in_vocabularies() -> list[VocabularySpec]:
    from faker.providers.person.en_US import Provider as English
    from faker.providers.person.fr_FR import Provider as French

    def names() -> list[str]:
        out: set[str] = set()
        for provider in (English, French):
            for attribute in ("first_names", "last_names"):
                values = getattr(provider, attribute)
                out.update(values.keys() if isinstance(values, dict) else values)
        return sorted(out)

    conditions = [
        "diabetes",
        "type 2 diabetes",
        "hypertension",
        "diabète",
        "diabète de type 2",
        "hypertension artérielle",
    ]
    medications = ["warfarin", "warfarine", "AVK", "metformin", "lisinopril"]
    analytes = [a for a, *_ in _ANALYTES_EN + _ANALYTES_FR]
    return [
        VocabularySpec("person-names", DataCategory.PERSON_NAME, names, "faker", needs_context=True),
        VocabularySpec("conditions", DataCategory.HEALTH_CONDITION, lambda: conditions, "stand-in"),
        VocabularySpec("medications", DataCategory.MEDICATION, lambda: medications, "stand-in"),
        VocabularySpec("analytes", DataCategory.LAB_RESULT, lambda: analytes, "stand-in"),
    ]


def _run(engine: PhiEngine, documents: list[Document]) -> tuple[float, int, int]:
    """CPU seconds (this process, so other load on the machine does not count) to analyse every document."""
    detections = people = 0
    started = time.process_time()
    for document in documents:
        analysis = engine.analyse(document)
        detections += len(analysis.detections)
        people += len(analysis.people)
    return time.process_time() - started, detections, people


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    megabytes = float(args[0]) if args else 4.0
    documents = corpus(megabytes)
    total = sum(len(s.text.encode()) for d in documents for s in d.segments)
    stand_in = None if default_vocabularies() else _stand_in_vocabularies()
    note = "STAND-IN vocabularies (phileak.phi.vocab not available)" if stand_in else "phileak.phi.vocab defaults"
    started = time.perf_counter()
    engine = PhiEngine(IdentityHasher(b"benchmark-key-0123456789"), vocabularies=stand_in)
    built = time.perf_counter() - started
    if "--profile" in sys.argv:
        profiler = cProfile.Profile()
        profiler.runcall(_run, engine, documents)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    first, detections, people = _run(engine, documents)  # the first pass also fills the hash cache
    again = min(_run(engine, documents)[0] for _ in range(2))
    print(f"vocabularies: {note}; hyperscan: {engine.uses_hyperscan}; engine built in {built:.2f} s")
    print(f"{len(documents)} lab reports, {total / 1e6:.2f} MB, {detections} detections, {people} people per pass")
    print(f"first pass (cold hash cache):     {first:.2f} CPU s -> {total / 1e6 / first:.1f} MB/s per core")
    print(f"repeat pass (people seen before): {again:.2f} CPU s -> {total / 1e6 / again:.1f} MB/s per core")
    print("goal (issue 4): >= 18 MB/s per core")


if __name__ == "__main__":
    main()
