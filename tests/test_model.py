import json

import pytest
from pydantic import ValidationError

from phileak.model import (
    DataCategory,
    Estimate,
    Evidence,
    EvidenceMatch,
    Finding,
    Recipient,
    Scan,
    ScanReport,
    Severity,
    finding_id,
)

CONTRACT_FINDING_KEYS = {
    "id", "probe", "target", "kind", "severity", "title", "data_categories", "affected_individuals",
    "evidence", "remediation",
}


def leak(**overrides: object) -> Finding:
    fields: dict[str, object] = {
        "probe": "web",
        "target": "https://www.example-health.test/book",
        "kind": "phi-to-third-party",
        "key": ("www.facebook.com", "ud[em]"),
        "severity": Severity.CRITICAL,
        "title": "Booking form sends the patient's hashed email to Meta",
        "data_categories": [DataCategory.EMAIL, DataCategory.HEALTH_CONDITION],
        "recipient": Recipient(host="www.facebook.com", vendor="Meta", category="advertising"),
        "evidence": Evidence(matches=[EvidenceMatch(field="email", encoding="sha256-hex", location="query",
                                                    param="ud[em]")]),
        "remediation": "Remove the Meta Pixel from authenticated and booking pages.",
    }
    fields.update(overrides)
    return Finding.create(**fields)  # type: ignore[arg-type]


def test_id_is_stable_and_ignores_presentation() -> None:
    first = leak()
    again = leak(title="a reworded title", severity=Severity.HIGH)
    assert first.id == again.id
    assert len(first.id) == 32


@pytest.mark.parametrize(
    "change",
    [{"probe": "har"}, {"target": "https://other.test/"}, {"kind": "tracker-present"}, {"key": ("x", "y")}],
)
def test_id_changes_with_identity_fields(change: dict[str, object]) -> None:
    assert leak().id != leak(**change).id


def test_id_parts_cannot_collide_by_concatenation() -> None:
    assert finding_id("web", "a|b", "c") != finding_id("web", "a", "b|c")
    assert finding_id("web", "t", "k", ("ab", "c")) != finding_id("web", "t", "k", ("a", "bc"))


def test_contract_serialisation() -> None:
    data = leak(affected_individuals=3).to_contract()
    assert set(data) >= CONTRACT_FINDING_KEYS
    assert data["severity"] == "critical"
    assert data["data_categories"] == ["email", "health-condition"]
    assert data["recipient"] == {"host": "www.facebook.com", "vendor": "Meta", "category": "advertising"}
    assert data["evidence"]["matches"] == [
        {"field": "email", "encoding": "sha256-hex", "location": "query", "param": "ud[em]"}
    ]
    assert "estimate" not in data
    json.dumps(data)


def test_unknown_affected_is_null_and_estimate_is_serialised() -> None:
    assert leak().to_contract()["affected_individuals"] is None
    est = leak(affected_individuals=150_000, estimate=Estimate(low=140_000, high=160_000)).to_contract()
    assert est["estimate"] == {"low": 140_000, "high": 160_000, "confidence": 0.95}


def test_evidence_allows_probe_specific_fields() -> None:
    request = {"method": "GET", "host": "www.facebook.com"}
    finding = leak(evidence=Evidence(excerpt="J*** S****", request=request))
    assert finding.to_contract()["evidence"]["request"]["method"] == "GET"


def test_finding_is_frozen_and_validates() -> None:
    finding = leak()
    with pytest.raises(ValidationError):
        finding.title = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        leak(severity="catastrophic")
    with pytest.raises(ValidationError):
        leak(data_categories=["not-a-category"])


def test_duplicate_categories_collapse() -> None:
    finding = leak(data_categories=[DataCategory.EMAIL, DataCategory.EMAIL, DataCategory.PHONE])
    assert finding.data_categories == [DataCategory.EMAIL, DataCategory.PHONE]


def test_report_contract_top_level_and_summary() -> None:
    findings = [
        leak(affected_individuals=10),
        leak(kind="tracker-present", severity=Severity.INFO, affected_individuals=None),
        leak(kind="phi-in-file", severity=Severity.HIGH, affected_individuals=40),
    ]
    data = ScanReport(scan=Scan(id="s1", targets=["https://x.test/"]), findings=findings).to_contract("9.9")
    assert {"phileak_version", "scan", "findings", "summary"} <= set(data)
    assert data["phileak_version"] == "9.9"
    assert set(data["scan"]) >= {"id", "started", "finished", "targets"}
    assert [f["severity"] for f in data["findings"]] == ["critical", "high", "info"]
    assert data["summary"] == {
        "findings": 3, "by_severity": {"critical": 1, "high": 1, "info": 1}, "affected_individuals": 40,
    }
    assert "assessment" not in data and "obligations" not in data


def test_severity_order() -> None:
    assert Severity.CRITICAL.at_least(Severity.HIGH)
    assert not Severity.MEDIUM.at_least(Severity.HIGH)
    assert Severity.INFO.at_least(Severity.INFO)
