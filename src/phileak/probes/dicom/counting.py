"""C-FIND counting, inside the session's child process: universal matching, key attributes only, a client-side
cap, and every identifier hashed (and registered with logsafe) the moment it is read.

Nothing raw leaves this module: a Tally turns matches into counts, keyed hashes, month-level date bounds and
redacted name samples. Study UIDs stay here too; they are only used for follow-up queries on the same server.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pynetdicom.association import Association

from phileak import logsafe
from phileak.phi.identity import dicom_name_to_natural
from phileak.phi.redact import redact
from phileak.probes.dicom.records import Counts, FindState, QueryStats, SessionRequest

# SOP classes (PS3.4), spelled out: pynetdicom.sop_class builds its names at run time.
VERIFICATION = "1.2.840.10008.1.1"
PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
STUDY_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.2.2"

PENDING = (0xFF00, 0xFF01)
SUCCESS = 0x0000
CANCELLED = 0xFE00
# C-FIND statuses a server uses to say "not for you" ("Refused: Not Authorized"). 0xA700 "Out of Resources" is
# not one: archives answer it when a query would return more than they allow, and may answer another model.
REFUSALS = frozenset({0x0124})
MAX_VALUE_CHARS = 1024
_MODALITY = re.compile(r"[A-Z0-9]{1,16}\Z")
_AE_TITLE = re.compile(r"[A-Za-z0-9 _.\-]{1,16}\Z")
_DA = re.compile(r"(\d{4})(\d{2})\d{2}\Z")
# Patient IDs of public research collections (The Cancer Imaging Archive): decoy data in honeypots.
_RESEARCH_ID = re.compile(r"(?:TCGA|LIDC-IDRI|CPTAC|NSCLC|RIDER|QIN|ACRIN|HNSCC|C4KC|LUNG1|PANCREAS)[-_]", re.I)

PATIENT_KEYS = ("PatientID", "PatientName", "PatientBirthDate")
STUDY_KEYS = (
    "StudyInstanceUID",
    "PatientID",
    "StudyDate",
    "ModalitiesInStudy",
    "StudyDescription",
    "ReferringPhysicianName",
    "NumberOfStudyRelatedInstances",
)


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.at


def text(identifier: Dataset, keyword: str) -> str:
    """An element's value as text ("" when absent, empty or unreadable), cut to MAX_VALUE_CHARS."""
    try:
        value = identifier.get(keyword)
    except Exception:  # hostile or broken encodings: treat as unreadable
        return ""
    if value is None:
        return ""
    try:
        shown = "\\".join(str(v) for v in value) if isinstance(value, MultiValue) else str(value)
    except Exception:
        return ""
    return shown.strip()[:MAX_VALUE_CHARS]


def values(identifier: Dataset, keyword: str) -> list[str]:
    raw = text(identifier, keyword)
    return [part.strip() for part in raw.split("\\") if part.strip()]


def ae_title_or_none(value: str) -> str | None:
    return value if _AE_TITLE.match(value) else None


@dataclass
class Tally:
    """Aggregates over every match of a session."""

    request: SessionRequest
    persons: dict[str, None] = field(default_factory=dict)  # ordered set of keyed hashes
    unidentified_records: int = 0
    study_uid_hashes: set[int] = field(default_factory=set)
    study_uids: list[str] = field(default_factory=list)  # the first few, for follow-up queries only
    without_modalities: list[str] = field(default_factory=list)
    modalities: Counter[str] = field(default_factory=Counter)
    modality_sources: set[str] = field(default_factory=set)
    modality_studies_examined: int = 0
    months: list[str] = field(default_factory=list)  # [min, max] as YYYYMM
    instances: int | None = None
    attributes: set[str] = field(default_factory=set)
    samples: list[str] = field(default_factory=list)
    research_ids: int = 0
    retrieve_ae: str | None = None
    capped: bool = False
    patient_records: int = 0
    study_records: int = 0

    # ---------------------------------------------------------------- matches

    def add_patient(self, identifier: Dataset) -> None:
        self.patient_records += 1
        self._person(identifier, patient_level=True)
        self._retrieve_ae(identifier)

    def add_study(self, identifier: Dataset) -> None:
        self.study_records += 1
        self._person(identifier, patient_level=False)
        self._retrieve_ae(identifier)
        uid = text(identifier, "StudyInstanceUID")
        if uid:
            self.attributes.add("StudyInstanceUID")
            self.study_uid_hashes.add(hash(uid))
            if len(self.study_uids) <= self.request.series_fallback_studies:
                self.study_uids.append(uid)
        for keyword in ("StudyDescription", "ReferringPhysicianName"):
            value = text(identifier, keyword)
            if value:
                logsafe.register(value)
                self.attributes.add(keyword)
        self._study_date(text(identifier, "StudyDate"))
        self._instances(text(identifier, "NumberOfStudyRelatedInstances"))
        found = {m.upper() for m in values(identifier, "ModalitiesInStudy") if _MODALITY.match(m.upper())}
        if found:
            self.attributes.add("ModalitiesInStudy")
            self.modalities.update(found)
            self.modality_sources.add("ModalitiesInStudy")
            self.modality_studies_examined += 1
        elif uid and len(self.without_modalities) < self.request.series_fallback_studies:
            self.without_modalities.append(uid)

    def add_series_modalities(self, modalities: Iterable[str]) -> None:
        found = {m.upper() for m in modalities if _MODALITY.match(m.upper())}
        self.modality_studies_examined += 1
        if found:
            self.attributes.add("Modality")
            self.modalities.update(found)
            self.modality_sources.add("series")

    def _person(self, identifier: Dataset, *, patient_level: bool) -> None:
        """A patient record without any identifier still is one person; a study without one adds no one."""
        patient_id, name, birth = (text(identifier, keyword) for keyword in PATIENT_KEYS)
        present = [value for value in (patient_id, name, birth) if value]
        if not present:
            self.unidentified_records += patient_level
            return
        logsafe.register(*present)
        for keyword, value in zip(PATIENT_KEYS, (patient_id, name, birth), strict=True):
            if value:
                self.attributes.add(keyword)
        if patient_id and _RESEARCH_ID.match(patient_id):
            self.research_ids += 1
        person = self.request.identity.person(
            name=name or None, birth_date=birth or None, id_value=patient_id or None, id_kind="mrn"
        )
        if person is None:
            self.unidentified_records += patient_level
        elif person not in self.persons:
            self.persons[person] = None
            if name and len(self.samples) < self.request.sample_names:
                self.samples.append(redact("person-name", dicom_name_to_natural(name)))

    def _retrieve_ae(self, identifier: Dataset) -> None:
        if self.retrieve_ae is None:
            self.retrieve_ae = ae_title_or_none(text(identifier, "RetrieveAETitle"))

    def _study_date(self, value: str) -> None:
        match = _DA.match(value)
        if not match or not 1900 <= int(match[1]) <= 2100 or not 1 <= int(match[2]) <= 12:
            return
        self.attributes.add("StudyDate")
        month = match[1] + match[2]
        self.months = [min([month, *self.months[:1]]), max([month, *self.months[1:]])]

    def _instances(self, value: str) -> None:
        if value.isdigit():
            self.instances = (self.instances or 0) + int(value)

    # ---------------------------------------------------------------- result

    def counts(self) -> Counts:
        answered = self.patient_records or self.study_records
        people = len(self.persons) + self.unidentified_records if answered else None
        studies = (len(self.study_uid_hashes) or self.study_records) if self.study_records else None
        first, last = self.months if self.months else ("", "")
        return Counts(
            patients=people,
            studies=studies,
            person_hashes=list(self.persons),
            modalities=dict(sorted(self.modalities.items(), key=lambda item: (-item[1], item[0]))),
            modality_source="+".join(sorted(self.modality_sources)) or None,
            modality_studies_examined=self.modality_studies_examined,
            first_study_month=f"{first[:4]}-{first[4:]}" if first else None,
            last_study_month=f"{last[:4]}-{last[4:]}" if last else None,
            instances=self.instances,
            exposed_attributes=sorted(self.attributes),
            sample_names=list(self.samples),
            capped=self.capped,
            research_ids=self.research_ids,
        )


# ---------------------------------------------------------------- queries


def accepts(assoc: Association, sop_class: str) -> bool:
    return any(cx.abstract_syntax == sop_class for cx in assoc.accepted_contexts)


def patient_query(with_names: bool = True) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "PATIENT"
    for keyword in PATIENT_KEYS if with_names else ("PatientID",):
        setattr(ds, keyword, "")
    return ds


def study_query(with_patient_details: bool) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    for keyword in STUDY_KEYS:
        setattr(ds, keyword, "")
    if with_patient_details:
        ds.PatientName = ""
        ds.PatientBirthDate = ""
    return ds


def series_query(study_uid: str) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "SERIES"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = ""
    ds.Modality = ""
    return ds


def run_find(
    assoc: Association,
    query: Dataset,
    model: str,
    on_match: Callable[[Dataset], None],
    *,
    cap: int,
    deadline: Deadline,
    step_timeout_s: float,
    timed_out: Callable[[], bool],
) -> QueryStats:
    """Send one C-FIND and read its answers until done, refused, capped or out of time. Beyond the cap, or the
    deadline, phileak stops reading and aborts the association: servers often ignore C-CANCEL."""
    level = str(query.QueryRetrieveLevel)
    model_name = "patient-root" if model == PATIENT_ROOT_FIND else "study-root"
    if not accepts(assoc, model):
        return QueryStats(level, model_name, FindState.UNSUPPORTED, 0)
    responses = 0
    waited_from = time.monotonic()
    for status, identifier in assoc.send_c_find(query, model):
        if not status or "Status" not in status:
            # An abort, a closed connection or a DIMSE timeout. pynetdicom may still call the association
            # established for a moment; it is not usable any more.
            assoc.abort()
            no_answer = time.monotonic() - waited_from >= step_timeout_s * 0.9
            if timed_out() or deadline.expired() or no_answer:
                state = FindState.TIMEOUT
            else:
                state = FindState.REFUSED if responses == 0 else FindState.INTERRUPTED
            return QueryStats(level, model_name, state, responses)
        code = int(status.Status)
        if code in PENDING:
            responses += 1
            if identifier is not None:
                _guarded(on_match, identifier)
            if responses >= cap:
                assoc.abort()
                return QueryStats(level, model_name, FindState.CAPPED, responses, code)
            if deadline.expired():
                assoc.abort()
                return QueryStats(level, model_name, FindState.TIMEOUT, responses, code)
            waited_from = time.monotonic()
            continue
        if code == SUCCESS:
            return QueryStats(level, model_name, FindState.COMPLETE, responses, code)
        if code in REFUSALS and responses == 0:
            return QueryStats(level, model_name, FindState.REFUSED, responses, code)
        if code == CANCELLED and responses:  # the server's own result limit (Orthanc's LimitFindResults)
            return QueryStats(level, model_name, FindState.LIMITED, responses, code)
        state = FindState.INTERRUPTED if code == CANCELLED else FindState.FAILED
        return QueryStats(level, model_name, state, responses, code)
    return QueryStats(level, model_name, FindState.INTERRUPTED, responses)


def _collect_modalities(found: list[str], identifier: Dataset) -> None:
    found.extend(values(identifier, "Modality"))


def _guarded(on_match: Callable[[Dataset], None], identifier: Dataset) -> None:
    try:
        on_match(identifier)
    except Exception:  # one unreadable match must not end the count; it is still counted as a response
        return


def series_modalities(
    assoc: Association, tally: Tally, *, deadline: Deadline, step_timeout_s: float, timed_out: Callable[[], bool]
) -> QueryStats | None:
    """Modalities from SERIES-level queries, one per study whose ModalitiesInStudy came back empty (dcmqrscp
    leaves it empty), at most request.series_fallback_studies of them; one summary QueryStats for all."""
    if not tally.without_modalities:
        return None
    responses = 0
    last: QueryStats | None = None
    for study_uid in tally.without_modalities[: tally.request.series_fallback_studies]:
        if deadline.expired() or not assoc.is_established:
            break
        found: list[str] = []
        result = run_find(
            assoc,
            series_query(study_uid),
            STUDY_ROOT_FIND,
            partial(_collect_modalities, found),
            cap=tally.request.max_responses,
            deadline=deadline,
            step_timeout_s=step_timeout_s,
            timed_out=timed_out,
        )
        responses += result.responses
        last = result
        if result.state is not FindState.COMPLETE:
            break
        tally.add_series_modalities(found)
    if last is None:
        return QueryStats("SERIES", "study-root", FindState.TIMEOUT, 0)
    return QueryStats("SERIES", "study-root", last.state, responses, last.status)
