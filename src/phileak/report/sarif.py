"""`sarif`: SARIF 2.1.0, one run, one rule per finding kind, for code-scanning dashboards."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any, TextIO
from urllib.parse import quote

import phileak
from phileak.model import Finding, OutcomeStatus, ScanReport, ScanStatus, Severity, TargetOutcome
from phileak.report.document import changes_of
from phileak.report.ordering import by_severity

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
# The project has no public home page yet; driver.informationUri is written once this is set.
INFORMATION_URI: str | None = None
FINGERPRINT_KEY = "phileakFindingId/v1"

_LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning ranks rules by this CVSS-like score (>= 9.0 critical, 7.0 high, 4.0 medium, 0.1 low).
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
_NOTIFICATION_LEVELS = {
    OutcomeStatus.ERROR: "error",
    OutcomeStatus.TIMEOUT: "error",
    OutcomeStatus.INTERRUPTED: "warning",
    OutcomeStatus.OUT_OF_SCOPE: "warning",
    OutcomeStatus.SKIPPED: "note",
}
KIND_DESCRIPTIONS = {
    "phi-to-third-party": "Health or identifying data sent to a third party",
    "tracker-present": "Third-party tracker present on a health page",
    "dicom-query-exposed": "Imaging server answers patient queries without authorisation",
    "bucket-public-list": "Storage bucket lists its objects to anyone",
    "phi-in-file": "Health or identifying data in a file",
}
_FILE_PROBES = ("files", "har")


class SarifReporter:
    def write(self, report: ScanReport, out: TextIO) -> None:
        json.dump(sarif_log(report), out, indent=2, ensure_ascii=False)
        out.write("\n")


def sarif_log(report: ScanReport) -> dict[str, Any]:
    findings = by_severity(report.findings)
    changes = changes_of(report)
    fixed = by_severity(changes.fixed) if changes is not None else []
    rules = _rules([*findings, *fixed])
    rule_index = {rule["id"]: index for index, rule in enumerate(rules)}
    driver: dict[str, Any] = {
        "name": "phileak",
        "version": phileak.__version__,
        "semanticVersion": phileak.__version__,
        "rules": rules,
    }
    if INFORMATION_URI:
        driver["informationUri"] = INFORMATION_URI
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"phileak/{report.scan.id}"},
        "invocations": [_invocation(report)],
        "results": [_result(finding, rule_index[finding.kind]) for finding in findings],
        "columnKind": "unicodeCodePoints",
    }
    if changes is not None:
        # SARIF's own baseline comparison: new / unchanged for this run's results, absent for the fixed ones.
        new_ids = set(changes.new)
        for result, finding in zip(run["results"], findings, strict=True):
            result["baselineState"] = "new" if finding.id in new_ids else "unchanged"
        for finding in fixed:
            run["results"].append({**_result(finding, rule_index[finding.kind]), "baselineState": "absent"})
    properties = _run_properties(report)
    if properties:
        run["properties"] = properties
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


_OBLIGATION_KEYS = ("regime", "duty", "recipient", "deadline", "citation", "reason", "status")


def _run_properties(report: ScanReport) -> dict[str, Any]:
    """The contract's assessment numbers and the duties, for dashboards that read run properties."""
    properties: dict[str, Any] = {"scan_id": report.scan.id}
    if report.assessment is not None:
        keys = ("affected_individuals", "estimate", "data_categories", "disclaimer")
        properties["assessment"] = {k: report.assessment[k] for k in keys if k in report.assessment}
    if report.obligations is not None:
        properties["obligations"] = [{k: duty[k] for k in _OBLIGATION_KEYS if k in duty} for duty in report.obligations]
    changes = changes_of(report)
    if changes is not None:
        properties["since_scan"] = changes.since.id
    return properties if len(properties) > 1 else {}


def _rules(findings: list[Finding]) -> list[dict[str, Any]]:
    """One rule per kind, in order of the most severe finding of that kind; it takes that finding's
    severity and remediation."""
    first_of_kind: dict[str, Finding] = {}
    for finding in findings:
        first_of_kind.setdefault(finding.kind, finding)
    return [_rule(kind, finding) for kind, finding in first_of_kind.items()]


def _rule(kind: str, worst: Finding) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": kind,
        "name": "".join(part.capitalize() for part in kind.split("-")),
        "shortDescription": {"text": KIND_DESCRIPTIONS.get(kind, kind.replace("-", " ").capitalize())},
        "defaultConfiguration": {"level": _LEVELS[worst.severity]},
        "properties": {
            "security-severity": _SECURITY_SEVERITY[worst.severity],
            "tags": ["privacy", "health-data", worst.probe],
        },
    }
    if worst.remediation:
        rule["help"] = {"text": worst.remediation}
    return rule


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "severity": finding.severity.value,
        "data_categories": [category.value for category in finding.data_categories],
        "affected_individuals": finding.affected_individuals,
        "probe": finding.probe,
    }
    if finding.estimate is not None:
        properties["estimate"] = finding.estimate.model_dump(mode="json")
    if finding.recipient is not None:
        properties["recipient"] = finding.recipient.model_dump(mode="json", exclude_none=True)
    evidence = finding.to_contract().get("evidence")
    if evidence:
        properties["evidence"] = evidence
    return {
        "ruleId": finding.kind,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.severity],
        "message": {"text": finding.title},
        "locations": [_location(finding)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.id},
        "properties": properties,
    }


def _location(finding: Finding) -> dict[str, Any]:
    if finding.probe in _FILE_PROBES and "://" not in finding.target:
        return {"physicalLocation": {"artifactLocation": {"uri": file_uri(finding.target)}}}
    return {
        "logicalLocations": [
            {
                "name": finding.target,
                "fullyQualifiedName": f"{finding.probe}:{finding.target}",
                "kind": "resource",
            }
        ]
    }


def file_uri(path: str) -> str:
    """An absolute path as a file: URI; a relative one as a relative URI reference (what code-scanning
    services expect for files under the scanned root)."""
    pure = PurePath(path)
    if pure.is_absolute():
        return pure.as_uri()
    return quote(pure.as_posix())


def _invocation(report: ScanReport) -> dict[str, Any]:
    invocation: dict[str, Any] = {
        "executionSuccessful": report.scan.status is ScanStatus.COMPLETE,
        "startTimeUtc": _utc(report.scan.started),
    }
    if report.scan.finished is not None:
        invocation["endTimeUtc"] = _utc(report.scan.finished)
    notifications = [_notification(o) for o in report.outcomes if o.status is not OutcomeStatus.OK]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def _notification(outcome: TargetOutcome) -> dict[str, Any]:
    text = f"{outcome.probe} {outcome.target}: {outcome.status.value}"
    if outcome.reason:
        text += f" ({outcome.reason})"
    return {
        "level": _NOTIFICATION_LEVELS.get(outcome.status, "note"),
        "message": {"text": text},
        "descriptor": {"id": outcome.status.value},
        "properties": {"probe": outcome.probe, "target": outcome.target},
    }


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
