"""The `dicom` probe end to end (runner, child process, store) against the lab's real Orthanc and dcmqrscp:
each variant classified right with exact counts; scope; linking with the HTTP side; no identifier anywhere.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dicom_lab import EXPECTED, RunningLab, shared_lab
from phileak.lab.dicom_data import synthetic_studies
from phileak.model import DataCategory, Finding, OutcomeStatus, Scan, Severity
from phileak.phi.identity import IdentityHasher
from phileak.probes.base import Limits, ScanContext
from phileak.probes.dicom.findings import HttpSide, build_findings, exposure_key
from phileak.probes.dicom.fingerprint import fingerprint
from phileak.probes.dicom.probe import DicomProbe
from phileak.probes.dicom.records import (
    AssociationAttempt,
    AssociationState,
    Counts,
    FindState,
    QueryStats,
    SessionReport,
)
from phileak.runner import REFUSED_KIND, Runner
from phileak.scope import Resolver, Scope
from phileak.store import Store
from phileak.targets import parse_target
from phileak.testing import make_finding

SCAN_ID = "scan-dicom-probe"
HASHER = IdentityHasher(b"dicom-probe-test-key-0123456789")
ALL_PATIENT_CATEGORIES = {
    DataCategory.PERSON_NAME,
    DataCategory.DATE_OF_BIRTH,
    DataCategory.MRN,
    DataCategory.PROCEDURE,
    DataCategory.PROVIDER_NAME,
    DataCategory.MEDICAL_IMAGE,
}


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest) -> RunningLab:
    return shared_lab(request)


def lab_targets(lab: RunningLab) -> dict[str, str]:
    targets = {name: f"127.0.0.1:{lab.port(name)}" for name in lab.statuses}
    targets["orthanc-tls"] = f"dicom-tls://127.0.0.1:{lab.port('orthanc-tls')}"
    return targets


def context(level: str, scope: list[str] | None = None, resolver: Resolver | None = None) -> ScanContext:
    return ScanContext(
        scan_id=SCAN_ID,
        scope=Scope.from_rules(scope or ["127.0.0.1/32"]),
        identity=HASHER,
        limits=Limits(timeout_s=60.0, retries=0),
        resolver=resolver,
        options={"level": level},
    )


def run(tmp: Path, targets: list[str], ctx: ScanContext) -> tuple[list[Finding], dict[str, Any]]:
    tmp.mkdir(parents=True, exist_ok=True)
    with Store.open(str(tmp / "probe.db")) as store:
        store.create_scan(Scan(id=SCAN_ID, targets=targets))
        runner = Runner(store, ctx, {"dicom": DicomProbe()})
        asyncio.run(runner.run([parse_target("dicom", target) for target in targets]))
        return store.findings(SCAN_ID), {o.target: o for o in store.outcomes(SCAN_ID)}


@pytest.fixture(scope="module")
def intrusive_scan(lab: RunningLab, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Finding]]:
    """Every lab variant scanned once at `intrusive`: findings by variant, then by kind."""
    targets = lab_targets(lab)
    findings, outcomes = run(tmp_path_factory.mktemp("intrusive"), list(targets.values()), context("intrusive"))
    assert {t: o.status for t, o in outcomes.items()} == dict.fromkeys(targets.values(), OutcomeStatus.OK)
    by_variant: dict[str, dict[str, Finding]] = {}
    for name, target in targets.items():
        mine = [f for f in findings if f.target == target]
        by_variant[name] = {f.kind: f for f in mine}
        assert len(by_variant[name]) == len(mine), f"one finding per kind for {name}"
    return by_variant


def kinds(findings: dict[str, Finding]) -> dict[str, Severity]:
    return {kind: finding.severity for kind, finding in findings.items()}


def evidence(finding: Finding) -> dict[str, Any]:
    return finding.evidence.model_dump()


def assert_counts(finding: Finding, modality_source: str) -> None:
    data = evidence(finding)
    assert finding.affected_individuals == EXPECTED.patients
    assert (data["patients"], data["studies"], data["complete"]) == (EXPECTED.patients, EXPECTED.studies, True)
    assert data["modalities"] == EXPECTED.modalities
    assert data["modality_source"] == modality_source
    assert data["study_dates"] == {
        "first": EXPECTED.first_study.strftime("%Y-%m"),
        "last": EXPECTED.last_study.strftime("%Y-%m"),
    }
    assert set(finding.data_categories) >= ALL_PATIENT_CATEGORIES
    assert len(data["identity_hashes"]) == EXPECTED.patients
    assert len(data["sample_names"]) <= 3 and all("*" in name for name in data["sample_names"])


def test_exposed_orthanc(intrusive_scan: dict[str, dict[str, Finding]]) -> None:
    found = intrusive_scan["orthanc-exposed"]
    assert kinds(found) == {
        "dicom-association-open": Severity.MEDIUM,
        "dicom-no-tls": Severity.MEDIUM,
        "dicom-query-exposed": Severity.CRITICAL,
        "dicom-retrieve-exposed": Severity.HIGH,
    }
    assert_counts(found["dicom-query-exposed"], "ModalitiesInStudy")
    assert evidence(found["dicom-association-open"])["fingerprint"]["product"] == "Orthanc"
    assert "DicomCheckCalledAet" in found["dicom-association-open"].remediation
    assert "DicomModalities" in found["dicom-association-open"].remediation
    assert "DicomAlwaysAllowFind" in found["dicom-query-exposed"].remediation
    assert "RegisteredUsers" in found["dicom-query-exposed"].remediation
    assert "DicomTlsEnabled" in found["dicom-no-tls"].remediation
    assert "DicomAlwaysAllowMove" in found["dicom-retrieve-exposed"].remediation
    assert evidence(found["dicom-retrieve-exposed"])["c_move_status"] == "0xC000"
    assert found["dicom-association-open"].affected_individuals is None


def test_default_policy_orthanc_is_open_but_not_exposed(intrusive_scan: dict[str, dict[str, Finding]]) -> None:
    found = intrusive_scan["orthanc-default"]
    assert kinds(found) == {
        "dicom-association-open": Severity.MEDIUM,
        "dicom-no-tls": Severity.LOW,
        "dicom-find-refused": Severity.INFO,
        "dicom-retrieve-refused": Severity.INFO,
    }
    assert evidence(found["dicom-find-refused"])["find_refused_by"] == "abort"
    assert all(f.affected_individuals is None for f in found.values())


def test_authenticated_orthanc_checks_the_called_ae_and_refuses_queries(
    intrusive_scan: dict[str, dict[str, Finding]],
) -> None:
    found = intrusive_scan["orthanc-auth"]
    assert kinds(found) == {
        "dicom-association-open": Severity.LOW,
        "dicom-no-tls": Severity.LOW,
        "dicom-find-refused": Severity.INFO,
        "dicom-retrieve-refused": Severity.INFO,
    }
    opened = evidence(found["dicom-association-open"])
    assert (opened["accepted_called_ae"], opened["called_ae_checked"]) == ("ORTHANC", True)
    assert opened["attempts"][0]["reject"] == {
        "code": "1/1/7",
        "reason": "rejected-permanent by service-user: called AE title not recognised",
    }


def test_tls_orthanc_is_exposed_over_tls_only(intrusive_scan: dict[str, dict[str, Finding]]) -> None:
    found = intrusive_scan["orthanc-tls"]
    assert kinds(found) == {
        "dicom-association-open": Severity.MEDIUM,
        "dicom-query-exposed": Severity.CRITICAL,
        "dicom-retrieve-refused": Severity.INFO,
    }
    assert_counts(found["dicom-query-exposed"], "ModalitiesInStudy")
    opened = evidence(found["dicom-association-open"])
    assert opened["transport"] == "tls"
    assert opened["tls"]["protocol"] in ("TLSv1.2", "TLSv1.3")
    assert opened["tls"]["certificate_subject"] == "CN=pacs-tls.lab-hospital.test"
    assert opened["tls"]["self_signed"] is True


def test_dcmqrscp(intrusive_scan: dict[str, dict[str, Finding]]) -> None:
    found = intrusive_scan["dcmqrscp"]
    assert kinds(found) == {
        "dicom-association-open": Severity.LOW,
        "dicom-no-tls": Severity.MEDIUM,
        "dicom-query-exposed": Severity.CRITICAL,
        "dicom-retrieve-exposed": Severity.HIGH,
    }
    assert_counts(found["dicom-query-exposed"], "series")
    assert evidence(found["dicom-association-open"])["fingerprint"]["product"] == "dcmqrscp"
    assert "AETable" in found["dicom-query-exposed"].remediation
    assert evidence(found["dicom-retrieve-exposed"])["c_move_status"] == "0xA801"


def test_findings_of_one_host_share_its_exposure_key(intrusive_scan: dict[str, dict[str, Finding]]) -> None:
    keys = {evidence(f)["exposure"] for found in intrusive_scan.values() for f in found.values()}
    assert keys == {exposure_key("127.0.0.1")} == {"imaging-host:127.0.0.1"}


def test_passive_stops_at_association_and_echo(lab: RunningLab, tmp_path: Path) -> None:
    target = f"127.0.0.1:{lab.port('orthanc-exposed')}"
    findings, outcomes = run(tmp_path, [target], context("passive"))
    assert outcomes[target].status is OutcomeStatus.OK
    assert {f.kind for f in findings} == {"dicom-association-open", "dicom-no-tls"}
    assert evidence(next(f for f in findings if f.kind == "dicom-association-open"))["echo_status"] == "0x0000"


def test_a_name_is_resolved_through_the_scope_guard(lab: RunningLab, tmp_path: Path) -> None:
    port = lab.port("orthanc-exposed")
    resolver = Resolver({"pacs.lab-hospital.test": ["127.0.0.1"]})
    allowed = context("standard", ["*.lab-hospital.test", "127.0.0.1/32"], resolver)
    findings, _ = run(tmp_path, [f"pacs.lab-hospital.test:{port}"], allowed)
    exposed = next(f for f in findings if f.kind == "dicom-query-exposed")
    assert exposed.target == f"pacs.lab-hospital.test:{port}"
    assert exposed.affected_individuals == EXPECTED.patients
    assert evidence(exposed)["exposure"] == "imaging-host:pacs.lab-hospital.test"

    elsewhere = context("standard", ["*.lab-hospital.test", "10.0.0.0/8"], resolver)
    findings, outcomes = run(tmp_path / "refused", [f"pacs.lab-hospital.test:{port}"], elsewhere)
    assert [f.kind for f in findings] == [REFUSED_KIND]
    assert "127.0.0.1" in findings[0].title
    assert outcomes[f"pacs.lab-hospital.test:{port}"].status is OutcomeStatus.OK


def test_no_identifier_reaches_logs_store_or_reports(lab: RunningLab, tmp_path: Path) -> None:
    """The whole CLI path, verbose: the synthetic patients' names, IDs and birth dates appear nowhere."""
    targets = [f"127.0.0.1:{lab.port('orthanc-exposed')}", f"127.0.0.1:{lab.port('dcmqrscp')}"]
    env = {**os.environ, "PHILEAK_KEY_DIR": str(tmp_path / "keys")}
    db = tmp_path / "scan.db"
    common = [sys.executable, "-m", "phileak.cli", "-v"]
    scan = subprocess.run(
        [*common, "scan", "dicom", *targets, "--level", "intrusive", "--format", "json", "--db", str(db)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert scan.returncode == 1, scan.stderr  # critical findings
    report = json.loads(scan.stdout)
    exposed = [f for f in report["findings"] if f["kind"] == "dicom-query-exposed"]
    assert [f["affected_individuals"] for f in exposed] == [EXPECTED.patients, EXPECTED.patients]
    assert "dicom 127.0.0.1:" in scan.stderr and "25 patients, 60 studies" in scan.stderr  # it did log
    html = subprocess.run(
        [*common, "report", "--format", "html", "--out", str(tmp_path / "r.html"), "--db", str(db)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert html.returncode == 0, html.stderr

    haystacks = {
        "stdout": scan.stdout,
        "stderr": scan.stderr + html.stderr,
        "html": (tmp_path / "r.html").read_text(),
        "store": b"".join(p.read_bytes() for p in tmp_path.glob("scan.db*")).decode("latin-1"),
    }
    for study in synthetic_studies():
        person = study.patient
        needles = {
            study.dicom_name,
            person.full_name,
            person.mrn,
            person.date_of_birth.strftime("%Y%m%d"),
            person.date_of_birth.isoformat(),
            study.study_uid,
        }
        for where, text in haystacks.items():
            for needle in needles:
                assert needle.lower() not in text.lower(), f"{where} holds a synthetic identifier"


def test_the_http_side_of_the_same_host_is_linked_when_asked_for(lab: RunningLab, tmp_path: Path) -> None:
    target = f"127.0.0.1:{lab.port('orthanc-exposed')}"
    ctx = context("standard")
    ctx = ScanContext(
        scan_id=ctx.scan_id,
        scope=ctx.scope,
        identity=ctx.identity,
        limits=ctx.limits,
        options={**ctx.options, "http_side": True, "http_ports": [lab.port("orthanc-exposed", "http")]},
    )
    findings, outcomes = run(tmp_path, [target], ctx)

    assert outcomes[target].status is OutcomeStatus.OK
    http_findings = [f for f in findings if f.target.startswith("http://")]
    assert http_findings, "the REST API and DICOMweb of the same Orthanc were examined"
    assert {evidence(f)["exposure"] for f in findings} == {"imaging-host:127.0.0.1"}
    counted = [(f.kind, f.affected_individuals) for f in findings if f.affected_individuals is not None]
    assert counted == [("dicom-query-exposed", EXPECTED.patients)]
    main = next(f for f in findings if f.kind == "dicom-query-exposed")
    assert evidence(main)["http_patients"] == EXPECTED.patients
    assert (
        evidence(next(f for f in findings if f.kind == "dicom-association-open"))["fingerprint"]["product"] == "Orthanc"
    )


# ---------------------------------------------------------------- linking, without peers


def _report() -> SessionReport:
    report = SessionReport(address="192.0.2.10", port=4242)
    report.attempts = [AssociationAttempt("ANY-SCP", False, AssociationState.ACCEPTED)]
    report.accepted_called_ae = "ANY-SCP"
    report.queries = [QueryStats("PATIENT", "patient-root", FindState.COMPLETE, 40)]
    report.counts = Counts(patients=40, studies=90, exposed_attributes=["PatientName"])
    return report


def test_the_http_side_joins_the_exposure_and_the_count_sits_on_one_finding() -> None:
    target = parse_target("dicom", "pacs.example.test:4242")
    rest = make_finding(
        probe="dicom", target="http://pacs.example.test:8042", kind="orthanc-rest-exposed", affected_individuals=41
    )
    viewer = make_finding(
        probe="dicom", target="http://pacs.example.test:8042", kind="web-viewer-exposed", affected_individuals=None
    )
    report = _report()
    findings = build_findings(target, report, fingerprint(report), [], HttpSide([rest, viewer], patients=41))

    counted = [f for f in findings if f.affected_individuals is not None]
    assert [(f.kind, f.affected_individuals) for f in counted] == [("dicom-query-exposed", 40)]
    assert {evidence(f)["exposure"] for f in findings} == {"imaging-host:pacs.example.test"}
    main = next(f for f in findings if f.kind == "dicom-query-exposed")
    assert evidence(main)["http_patients"] == 41


def test_without_a_dicom_count_the_http_side_keeps_its_own() -> None:
    target = parse_target("dicom", "pacs.example.test:4242")
    report = _report()
    report.queries = [QueryStats("PATIENT", "patient-root", FindState.REFUSED, 0)]
    report.counts = None
    rest = make_finding(probe="dicom", kind="orthanc-rest-exposed", affected_individuals=41, key="rest")
    qido = make_finding(probe="dicom", kind="dicomweb-exposed", affected_individuals=12, key="qido")
    findings = build_findings(target, report, fingerprint(report), [], HttpSide([rest, qido], patients=41))
    assert [(f.kind, f.affected_individuals) for f in findings if f.affected_individuals is not None] == [
        ("orthanc-rest-exposed", 41)
    ]
    assert "dicom-find-refused" in {f.kind for f in findings}
