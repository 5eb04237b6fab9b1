"""Factories for tests and plugin authors: complete, valid model objects with overridable defaults.

Every default is synthetic: reserved `.test` hostnames and no real identifier anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from phileak.model import (
    DataCategory,
    Evidence,
    EvidenceMatch,
    Finding,
    OutcomeStatus,
    Recipient,
    Scan,
    ScanReport,
    ScanStatus,
    Severity,
    TargetOutcome,
)

SCAN_STARTED = datetime(2026, 11, 20, 14, 30, 0, tzinfo=UTC)
SCAN_FINISHED = datetime(2026, 11, 20, 14, 42, 5, tzinfo=UTC)


def make_finding(**overrides: Any) -> Finding:
    """A web leak of a hashed email to a tracker. Any Finding field can be overridden; `key` (the id's key
    evidence) defaults to the title, so findings that differ by title get different ids. Passing `id`
    bypasses the id computation."""
    fields: dict[str, Any] = {
        "probe": "web",
        "target": "https://www.example-health.test/appointments",
        "kind": "phi-to-third-party",
        "severity": Severity.HIGH,
        "title": "Appointment form sends a hashed email to a tracker",
        "data_categories": [DataCategory.EMAIL, DataCategory.HEALTH_CONDITION],
        "affected_individuals": 1,
        "recipient": Recipient(host="tracker.example-ads.test", vendor="ExampleAds", category="advertising"),
        "evidence": Evidence(
            matches=[EvidenceMatch(field="email", encoding="sha256-hex", location="query", param="ud[em]")],
            excerpt="GET /tr?ud[em]=<sha256:redacted>",
        ),
        "remediation": "Remove the tracker from pages behind the appointment form.",
    }
    fields.update(overrides)
    if "id" in fields:
        fields.pop("key", None)
        return Finding(**fields)
    key = fields.pop("key", fields["title"])
    return Finding.create(**fields, key=key)


def make_outcome(**overrides: Any) -> TargetOutcome:
    """A finished target with no error; override `status` and `reason` for failures."""
    fields: dict[str, Any] = {
        "probe": "web",
        "target": "https://www.example-health.test/appointments",
        "status": OutcomeStatus.OK,
        "reason": None,
        "findings": 0,
        "started": SCAN_STARTED,
        "finished": SCAN_FINISHED,
    }
    fields.update(overrides)
    return TargetOutcome(**fields)


def make_report(
    findings: Iterable[Finding] = (),
    outcomes: Iterable[TargetOutcome] = (),
    *,
    scan_id: str = "scan-0001",
    targets: Iterable[str] | None = None,
    status: ScanStatus = ScanStatus.COMPLETE,
    started: datetime = SCAN_STARTED,
    finished: datetime | None = SCAN_FINISHED,
    profile: dict[str, Any] | None = None,
    assessment: dict[str, Any] | None = None,
    obligations: list[dict[str, Any]] | None = None,
) -> ScanReport:
    """A finished scan holding `findings` and `outcomes`. `targets` defaults to every distinct target they
    mention, in order of first appearance."""
    finding_list = list(findings)
    outcome_list = list(outcomes)
    if targets is None:
        targets = dict.fromkeys([*(o.target for o in outcome_list), *(f.target for f in finding_list)])
    scan = Scan(
        id=scan_id,
        started=started,
        finished=finished,
        targets=list(targets),
        status=status,
        profile=profile or {},
    )
    return ScanReport(
        scan=scan,
        findings=finding_list,
        outcomes=outcome_list,
        assessment=assessment,
        obligations=obligations,
    )
