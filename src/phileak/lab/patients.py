"""The lab's fictional patients: deterministic, obviously synthetic, shared by every lab service."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

_GIVEN = ("Maria", "James", "Aisha", "Wei", "Sofia", "Daniel", "Priya", "Lucas", "Chloe", "Omar", "Elena")
_FAMILY = ("Garcia", "Okafor", "Nguyen", "Dubois", "Martin", "Kowalski", "Haddad", "Silva", "Patel", "Reyes")
_CONDITIONS = (
    ("Type 2 diabetes mellitus", "E11.9", "metformin 500 mg twice daily"),
    ("Essential hypertension", "I10", "lisinopril 10 mg daily"),
    ("Asthma, unspecified", "J45.909", "albuterol inhaler as needed"),
    ("Major depressive disorder", "F32.9", "sertraline 50 mg daily"),
    ("HIV disease", "B20", "bictegravir/emtricitabine/tenofovir daily"),
    ("Chronic kidney disease, stage 3", "N18.30", "dapagliflozin 10 mg daily"),
)
_AREA_CODES = ("415", "510", "213", "916", "619")


@dataclass(frozen=True)
class SyntheticPatient:
    """Field names double as the column names of the lab's CSV exports."""

    mrn: str
    given_name: str
    family_name: str
    sex: str
    date_of_birth: date
    email: str
    phone: str  # 555-01xx: numbers reserved for fiction
    postal_code: str
    diagnosis: str
    icd10: str
    medication: str

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def synthetic_patients(count: int = 25, seed: int = 20261120) -> list[SyntheticPatient]:
    """The same `count` fake patients for the same seed, on every machine."""
    rng = random.Random(seed)
    patients = []
    for index in range(count):
        given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
        diagnosis, icd10, medication = rng.choice(_CONDITIONS)
        patients.append(
            SyntheticPatient(
                mrn=f"LGH-{700000 + index * 97 + rng.randrange(97)}",
                given_name=given,
                family_name=family,
                sex=rng.choice("FM"),
                date_of_birth=date(1940, 1, 1) + timedelta(days=rng.randrange(65 * 365)),
                email=f"{given}.{family}.{index:02d}@example.com".lower(),
                phone=f"+1 {rng.choice(_AREA_CODES)}-555-01{index % 100:02d}",
                postal_code=f"9{rng.randrange(10000):04d}",
                diagnosis=diagnosis,
                icd10=icd10,
                medication=medication,
            )
        )
    return patients
