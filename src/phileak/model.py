"""The findings model every probe emits, serialised as shared/CONTRACT.md says."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1

ProbeName = Literal["web", "har", "dicom", "storage", "files", "scope"]


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class DataCategory(StrEnum):
    """Kinds of personal or health data. Names are part of the public contract (docs/data-categories.md)."""

    PERSON_NAME = "person-name"
    EMAIL = "email"
    PHONE = "phone"
    FAX = "fax"
    DATE_OF_BIRTH = "date-of-birth"
    DATE = "date"
    ADDRESS = "address"
    SSN = "ssn"
    FR_NIR = "fr-nir"
    MRN = "mrn"
    HEALTH_PLAN_ID = "health-plan-id"
    NPI = "npi"
    DEA = "dea"
    ACCOUNT_NUMBER = "account-number"
    LICENCE_NUMBER = "licence-number"
    DEVICE_ID = "device-id"
    IP_ADDRESS = "ip-address"
    URL = "url"
    HEALTH_CONDITION = "health-condition"
    LAB_RESULT = "lab-result"
    MEDICATION = "medication"
    PROCEDURE = "procedure"
    PROVIDER_NAME = "provider-name"
    SEARCH_TERM = "search-term"
    LOGIN_STATE = "login-state"
    MEDICAL_IMAGE = "medical-image"
    BIOMETRIC = "biometric"
    PHOTO = "photo"


class Recipient(BaseModel):
    """Who received the data (web and har probes)."""

    model_config = ConfigDict(frozen=True)

    host: str
    vendor: str | None = None
    category: str | None = None


class EvidenceMatch(BaseModel):
    """One matched value in a captured payload: where it was and how it was encoded, never the value."""

    model_config = ConfigDict(frozen=True, extra="allow")

    field: str
    encoding: str = "plain"
    location: str | None = None
    param: str | None = None


class Evidence(BaseModel):
    """Redacted proof of a finding. Free-form beyond the known fields; never holds a raw identifier."""

    model_config = ConfigDict(frozen=True, extra="allow")

    matches: list[EvidenceMatch] = Field(default_factory=list)
    excerpt: str | None = None
    identity_hashes: list[str] = Field(default_factory=list)


class Estimate(BaseModel):
    model_config = ConfigDict(frozen=True)

    low: int
    high: int
    confidence: float = 0.95


class Finding(BaseModel):
    """One exposure, complete when built. `id` is stable across re-scans: no timestamps go into it."""

    model_config = ConfigDict(frozen=True)

    id: str
    probe: str
    target: str
    kind: str
    severity: Severity
    title: str
    data_categories: list[DataCategory] = Field(default_factory=list)
    affected_individuals: int | None = None
    estimate: Estimate | None = None
    recipient: Recipient | None = None
    evidence: Evidence = Field(default_factory=Evidence)
    remediation: str = ""

    @classmethod
    def create(
        cls,
        *,
        probe: str,
        target: str,
        kind: str,
        key: str | tuple[str, ...] = "",
        **fields: Any,
    ) -> Finding:
        """Build a finding whose id hashes (probe, target, kind, key). `key` is the key evidence that tells
        two findings of the same kind on the same target apart (a recipient host, an object key, ...)."""
        return cls(id=finding_id(probe, target, kind, key), probe=probe, target=target, kind=kind, **fields)

    @model_validator(mode="after")
    def _categories_unique(self) -> Finding:
        if len(set(self.data_categories)) != len(self.data_categories):
            object.__setattr__(self, "data_categories", list(dict.fromkeys(self.data_categories)))
        return self

    def to_contract(self) -> dict[str, Any]:
        """The finding as a JSON-ready dict, exactly the contract's field set (optional ones when set)."""
        data = self.model_dump(mode="json")
        data["evidence"] = _drop_empty(data["evidence"])
        return {k: v for k, v in data.items() if v is not None or k == "affected_individuals"}


def finding_id(probe: str, target: str, kind: str, key: str | tuple[str, ...] = "") -> str:
    parts = [probe, target, kind, *(key if isinstance(key, tuple) else (key,))]
    digest = hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()
    return digest[:32]


def _drop_empty(evidence: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in evidence.items() if v not in ([], None, "")}


class OutcomeStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    OUT_OF_SCOPE = "out-of-scope"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"


class TargetOutcome(BaseModel):
    """What happened to one (probe, target): a failure is data, not an exception."""

    model_config = ConfigDict(frozen=True)

    probe: str
    target: str
    status: OutcomeStatus
    reason: str | None = None
    findings: int = 0
    started: datetime | None = None
    finished: datetime | None = None


class ScanStatus(StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    INTERRUPTED = "interrupted"


class Scan(BaseModel):
    id: str
    started: datetime = Field(default_factory=lambda: datetime.now(UTC))
    finished: datetime | None = None
    targets: list[str] = Field(default_factory=list)
    status: ScanStatus = ScanStatus.RUNNING
    command: str = ""
    profile: dict[str, Any] = Field(default_factory=dict)

    def to_contract(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started": _iso(self.started),
            "finished": _iso(self.finished) if self.finished else None,
            "targets": list(self.targets),
            "status": self.status.value,
        }


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def summarise(findings: list[Finding]) -> dict[str, Any]:
    by_severity = {s.value: 0 for s in Severity}
    for finding in findings:
        by_severity[finding.severity.value] += 1
    counted = [f.affected_individuals for f in findings if f.affected_individuals is not None]
    return {
        "findings": len(findings),
        "by_severity": {k: v for k, v in by_severity.items() if v},
        # Probes count people per finding; the largest single count is a floor for the whole scan.
        # Cross-probe deduplication of identities belongs to the assessment.
        "affected_individuals": max(counted) if counted else _uncounted(findings),
    }


def _uncounted(findings: list[Finding]) -> int | None:
    """No finding counted anyone: 0 when none concerns people at all, else unknown (null in the contract)."""
    from phileak.assess.groups import bears_people

    return None if any(bears_people(f.kind, f.data_categories) for f in findings) else 0


class ScanReport(BaseModel):
    """Everything a reporter needs: the scan, its findings and how each target went."""

    scan: Scan
    findings: list[Finding] = Field(default_factory=list)
    outcomes: list[TargetOutcome] = Field(default_factory=list)
    assessment: dict[str, Any] | None = None
    obligations: list[dict[str, Any]] | None = None

    def to_contract(self, version: str) -> dict[str, Any]:
        findings = sorted(self.findings, key=lambda f: (-f.severity.rank, f.probe, f.target, f.kind, f.id))
        data: dict[str, Any] = {
            "phileak_version": version,
            "schema_version": SCHEMA_VERSION,
            "scan": self.scan.to_contract(),
            "findings": [f.to_contract() for f in findings],
            "summary": summarise(findings),
            "outcomes": [o.model_dump(mode="json", exclude_none=True) for o in self.outcomes],
        }
        if self.assessment is not None:
            data["assessment"] = self.assessment
        if self.obligations is not None:
            data["obligations"] = self.obligations
        return data
