"""The lab PACS's synthetic imaging studies: the lab's fictional patients, one tiny CT or MR image per study.

Everything is deterministic (UIDs included), so loading the same studies twice changes nothing and tests know
the exact counts to expect.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, CTImageStorage, ExplicitVRLittleEndian, MRImageStorage, generate_uid

from phileak.lab.patients import SyntheticPatient, synthetic_patients

DEFAULT_PATIENTS = 25
DEFAULT_STUDIES = 60
_SEED = 20261121
_UID_PREFIX = "1.2.826.0.1.3680043.8.498."  # pydicom's own root, for generated UIDs
_SOP_CLASS = {"CT": CTImageStorage, "MR": MRImageStorage}
_DESCRIPTIONS = {
    "CT": ("CT CHEST WITH CONTRAST", "CT ABDOMEN PELVIS", "CT HEAD WITHOUT CONTRAST"),
    "MR": ("MR BRAIN WITH AND WITHOUT CONTRAST", "MR LUMBAR SPINE", "MR KNEE LEFT"),
}
_PHYSICIANS = ("Quinn^Avery^^Dr", "Moreau^Camille^^Dr", "Adeyemi^Tobi^^Dr")
_FIRST_STUDY_DAY = date(2019, 1, 7)
_STUDY_SPAN_DAYS = 5 * 365
_IMAGE_SIDE = 8


@dataclass(frozen=True)
class SyntheticStudy:
    """One study of one fictional patient: a single series holding a single 8x8 image."""

    patient: SyntheticPatient
    index: int
    modality: str
    study_date: date
    description: str
    referring_physician: str
    study_uid: str
    series_uid: str
    sop_uid: str

    @property
    def dicom_name(self) -> str:
        return f"{self.patient.family_name}^{self.patient.given_name}"

    @property
    def file_name(self) -> str:
        return f"study-{self.index:03d}.dcm"


@dataclass(frozen=True)
class ExpectedCounts:
    """What an auditor counting the studies should find."""

    patients: int
    studies: int
    modalities: dict[str, int]
    first_study: date
    last_study: date


def synthetic_studies(patients: int = DEFAULT_PATIENTS, studies: int = DEFAULT_STUDIES) -> list[SyntheticStudy]:
    """`studies` studies over the first `patients` lab patients: each patient has at least one, the rest go
    round-robin; modality, date and description are drawn from a fixed seed."""
    if studies < patients:
        raise ValueError("every patient needs at least one study")
    people = synthetic_patients(patients)
    rng = random.Random(_SEED)
    made = []
    for index in range(studies):
        patient = people[index % patients]
        modality = "CT" if rng.random() < 0.6 else "MR"
        made.append(
            SyntheticStudy(
                patient=patient,
                index=index,
                modality=modality,
                study_date=_FIRST_STUDY_DAY + timedelta(days=rng.randrange(_STUDY_SPAN_DAYS)),
                description=rng.choice(_DESCRIPTIONS[modality]),
                referring_physician=rng.choice(_PHYSICIANS),
                study_uid=_uid("study", index),
                series_uid=_uid("series", index),
                sop_uid=_uid("instance", index),
            )
        )
    return made


def expected_counts(studies: Sequence[SyntheticStudy]) -> ExpectedCounts:
    dates = [study.study_date for study in studies]
    return ExpectedCounts(
        patients=len({study.patient.mrn for study in studies}),
        studies=len(studies),
        modalities=dict(Counter(study.modality for study in studies)),
        first_study=min(dates),
        last_study=max(dates),
    )


def write_studies(folder: Path, studies: Sequence[SyntheticStudy]) -> list[Path]:
    """One Part-10 file per study in `folder`; the same bytes on every run."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for study in studies:
        path = folder / study.file_name
        study_dataset(study).save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def study_dataset(study: SyntheticStudy) -> Dataset:
    patient = study.patient
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = _SOP_CLASS[study.modality]
    meta.MediaStorageSOPInstanceUID = UID(study.sop_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian

    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = _SOP_CLASS[study.modality]
    ds.SOPInstanceUID = study.sop_uid
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = study.study_date.strftime("%Y%m%d")
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = "093000"
    ds.AccessionNumber = f"ACC{study.index:05d}"
    ds.Modality = study.modality
    ds.Manufacturer = "PHILEAK LAB (synthetic)"
    ds.InstitutionName = "Lab General Hospital"
    ds.ReferringPhysicianName = study.referring_physician
    ds.StudyDescription = study.description
    ds.PatientName = study.dicom_name
    ds.PatientID = patient.mrn
    ds.PatientBirthDate = patient.date_of_birth.strftime("%Y%m%d")
    ds.PatientSex = patient.sex
    ds.StudyInstanceUID = study.study_uid
    ds.SeriesInstanceUID = study.series_uid
    ds.StudyID = str(study.index + 1)
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = _IMAGE_SIDE
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(range(_IMAGE_SIDE * _IMAGE_SIDE)) * 2
    return ds


def _uid(kind: str, index: int) -> str:
    return str(generate_uid(prefix=_UID_PREFIX, entropy_srcs=["phileak-lab", str(_SEED), kind, str(index)]))
