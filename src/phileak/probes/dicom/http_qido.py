"""QIDO-RS study pages read into counts: every identifier is registered with logsafe and hashed with the scan's
identity key the moment it is read, and nothing raw is kept (study UIDs only as in-memory hashes for paging).

Persons are keyed as the DIMSE side keys them (IdentityHasher.person with PatientID as an MRN, else name and
birth date), so the two sides of one host count the same people alike.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from phileak import logsafe
from phileak.model import DataCategory
from phileak.phi.identity import IdentityHasher, dicom_name_to_natural
from phileak.phi.redact import redact

PATIENT_NAME = "00100010"
PATIENT_ID = "00100020"
PATIENT_BIRTH_DATE = "00100030"
STUDY_DATE = "00080020"
MODALITIES_IN_STUDY = "00080061"
REFERRING_PHYSICIAN = "00080090"
STUDY_DESCRIPTION = "00081030"
STUDY_UID = "0020000D"
STUDY_INSTANCES = "00201208"
# Asked for explicitly; most servers return them by default anyway (PS3.18 Table 6.7.1.2-2).
INCLUDE_FIELDS = (PATIENT_ID, MODALITIES_IN_STUDY, STUDY_INSTANCES)

_TAG = re.compile(r"[0-9A-Fa-f]{8}\Z")
_MODALITY = re.compile(r"[A-Z0-9]{1,16}\Z")
_DA = re.compile(r"(\d{4})(\d{2})\d{2}\Z")
_RESEARCH_ID = re.compile(r"(?:TCGA|LIDC-IDRI|CPTAC|NSCLC|RIDER|QIN|ACRIN|HNSCC|C4KC|LUNG1|PANCREAS)[-_]", re.I)
MAX_VALUE_CHARS = 1024
_CATEGORY_OF_TAG = {
    PATIENT_NAME: DataCategory.PERSON_NAME,
    PATIENT_ID: DataCategory.MRN,
    PATIENT_BIRTH_DATE: DataCategory.DATE_OF_BIRTH,
    STUDY_DATE: DataCategory.DATE,
    MODALITIES_IN_STUDY: DataCategory.PROCEDURE,
    STUDY_DESCRIPTION: DataCategory.PROCEDURE,
    REFERRING_PHYSICIAN: DataCategory.PROVIDER_NAME,
}
_KEYWORD_OF_TAG = {
    PATIENT_NAME: "PatientName",
    PATIENT_ID: "PatientID",
    PATIENT_BIRTH_DATE: "PatientBirthDate",
    STUDY_DATE: "StudyDate",
    MODALITIES_IN_STUDY: "ModalitiesInStudy",
    STUDY_DESCRIPTION: "StudyDescription",
    REFERRING_PHYSICIAN: "ReferringPhysicianName",
    STUDY_UID: "StudyInstanceUID",
}


class NotQido(ValueError):
    """The body is not a QIDO-RS answer (an HTML page from a catch-all server, a JSON error...)."""


def study_page(body: bytes) -> list[dict[str, Any]]:
    """The studies of one QIDO-RS answer (DICOM JSON, PS3.18 F.2); NotQido when it is not one."""
    if not body.strip():
        return []
    try:
        data = json.loads(body)
    except ValueError:
        raise NotQido("not JSON") from None
    if not isinstance(data, list):
        raise NotQido("not a JSON array")
    for item in data:
        if not isinstance(item, dict) or not item or not all(_TAG.match(str(key)) for key in item):
            raise NotQido("not DICOM JSON")
    return data


@dataclass
class QidoTally:
    """Counts over every study read; person keys are keyed hashes, samples are redacted."""

    identity: IdentityHasher
    sample_names: int = 3
    persons: dict[str, None] = field(default_factory=dict)
    study_records: int = 0
    study_uid_hashes: set[int] = field(default_factory=set)
    modalities: Counter[str] = field(default_factory=Counter)
    months: list[str] = field(default_factory=list)
    instances: int | None = None
    attributes: set[str] = field(default_factory=set)
    categories: set[DataCategory] = field(default_factory=set)
    samples: list[str] = field(default_factory=list)
    research_ids: int = 0

    def add_page(self, studies: list[dict[str, Any]]) -> int:
        """Add one page; returns how many studies were new (a server that ignores `offset` repeats itself)."""
        before = self.studies
        for study in studies:
            self._add_study(study)
        return self.studies - before

    @property
    def studies(self) -> int:
        return len(self.study_uid_hashes) or self.study_records

    @property
    def patients(self) -> int:
        return len(self.persons)

    def _add_study(self, study: dict[str, Any]) -> None:
        self.study_records += 1
        for tag in _CATEGORY_OF_TAG:
            if _text(study, tag):
                self.categories.add(_CATEGORY_OF_TAG[tag])
                self.attributes.add(_KEYWORD_OF_TAG[tag])
        for tag in (STUDY_DESCRIPTION, REFERRING_PHYSICIAN):
            value = _text(study, tag)
            if value:
                logsafe.register(value)
        self._person(study)
        uid = _text(study, STUDY_UID)
        if uid:
            self.attributes.add("StudyInstanceUID")
            self.study_uid_hashes.add(hash(uid))
        self._study_date(_text(study, STUDY_DATE))
        found = {m.upper() for m in _values(study, MODALITIES_IN_STUDY) if _MODALITY.match(m.upper())}
        self.modalities.update(found)
        instances = _text(study, STUDY_INSTANCES)
        if instances.isdigit():
            self.instances = (self.instances or 0) + int(instances)

    def _person(self, study: dict[str, Any]) -> None:
        patient_id, name, birth = (_text(study, tag) for tag in (PATIENT_ID, PATIENT_NAME, PATIENT_BIRTH_DATE))
        present = [value for value in (patient_id, name, birth) if value]
        if not present:
            return
        logsafe.register(*present)
        if patient_id and _RESEARCH_ID.match(patient_id):
            self.research_ids += 1
        person = self.identity.person(
            name=name or None, birth_date=birth or None, id_value=patient_id or None, id_kind="mrn"
        )
        if person is not None and person not in self.persons:
            self.persons[person] = None
            if name and len(self.samples) < self.sample_names:
                self.samples.append(redact("person-name", dicom_name_to_natural(name)))

    def _study_date(self, value: str) -> None:
        match = _DA.match(value)
        if not match or not 1900 <= int(match[1]) <= 2100 or not 1 <= int(match[2]) <= 12:
            return
        month = match[1] + match[2]
        self.months = [min([month, *self.months[:1]]), max([month, *self.months[1:]])]

    def evidence(self) -> dict[str, Any]:
        first, last = self.months if self.months else ("", "")
        return {
            "modalities": dict(sorted(self.modalities.items(), key=lambda item: (-item[1], item[0]))),
            "first_study_month": f"{first[:4]}-{first[4:]}" if first else None,
            "last_study_month": f"{last[:4]}-{last[4:]}" if last else None,
            "instances": self.instances,
            "exposed_attributes": sorted(self.attributes),
            "sample_names": list(self.samples),
        }


def _values(study: dict[str, Any], tag: str) -> list[str]:
    """The element's values as text; a person name as its alphabetic form; oversized values dropped."""
    element = study.get(tag) or study.get(tag.lower())
    raw = element.get("Value") if isinstance(element, dict) else None
    if not isinstance(raw, list):
        return []
    out = []
    for value in raw:
        if isinstance(value, dict):
            value = value.get("Alphabetic")
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip() and len(value) <= MAX_VALUE_CHARS:
            out.append(value.strip())
    return out


def _text(study: dict[str, Any], tag: str) -> str:
    found = _values(study, tag)
    return found[0] if found else ""
