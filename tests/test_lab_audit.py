"""The whole lab audited as `make demo` does it: every lab service up (the leaky hospital site with its trackers,
four Orthanc servers and dcmqrscp, SeaweedFS buckets, the exported files), `phileak audit` on the plan it writes,
and the assessment checked against what the lab holds: who is exposed, counted once across probes, and the
duties with their dates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from phileak.lab.dicom_data import DEFAULT_PATIENTS
from phileak.lab.patients import synthetic_patients
from phileak.lab.storage_services import lab_patients

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed")


def exposed_patients() -> set[str]:
    """MRNs of the people whose data the lab leaves open: the shared exports and the PACS hold the hospital's
    25 patients; the public lab-report bucket 12 others; the policy-public and ACL-public buckets 4 more (the
    private bucket's export is not readable)."""
    hospital = synthetic_patients()
    assert len(hospital) == DEFAULT_PATIENTS
    others = lab_patients(6, seed=77)
    return {p.mrn for p in hospital + lab_patients() + others[:4]}


def cli(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PHILEAK_KEY_DIR": str(cwd / "keys"), "PHILEAK_LAB_DIR": str(cwd / "lab")}
    return subprocess.run([sys.executable, "-m", "phileak.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("lab-audit")
    up = cli("lab", "up", cwd=base)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        result = cli("audit", str(base / "lab" / "plan.toml"), "--format", "json", "--out", "audit.json", cwd=base)
        assert result.returncode == 1, result.stderr[-3000:]  # critical findings
        report: dict[str, Any] = json.loads((base / "audit.json").read_text())
    finally:
        cli("lab", "down", cwd=base)
    return report


def test_every_lab_target_was_audited(audit: dict[str, Any]) -> None:
    outcomes = {o["target"]: o["status"] for o in audit["outcomes"]}
    assert set(outcomes.values()) == {"ok"}, outcomes
    probes = {f["probe"] for f in audit["findings"]}
    assert probes == {"web", "dicom", "storage", "files"}


def test_the_people_exposed_are_counted_once_across_probes(audit: dict[str, Any]) -> None:
    exposure = audit["assessment"]["exposure"]
    truth = len(exposed_patients())
    print(f"\nlab people: {exposure['identified']} identified, {exposure['affected_individuals']} affected, "
          f"truth {truth}; {exposure['method'][:200]}")  # fmt: skip
    assert exposure["identified"] == truth
    assert audit["assessment"]["affected_individuals"] == truth
    # Tracking leaks expose everyone who used those pages: no ceiling, and the report says so.
    assert exposure["precision"] == "lower-bound" and "no ceiling" in exposure["method"]


def test_the_duties_have_their_dates(audit: dict[str, Any]) -> None:
    discovered = date.fromisoformat(audit["assessment"]["profile"]["discovery"][:10])
    duties = [(o["regime"], o["recipient"], o.get("deadline")) for o in audit["obligations"]]
    regimes = {regime for regime, _, _ in duties}
    assert {"HIPAA", "GDPR", "FR-CNIL", "US-CA", "FR-HDS"} <= regimes
    individual = [d for r, who, d in duties if r == "HIPAA" and who.startswith("each affected individual")]
    assert individual == [(discovered + timedelta(days=60)).isoformat()]
    [cnil] = [d for r, _, d in duties if r == "FR-CNIL" and d]
    assert cnil.startswith((discovered + timedelta(days=3)).isoformat())  # 72 hours
