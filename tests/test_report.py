"""Reporters: every format from the same ScanReports built with phileak.testing factories.

tests/data/sarif-schema-2.1.0.json is the official OASIS SARIF 2.1.0 schema (errata 01, JSON Schema draft-04),
copied unchanged from oasis-tcs/sarif-spec, sarif-2.1/schema/sarif-schema-2.1.0.json.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from pathlib import Path
from typing import Any, TextIO

import pytest
from markupsafe import escape

import phileak
from phileak.errors import InputError
from phileak.model import (
    DataCategory,
    Estimate,
    Evidence,
    OutcomeStatus,
    ScanReport,
    ScanStatus,
    Severity,
)
from phileak.report import REPORTERS, render, render_to_path
from phileak.report import base as report_base
from phileak.report.assessment_view import deadline_text
from phileak.report.csv import COLUMNS
from phileak.report.document import AssessedReport
from phileak.report.sarif import FINGERPRINT_KEY, SCHEMA_URI
from phileak.testing import make_finding, make_outcome, make_report

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
XSS_TITLE = "<script>alert(1)</script> in page title"

FINDING_KEYS = {
    "id",
    "probe",
    "target",
    "kind",
    "severity",
    "title",
    "data_categories",
    "affected_individuals",
    "recipient",
    "evidence",
    "remediation",
}


def full_report(**overrides: Any) -> ScanReport:
    findings = [
        make_finding(severity=Severity.MEDIUM, title="Search terms sent to an analytics vendor", key="search"),
        make_finding(),
        make_finding(
            probe="storage",
            target="s3://exh-reports",
            kind="bucket-public-list",
            severity=Severity.CRITICAL,
            title="Bucket of lab reports is listable by anyone",
            data_categories=[DataCategory.LAB_RESULT, DataCategory.PERSON_NAME],
            affected_individuals=None,
            estimate=Estimate(low=120, high=480),
            recipient=None,
            evidence=Evidence(excerpt="reports/<redacted>.pdf", object_count=1520),
            remediation="Block public access on the bucket.",
        ),
        make_finding(
            probe="files",
            target="exports/patients 2026.csv",
            kind="phi-in-file",
            severity=Severity.LOW,
            title="Export holds dates of birth",
            data_categories=[DataCategory.DATE_OF_BIRTH],
            affected_individuals=42,
            recipient=None,
            evidence=Evidence(excerpt="dob=<redacted>"),
            remediation="Delete the export.",
        ),
        make_finding(
            probe="files",
            target="/srv/share/scan.dcm",
            kind="phi-in-file",
            severity=Severity.INFO,
            title="DICOM file with a patient name tag",
            data_categories=[DataCategory.MEDICAL_IMAGE],
            recipient=None,
            remediation="",
        ),
        make_finding(
            probe="dicom",
            target="127.0.0.1:4242",
            kind="dicom-query-exposed",
            severity=Severity.HIGH,
            title=XSS_TITLE,
            affected_individuals=7,
            recipient=None,
            evidence=Evidence(request_url="https://tracker.example-ads.test/tr?id=1", studies=3),
        ),
    ]
    outcomes = [
        make_outcome(findings=2),
        make_outcome(probe="dicom", target="127.0.0.1:4243", status=OutcomeStatus.ERROR, reason="refused"),
        make_outcome(probe="web", target="https://slow.example-health.test/", status=OutcomeStatus.TIMEOUT),
        make_outcome(
            probe="scope",
            target="https://elsewhere.test/",
            status=OutcomeStatus.OUT_OF_SCOPE,
            reason="not in allow list",
        ),
    ]
    fields: dict[str, Any] = {"profile": {"scope": {"allow": ["*.example-health.test", "127.0.0.1/32"]}}}
    fields.update(overrides)
    return make_report(findings, outcomes, **fields)


def rendered(fmt: str, report: ScanReport) -> str:
    out = io.StringIO()
    render(fmt, report, out)
    return out.getvalue()


# Registry and dispatch


def test_registry_names_every_format() -> None:
    assert set(REPORTERS) == {"table", "json", "jsonl", "sarif", "csv", "html"}


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
@pytest.mark.parametrize("report", [full_report(), make_report()], ids=["full", "empty"])
def test_every_reporter_renders_full_and_empty_scans(fmt: str, report: ScanReport) -> None:
    text = rendered(fmt, report)
    if not (fmt == "jsonl" and not report.findings):
        assert text.strip(), f"{fmt} wrote nothing"
    assert rendered(fmt, report) == text, f"{fmt} output is not deterministic"


def test_unknown_format_is_a_one_line_input_error() -> None:
    with pytest.raises(InputError) as caught:
        render("pdf", make_report(), io.StringIO())
    message = str(caught.value)
    assert "\n" not in message
    assert "'pdf'" in message
    assert "html" in message and "sarif" in message


# json / jsonl


def test_json_is_exactly_the_contract_document() -> None:
    report = full_report()
    text = rendered("json", report)
    document = json.loads(text)
    contract = report.to_contract(phileak.__version__)
    assert document == contract
    assert list(document) == ["phileak_version", "schema_version", "scan", "findings", "summary", "outcomes"]
    assert document["phileak_version"] == phileak.__version__
    assert text.startswith('{\n  "phileak_version"'), "indent 2, contract key order"
    assert set(document["scan"]) >= {"id", "started", "finished", "targets"}
    assert document["scan"]["started"] == "2026-11-20T14:30:00+00:00"


def test_json_findings_carry_the_contract_keys_and_values() -> None:
    document = json.loads(rendered("json", full_report()))
    findings = document["findings"]
    assert [f["severity"] for f in findings] == ["critical", "high", "high", "medium", "low", "info"]
    for finding in findings:
        assert FINDING_KEYS - {"recipient", "evidence"} <= set(finding)
        assert set(finding) <= FINDING_KEYS | {"estimate"}
    web = next(f for f in findings if f["probe"] == "web" and f["severity"] == "high")
    assert set(web) == FINDING_KEYS
    assert web["recipient"] == {
        "host": "tracker.example-ads.test",
        "vendor": "ExampleAds",
        "category": "advertising",
    }
    assert web["data_categories"] == ["email", "health-condition"]
    assert web["evidence"]["matches"] == [
        {"field": "email", "encoding": "sha256-hex", "location": "query", "param": "ud[em]"}
    ]
    bucket = findings[0]
    assert bucket["affected_individuals"] is None
    assert bucket["estimate"] == {"low": 120, "high": 480, "confidence": 0.95}
    assert "recipient" not in bucket
    assert bucket["evidence"] == {"excerpt": "reports/<redacted>.pdf", "object_count": 1520}


def test_json_summary_counts_by_severity_and_people() -> None:
    document = json.loads(rendered("json", full_report()))
    assert document["summary"] == {
        "findings": 6,
        "by_severity": {"critical": 1, "high": 2, "medium": 1, "low": 1, "info": 1},
        "affected_individuals": 42,
    }


def test_json_adds_assessment_and_obligations_only_when_present() -> None:
    obligation = {
        "regime": "HIPAA",
        "duty": "notify-individuals",
        "recipient": "affected individuals",
        "deadline": "2027-01-19",
        "citation": "45 CFR 164.404",
        "reason": "unsecured PHI of 480 people",
    }
    assessment = {"affected_individuals": 480, "estimate": None, "data_categories": ["lab-result"]}
    document = json.loads(rendered("json", full_report(assessment=assessment, obligations=[obligation])))
    assert document["assessment"] == assessment
    assert document["obligations"] == [obligation]
    assert "assessment" not in json.loads(rendered("json", full_report()))


def test_json_writes_non_ascii_as_utf8_text(tmp_path: Path) -> None:
    report = make_report([make_finding(title="Formulaire de pédiatrie envoie l'e-mail")])
    path = tmp_path / "report.json"
    render_to_path("json", report, path)
    raw = path.read_bytes()
    assert "pédiatrie".encode() in raw
    assert json.loads(raw.decode("utf-8"))["findings"][0]["title"] == "Formulaire de pédiatrie envoie l'e-mail"


def test_jsonl_writes_one_contract_finding_per_line() -> None:
    report = full_report()
    lines = rendered("jsonl", report).splitlines()
    assert len(lines) == len(report.findings)
    assert [json.loads(line) for line in lines] == report.to_contract(phileak.__version__)["findings"]


def test_jsonl_of_an_empty_scan_is_empty() -> None:
    assert rendered("jsonl", make_report([], [make_outcome()])) == ""


# sarif


def test_sarif_validates_against_the_official_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    for report in (full_report(), make_report(), make_report([], [make_outcome(status=OutcomeStatus.ERROR)])):
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(sarif_of(report))]
        assert errors == []


def sarif_of(report: ScanReport) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(rendered("sarif", report))
    return document


def test_sarif_log_run_and_driver() -> None:
    document = sarif_of(full_report())
    assert document["$schema"] == SCHEMA_URI
    assert document["version"] == "2.1.0"
    assert len(document["runs"]) == 1
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["name"] == "phileak"
    assert driver["version"] == phileak.__version__
    assert "example" not in json.dumps(driver.get("informationUri", "")), "no placeholder URI"


def test_sarif_rules_are_the_distinct_kinds() -> None:
    run = sarif_of(full_report())["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [
        "bucket-public-list",
        "dicom-query-exposed",
        "phi-to-third-party",
        "phi-in-file",
    ]
    by_id = {r["id"]: r for r in rules}
    assert by_id["bucket-public-list"]["help"] == {"text": "Block public access on the bucket."}
    assert by_id["bucket-public-list"]["shortDescription"]["text"]
    assert by_id["phi-in-file"]["help"] == {"text": "Delete the export."}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_results_map_severity_fingerprint_and_properties() -> None:
    report = full_report()
    results = sarif_of(report)["runs"][0]["results"]
    assert len(results) == len(report.findings)
    expected_levels = {
        "critical": "error",
        "high": "error",
        "medium": "warning",
        "low": "note",
        "info": "note",
    }
    by_id = {f.id: f for f in report.findings}
    for result in results:
        finding = by_id[result["partialFingerprints"][FINGERPRINT_KEY]]
        assert result["ruleId"] == finding.kind
        assert result["level"] == expected_levels[finding.severity.value]
        assert result["message"] == {"text": finding.title}
        properties = result["properties"]
        assert properties["severity"] == finding.severity.value
        assert properties["data_categories"] == [c.value for c in finding.data_categories]
        assert properties["affected_individuals"] == finding.affected_individuals
        assert properties["probe"] == finding.probe


def test_sarif_locations_are_artifacts_for_files_and_logical_otherwise() -> None:
    results = sarif_of(full_report())["runs"][0]["results"]
    by_title = {r["message"]["text"]: r["locations"][0] for r in results}
    relative = by_title["Export holds dates of birth"]
    assert relative == {"physicalLocation": {"artifactLocation": {"uri": "exports/patients%202026.csv"}}}
    absolute = by_title["DICOM file with a patient name tag"]
    assert absolute["physicalLocation"]["artifactLocation"]["uri"] == "file:///srv/share/scan.dcm"
    bucket = by_title["Bucket of lab reports is listable by anyone"]
    assert bucket["logicalLocations"][0]["name"] == "s3://exh-reports"
    assert "physicalLocation" not in bucket


def test_sarif_reports_failed_targets_as_notifications() -> None:
    invocation = sarif_of(full_report())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    notes = invocation["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["error", "timeout", "out-of-scope"]
    assert "refused" in notes[0]["message"]["text"]
    interrupted = sarif_of(make_report(status=ScanStatus.INTERRUPTED))["runs"][0]["invocations"][0]
    assert interrupted["executionSuccessful"] is False


# csv


def test_csv_parses_back_to_one_row_per_finding() -> None:
    report = full_report()
    rows = list(csv.DictReader(io.StringIO(rendered("csv", report), newline="")))
    assert len(rows) == len(report.findings)
    assert tuple(rows[0]) == COLUMNS
    bucket = rows[0]
    assert bucket["severity"] == "critical"
    assert bucket["target"] == "s3://exh-reports"
    assert bucket["data_categories"] == "lab-result;person-name"
    assert bucket["affected_individuals"] == ""
    assert bucket["recipient_host"] == ""
    web = next(r for r in rows if r["kind"] == "phi-to-third-party" and r["severity"] == "high")
    assert web["recipient_host"] == "tracker.example-ads.test"
    assert web["affected_individuals"] == "1"
    assert web["id"] == next(f.id for f in report.findings if f.title == web["title"])


def test_csv_quotes_separators_quotes_and_newlines() -> None:
    title = 'Form "contact", then\nsearch; leaks'
    text = rendered("csv", make_report([make_finding(title=title, remediation="Fix it, then re-scan.")]))
    (row,) = list(csv.DictReader(io.StringIO(text, newline="")))
    assert row["title"] == title
    assert row["remediation"] == "Fix it, then re-scan."


def test_csv_neutralises_spreadsheet_formulas() -> None:
    text = rendered("csv", make_report([make_finding(title="=HYPERLINK(1)", target="@evil")]))
    (row,) = list(csv.DictReader(io.StringIO(text, newline="")))
    assert row["title"] == "'=HYPERLINK(1)"
    assert row["target"] == "'@evil"


# html

EXTERNAL_REFERENCE = re.compile(
    r"""(?:\b(?:src|href|action|poster|srcset|xlink:href)\s*=\s*["']?\s*(?!#)[^"'\s>]"""
    r"""|url\s*\(|@import|https?://[^\s"'<]*\.(?:css|js|woff2?|ttf|png|svg))""",
    re.IGNORECASE,
)


def test_html_contains_every_finding_title() -> None:
    report = full_report()
    page = rendered("html", report)
    for finding in report.findings:
        if finding.title != XSS_TITLE:
            assert finding.title in page


def test_html_fetches_nothing_and_runs_no_script() -> None:
    page = rendered("html", full_report())
    assert EXTERNAL_REFERENCE.findall(page) == []
    assert "<script" not in page.lower()
    for tag in ("<link", "<img", "<iframe", "<object", "<embed"):
        assert tag not in page.lower()
    assert "default-src 'none'" in page


def test_html_escapes_titles() -> None:
    page = rendered("html", full_report())
    assert "&lt;script&gt;alert(1)&lt;/script&gt; in page title" in page


def test_html_shows_urls_in_evidence_as_text_not_links() -> None:
    page = rendered("html", full_report())
    assert "https://tracker.example-ads.test/tr?id=1" in page
    assert 'href="https://tracker' not in page


def test_html_has_charts_summary_and_print_styles() -> None:
    page = rendered("html", full_report())
    assert page.count("<svg") == 4
    for title in ("Findings by severity", "Findings by probe", "Who received or can reach the data",
                  "Timeline: when each finding was seen"):  # fmt: skip
        assert title in page
    assert "@media print" in page
    assert "scan-0001" in page
    assert "2026-11-20 14:30:00 UTC" in page and "2026-11-20 14:42:05 UTC" in page
    assert "Not legal advice" in page


def test_html_orders_findings_by_severity_and_details_each() -> None:
    report = full_report()
    page = rendered("html", report)
    positions = [page.index(f'id="finding-{f.id}"') for f in report.findings]
    severity_of = {pos: f.severity.rank for pos, f in zip(positions, report.findings, strict=True)}
    ranks_in_page_order = [severity_of[pos] for pos in sorted(positions)]
    assert ranks_in_page_order == sorted(ranks_in_page_order, reverse=True)
    assert "120\u2013480 (estimate, 95% confidence)" in page
    assert "object_count" in page and "1520" in page
    assert "Block public access on the bucket." in page
    assert "lab-result, person-name" in page


def test_html_of_an_empty_scan() -> None:
    page = rendered("html", make_report(targets=["https://www.example-health.test/"]))
    assert "No findings" in page
    assert "https://www.example-health.test/" in page
    assert "<svg" in page
    assert EXTERNAL_REFERENCE.findall(page) == []


def test_html_of_a_scan_with_only_outcomes() -> None:
    outcomes = [
        make_outcome(probe="dicom", target="127.0.0.1:4243", status=OutcomeStatus.ERROR, reason="refused"),
        make_outcome(status=OutcomeStatus.OUT_OF_SCOPE, target="https://elsewhere.test/", reason="not allowed"),
    ]
    page = rendered("html", make_report([], outcomes))
    outcomes_section = page[page.index('id="outcomes"') : page.index('class="appendix"')]
    assert "127.0.0.1:4243" in outcomes_section and "refused" in outcomes_section
    assert "out-of-scope" in outcomes_section and "not allowed" in outcomes_section
    assert "No findings" in page


def test_html_renders_scope_rules_in_the_appendix() -> None:
    page = rendered("html", full_report())
    appendix = page[page.index('class="appendix"') :]
    assert "*.example-health.test" in appendix and "127.0.0.1/32" in appendix
    bare = rendered("html", make_report())
    assert "No scope rules were recorded" in bare


def test_html_renders_obligations_only_when_present() -> None:
    plain = rendered("html", full_report())
    assert 'id="obligations"' not in plain
    assert "No assessment in this report" in plain
    obligation = {
        "regime": "GDPR",
        "duty": "notify-authority",
        "recipient": "CNIL",
        "deadline": "2026-11-23T15:30:00+01:00",
        "citation": "GDPR Art. 33",
        "reason": "personal data breach <likely> to result in a risk",
    }
    assessment = {"affected_individuals": 480, "estimate": None, "data_categories": ["lab-result"]}
    page = rendered("html", full_report(assessment=assessment, obligations=[obligation]))
    assert 'id="obligations"' in page
    assert "Notify authority" in page and "2026-11-23T15:30:00+01:00" in page and "GDPR Art. 33" in page
    assert "Mon 23 Nov 2026, 15:30 (UTC+01:00)" in page
    assert "&lt;likely&gt;" in page


# table


@pytest.fixture
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(variable, raising=False)


@pytest.mark.usefixtures("plain_environment")
def test_table_lists_findings_then_a_summary_line() -> None:
    report = full_report()
    text = rendered("table", report)
    assert "\x1b[" not in text, "no colour codes when out is not a terminal"
    for column in ("Severity", "Kind", "Target", "Title", "People"):
        assert column in text
    assert "bucket-public-list" in text and "s3://exh-reports" in text
    assert "~120-480" in text
    last = text.rstrip("\n").splitlines()[-1]
    assert last.startswith("6 findings (1 critical, 2 high, 1 medium, 1 low, 1 info)")
    assert "an estimated 120\u2013532 (95% confidence) people affected" in last
    assert "1 error" in last and "1 timeout" in last and "1 out-of-scope" in last


def test_table_keeps_brackets_in_titles_literal() -> None:
    text = rendered("table", make_report([make_finding(title="Leak via [bold]ud[em][/bold]")]))
    assert "[bold]ud[em][/bold]" in text


def test_table_of_an_empty_scan_is_one_summary_line() -> None:
    assert rendered("table", make_report()).strip() == "0 findings"


# render_to_path


def test_render_to_path_writes_the_same_text_owner_only(tmp_path: Path) -> None:
    report = full_report()
    for fmt in REPORTERS:
        path = tmp_path / f"report.{fmt}"
        render_to_path(fmt, report, path)
        assert path.read_bytes().decode("utf-8") == rendered(fmt, report)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"report.{fmt}" for fmt in REPORTERS)


class HalfWayReporter:
    def write(self, report: ScanReport, out: TextIO) -> None:
        out.write('{"half": ')
        out.flush()
        raise RuntimeError("reporter failed")


def test_render_to_path_leaves_no_partial_file_when_a_reporter_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(report_base.REPORTERS, "broken", HalfWayReporter)
    fresh = tmp_path / "fresh.json"
    with pytest.raises(RuntimeError, match="reporter failed"):
        render_to_path("broken", full_report(), fresh)
    assert list(tmp_path.iterdir()) == []

    existing = tmp_path / "existing.json"
    existing.write_text("previous report", encoding="utf-8")
    with pytest.raises(RuntimeError):
        render_to_path("broken", full_report(), existing)
    assert existing.read_text(encoding="utf-8") == "previous report"
    assert list(tmp_path.iterdir()) == [existing]


def test_render_to_path_rejects_unknown_format_before_touching_disk(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        render_to_path("pdf", make_report(), tmp_path / "report.pdf")
    assert list(tmp_path.iterdir()) == []


def test_render_to_path_into_a_missing_directory_is_a_one_line_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "report.html"
    with pytest.raises(InputError) as caught:
        render_to_path("html", make_report(), missing)
    assert "\n" not in str(caught.value)
    assert str(missing) in str(caught.value)
    assert not (tmp_path / "no").exists()


def test_render_to_path_onto_a_directory_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    with pytest.raises(InputError):
        render_to_path("json", make_report(), target)
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]
    assert os.listdir(target) == []


# factories


def test_make_finding_ids_follow_their_key_evidence() -> None:
    first, second = make_finding(), make_finding(title="Another leak")
    assert first.id != second.id
    assert make_finding().id == first.id
    assert make_finding(id="fixed").id == "fixed"


def test_make_report_collects_targets_from_outcomes_and_findings() -> None:
    report = make_report([make_finding(target="s3://b")], [make_outcome(target="https://a.test/")])
    assert report.scan.targets == ["https://a.test/", "s3://b"]
    assert report.scan.status is ScanStatus.COMPLETE


# the assessed report: exposure, obligations, changes since an earlier scan


def assessed_report() -> AssessedReport:
    """Yesterday a public bucket, a tracking leak and an export; today the export is gone, a new leak appeared."""
    from datetime import timedelta

    from phileak.assess.summary import assess_report
    from phileak.rescan import changes_since
    from phileak.store.diff import diff_findings
    from phileak.testing import SCAN_STARTED

    bucket = make_finding(
        probe="storage", target="s3://exh-reports", kind="bucket-public-list", severity=Severity.CRITICAL,
        title="Anyone can list s3://exh-reports", data_categories=[DataCategory.PERSON_NAME, DataCategory.LAB_RESULT],
        affected_individuals=640, recipient=None, evidence=Evidence(provider="s3", objects=900),
        remediation="Turn on Block Public Access.",
    )  # fmt: skip
    export = make_finding(probe="files", target="/srv/exports/patients.csv", kind="phi-in-file", recipient=None,
                          title="Patient data in patients.csv", affected_individuals=12)  # fmt: skip
    # Tracking leaks count nobody: their people are the pages' visitors.
    leak = make_finding(affected_individuals=None)
    new_leak = make_finding(title="Search terms sent to an analytics vendor", key="search", affected_individuals=None)
    ok = [make_outcome(probe="storage", target="s3://exh-reports"), make_outcome(probe="files", target="/srv/exports"),
          make_outcome()]  # fmt: skip
    organisation = {"name": "Example Health", "entity_type": "covered-entity", "jurisdictions": ["US-CA"],
                    "discovery_date": "2026-11-20"}  # fmt: skip
    old = make_report([bucket, export, leak], ok, scan_id="scan-0000", started=SCAN_STARTED - timedelta(days=1))
    new = make_report([bucket, leak, new_leak], ok, profile={"organisation": organisation, "scope": ["s3://exh-*"]})
    return assess_report(new, [old], changes_since(diff_findings(old.findings, new.findings), old, new))


def test_json_of_an_assessed_report_adds_assessment_obligations_and_changes() -> None:
    report = assessed_report()
    document = json.loads(rendered("json", report))
    assert list(document) == ["phileak_version", "schema_version", "scan", "findings", "summary", "outcomes",
                              "assessment", "obligations", "changes"]  # fmt: skip
    assert document == json.loads(json.dumps(report.to_contract(phileak.__version__)))
    assessment = document["assessment"]
    assert {"affected_individuals", "estimate", "data_categories"} <= set(assessment)
    assert assessment["exposure"]["precision"] in ("exact", "bounds", "estimate", "lower-bound")
    assert document["obligations"], "a 640-person public bucket triggers duties"
    for duty in document["obligations"]:
        assert {"regime", "duty", "recipient", "deadline", "citation", "reason"} <= set(duty)
    changes = document["changes"]
    assert changes["since"]["id"] == "scan-0000"
    assert [f["title"] for f in changes["fixed"]] == ["Patient data in patients.csv"]
    assert len(changes["new"]) == 1 and len(changes["still"]) == 2 and changes["unchecked"] == []


def test_sarif_of_an_assessed_report_validates_and_marks_baseline_states() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    document = sarif_of(assessed_report())
    assert [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)] == []
    run = document["runs"][0]
    states = sorted((r["baselineState"], r["message"]["text"]) for r in run["results"])
    assert states == [
        ("absent", "Patient data in patients.csv"),
        ("new", "Search terms sent to an analytics vendor"),
        ("unchanged", "Anyone can list s3://exh-reports"),
        ("unchanged", "Appointment form sends a hashed email to a tracker"),
    ]
    properties = run["properties"]
    assert properties["since_scan"] == "scan-0000"
    assert {"affected_individuals", "estimate", "data_categories"} <= set(properties["assessment"])
    assert properties["obligations"] and all("deadline" in duty for duty in properties["obligations"])


def test_csv_of_an_assessed_report_has_seen_dates_and_changes() -> None:
    rows = list(csv.DictReader(io.StringIO(rendered("csv", assessed_report()), newline="")))
    by_title = {row["title"]: row for row in rows}
    assert by_title["Patient data in patients.csv"]["change"] == "fixed"
    assert by_title["Search terms sent to an analytics vendor"]["change"] == "new"
    bucket = by_title["Anyone can list s3://exh-reports"]
    assert bucket["change"] == "still there"
    assert (bucket["first_seen"], bucket["last_seen"]) == ("2026-11-19T14:30:00Z", "2026-11-20T14:30:00Z")


def test_html_of_an_assessed_report_is_what_a_privacy_officer_forwards() -> None:
    report = assessed_report()
    page = rendered("html", report)
    assert EXTERNAL_REFERENCE.findall(page) == [] and "<script" not in page.lower()
    summary = page[page.index('id="summary"') : page.index('class="charts-section"')]
    assert 'id="people-figure">at least 640<' in summary
    assert report.obligations
    first = report.obligations[0]
    assert str(escape(first["citation"])) in page
    dated = next(duty for duty in report.obligations if duty["deadline"])
    assert deadline_text(dated["deadline"]) in summary
    assert "Not legal advice" in summary
    for section in ('id="changes"', 'id="obligations"', 'id="risk"', 'id="hhs"', 'id="exposure"', 'id="appendix"'):
        assert section in page
    changes = page[page.index('id="changes"') : page.index('id="obligations"')]
    assert "1 new" in changes and "1 fixed" in changes and "Patient data in patients.csv" in changes
    assert "164.402(2)(i)" in page and "Individuals Affected" in page
    assert page.count("<svg") == 4


def test_html_shows_odd_assessment_shapes_without_failing() -> None:
    odd = full_report(
        assessment={"questions": "not a list", "risk_assessment": [1, 2], "hhs_portal": {"fields": {"Name": 3}},
                    "profile": None, "disclaimer": ""},
        obligations=[{"regime": 1, "deadline": "not a date"}, {}],
    )  # fmt: skip
    page = rendered("html", odd)
    assert 'id="obligations"' in page and "not a date" in page
    assert "Not legal advice" in page


@pytest.mark.parametrize(
    ("deadline", "text"),
    [
        ("2027-01-19", "Tue 19 Jan 2027"),
        ("2026-11-23T15:30:00+01:00", "Mon 23 Nov 2026, 15:30 (UTC+01:00)"),
        (None, "without undue delay (no fixed date)"),
        ("soon", "soon"),
    ],
)
def test_deadline_text(deadline: str | None, text: str) -> None:
    assert deadline_text(deadline) == text


def test_timeline_draws_dots_for_one_scan_and_spans_with_closures_for_several() -> None:
    from phileak.assess.sizing import size_exposure
    from phileak.report.charts import timeline_chart

    single = size_exposure(full_report())
    chart = timeline_chart(single.windows, full_report().scan.started, {})
    assert chart.single_scan and len(chart.spans) == len(full_report().findings)
    assert all(span.x_start == span.x_end for span in chart.spans)
    report = assessed_report()
    assert report.exposure is not None
    chart = timeline_chart(report.exposure.windows, report.scan.started, {})
    assert not chart.single_scan
    closed = [span for span in chart.spans if span.x_closed is not None]
    assert [span.label for span in closed] == ["Patient data in patients.csv"]
    assert all(span.x_start < span.x_end for span in chart.spans if span.label.startswith("Anyone can list"))
