"""What the www service serves and leaves lying around: its pages and a folder of synthetic exports."""

from __future__ import annotations

import csv
import shutil
from dataclasses import astuple, fields
from pathlib import Path

from phileak.lab.patients import SyntheticPatient, synthetic_patients

SITE_SOURCE = Path(__file__).with_name("site")
EXPORT_CSV = "patients.csv"
EXPORT_TXT = "discharge-summary.txt"


def install_site(root: Path) -> None:
    """Copy the packaged pages to `root` (replacing earlier copies of them)."""
    shutil.copytree(SITE_SOURCE, root, dirs_exist_ok=True)


def write_exports(folder: Path, patients: list[SyntheticPatient] | None = None) -> None:
    """A CSV export and a discharge summary, as staff leave them on shares. Same bytes on every run."""
    patients = synthetic_patients() if patients is None else patients
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / EXPORT_CSV).open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(field.name for field in fields(SyntheticPatient))
        writer.writerows(astuple(patient) for patient in patients)
    (folder / EXPORT_TXT).write_text(_discharge_summary(patients[0]), encoding="utf-8")


def _discharge_summary(p: SyntheticPatient) -> str:
    return f"""LAB GENERAL HOSPITAL - DISCHARGE SUMMARY
(synthetic test data for the phileak lab; this person does not exist)

Patient name:   {p.full_name}
Date of birth:  {p.date_of_birth.strftime("%m/%d/%Y")}
MRN:            {p.mrn}
Phone:          {p.phone}
Email:          {p.email}

Admitting diagnosis: {p.diagnosis} (ICD-10 {p.icd10})
Discharge medication: {p.medication}
Attending physician: Dr. Avery Quinn, Endocrinology

Follow-up in the diabetes clinic in 4 weeks. Patient portal access was explained.
"""
