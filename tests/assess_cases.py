"""Findings and profiles for the assessment tests: a tracking leak, an open PACS, a public bucket, an HDS finding.
All synthetic: reserved .test names, no identifier anywhere."""

from __future__ import annotations

from typing import Any

from phileak.model import DataCategory as C
from phileak.model import Evidence, EvidenceMatch, Finding, Recipient, Severity
from phileak.testing import make_finding

DISCOVERY = "2026-11-20"  # a Friday; Thanksgiving is Thursday 26 Nov 2026


def tracking_leak(*, context: str = "authenticated", categories: list[C] | None = None, vendor: str = "Meta",
                  category: str = "advertising", key: str = "email") -> Finding:  # fmt: skip
    return make_finding(
        kind="phi-to-third-party",
        key=(vendor, key, context),
        title=f"{vendor} receives the patient's {key} with health information",
        data_categories=categories or [C.EMAIL, C.HEALTH_CONDITION, C.IP_ADDRESS],
        affected_individuals=None,
        recipient=Recipient(host="www.facebook.test", vendor=vendor, category=category),
        evidence=Evidence(
            matches=[EvidenceMatch(field="email", encoding="sha256-hex", location="query", param="ud[em]")],
            page_context=context,
            page_contexts=[context],
        ),
    )


def open_pacs(target: str = "127.0.0.1:4242", people: int = 20) -> Finding:
    return make_finding(
        probe="dicom",
        target=target,
        kind="dicom-query-exposed",
        key="imaging-host:127.0.0.1",
        severity=Severity.CRITICAL,
        title="C-FIND answers any caller with patient names and birth dates",
        data_categories=[C.PERSON_NAME, C.DATE_OF_BIRTH, C.MRN, C.PROCEDURE, C.MEDICAL_IMAGE],
        affected_individuals=people,
        recipient=None,
        evidence=Evidence(exposure_key="imaging-host:127.0.0.1"),
        remediation="Require AE title checks and TLS; block port 4242 from outside.",
    )


def public_bucket(ref: str = "s3://exh-reports", host: str = "s3.eu-west-3.amazonaws.test", people: int = 40,
                  kind: str = "bucket-public-list") -> Finding:  # fmt: skip
    return make_finding(
        probe="storage",
        target=ref,
        kind=kind,
        severity=Severity.CRITICAL,
        title=f"Anyone can list {ref}",
        data_categories=[C.PERSON_NAME, C.DATE_OF_BIRTH, C.LAB_RESULT],
        affected_individuals=people,
        recipient=None,
        evidence=Evidence(host=host, provider="s3", objects=12),
        remediation="Turn on Block Public Access for the bucket and the account.",
    )


def hds_finding(ref: str = "s3://exh-reports", host: str = "s3.eu-west-3.amazonaws.test") -> Finding:
    return make_finding(
        probe="storage",
        target=ref,
        kind="hds-uncertified-host",
        key=host,
        title=f"French health data in {ref} on {host}, a host the plan does not list as HDS-certified",
        data_categories=[C.PERSON_NAME, C.LAB_RESULT],
        recipient=None,
        evidence=Evidence(host=host),
    )


def organisation(**overrides: Any) -> dict[str, Any]:
    org: dict[str, Any] = {
        "name": "Example Health",
        "entity_type": "covered-entity",
        "jurisdictions": ["US-CA"],
        "discovery_date": DISCOVERY,
        "residents": {},
        "hds_certified_hosts": [],
    }
    org.update(overrides)
    return {k: v for k, v in org.items() if v is not None}


def exposure(people: int | None, *, low: int | None = None, high: int | None = None) -> dict[str, Any]:
    return {
        "affected_individuals": people,
        "estimate": {"low": low, "high": high} if low is not None else None,
        "data_categories": [],
        "recipients": [],
        "kinds": [],
    }
