"""What goes in and out of the assessment at its edges: the plan refused whole before any probe runs (bad
jurisdiction, residents, time zone, discovery date), and an unknown count published as null, never 0."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from assess_cases import open_pacs, organisation, tracking_leak
from phileak.assess import assess
from phileak.cli import app
from phileak.model import summarise
from phileak.testing import make_report

PLAN_HEAD = '[organisation]\nname = "Example Health"\nentity_type = "covered-entity"\n'


@pytest.mark.parametrize(
    ("organisation_lines", "message"),
    [
        ('jurisdictions = ["US-ZZ"]\ndiscovery_date = 2026-11-20', "unknown jurisdiction 'US-ZZ'"),
        ('jurisdictions = ["US-CA"]\nresidents = { "US-XX" = 3 }', "unknown jurisdiction 'US-XX'"),
        ('jurisdictions = ["US-CA"]\nresidents = { "US-CA" = -1 }', "residents.US-CA"),
        ('jurisdictions = ["US-CA"]\nresidents = { "US-CA" = true }', "residents.US-CA"),
        ('jurisdictions = ["US-CA"]\ntimezone = "Mars/Olympus"', "not an IANA time zone"),
        ('jurisdictions = ["US-CA"]\ndiscovery_date = "2026-11-20T10:00:00"', "offset"),
    ],
)
def test_a_plan_the_assessment_would_refuse_stops_the_audit_before_any_probe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, organisation_lines: str, message: str
) -> None:
    monkeypatch.setenv("PHILEAK_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exports").mkdir()
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN_HEAD + organisation_lines + '\n[[files]]\npath = "exports"\n', encoding="utf-8")
    db = tmp_path / "audit.db"
    result = CliRunner().invoke(app, ["audit", str(plan), "--db", str(db), "--format", "json"])
    assert result.exit_code == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(plan) in lines[0] and message in lines[0]
    assert not db.exists() and not list(tmp_path.glob("audit.db*"))
    assert result.stdout == ""


def test_an_uncounted_exposure_is_null_in_the_summary_and_the_assessment() -> None:
    report = make_report([tracking_leak()], profile={"organisation": organisation()})
    assert summarise(report.findings)["affected_individuals"] is None
    contract = report.to_contract("0")
    assert contract["summary"]["affected_individuals"] is None
    assessment = assess(report)["assessment"]
    assert assessment["affected_individuals"] is None
    assert assessment["hhs_portal"]["fields"]["Individuals Affected"]["value"] is None


def test_zero_stays_zero_when_no_finding_concerns_people() -> None:
    assert summarise([])["affected_individuals"] == 0
    refusal = tracking_leak().model_copy(update={"kind": "out-of-scope-refused", "data_categories": []})
    report = make_report([refusal], profile={"organisation": organisation()})
    assert summarise(report.findings)["affected_individuals"] == 0
    assert assess(report)["assessment"]["affected_individuals"] == 0


def test_a_counted_floor_is_still_published_beside_an_uncounted_finding() -> None:
    report = make_report([tracking_leak(), open_pacs(people=3)], profile={"organisation": organisation()})
    assert summarise(report.findings)["affected_individuals"] == 3
    assert assess(report)["assessment"]["affected_individuals"] == 3
