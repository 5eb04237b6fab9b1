"""Re-scan and diff on real scans: `phileak diff`, `phileak report --since` and `phileak verify`, run as a user
runs them (the CLI, in this process so the PHI engine loads once), on real folders scanned by the real `files`
probe, and on a real public bucket in the lab's SeaweedFS that is then made private."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from phileak.cli import app
from phileak.probes import BUILTIN_PROBES
from test_cli import PLANTED, raw_values

FILES_PROBE = "phileak.probes.files.probe:FilesProbe"
PLANTED_PROBE = "planted_probe:PlantedProbe"

# Synthetic people (reserved .test domains, invented names and numbers).
EXPORT = (
    "name,date_of_birth,mrn,diagnosis\n"
    "Zebulon Quartermaine,1957-03-14,MRN-4471920,Type 2 diabetes\n"
    "Philippa Oyelaran-Voss,1988-11-02,MRN-8830211,Asthma\n"
)
LETTER = (
    "Discharge summary\nPatient: Casimir Ellingwood\nDate of birth: 1974-07-30\nMRN: MRN-1200457\n"
    "Diagnosis: essential hypertension. Medication: lisinopril 10 mg.\n"
)
RAW = ["Zebulon Quartermaine", "Philippa Oyelaran-Voss", "Casimir Ellingwood", "MRN-4471920", "1957-03-14"]

Cli = Callable[..., Result]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("PHILEAK_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, probe: str = FILES_PROBE, code: int | None = 0) -> Result:
        monkeypatch.setitem(BUILTIN_PROBES, "files", probe)
        result = runner.invoke(app, ["--verbose", *args], catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, result.stdout + result.stderr
        for value in [*RAW, *raw_values()]:
            assert value not in result.stdout + result.stderr, f"{value!r} leaked from {args[0]}"
        return result

    return run


def scan_id(result: Result) -> str:
    return str(json.loads(result.stdout)["scan"]["id"])


def finding_ids(result: Result) -> dict[str, str]:
    """Finding id by target file name (the folder summary under its folder's name)."""
    return {Path(f["target"]).name: f["id"] for f in json.loads(result.stdout)["findings"]}


def test_a_removed_export_shows_as_fixed_in_diff_report_and_verify(tmp_path: Path, cli: Cli) -> None:
    share = tmp_path / "share"
    share.mkdir()
    (share / "export.csv").write_text(EXPORT, encoding="utf-8")
    (share / "letter.txt").write_text(LETTER, encoding="utf-8")
    before = cli("scan", "files", str(share), "--format", "json", code=1)
    ids = finding_ids(before)
    assert {"export.csv", "letter.txt", "share"} <= set(ids)

    (share / "export.csv").unlink()  # the fix
    after = cli("scan", "files", str(share), "--format", "json", code=1)
    first, second = scan_id(before), scan_id(after)

    diff = json.loads(cli("diff", first, second, "--format", "json").stdout)
    assert [f["id"] for f in diff["fixed"]] == [ids["export.csv"]]
    assert {f["id"] for f in diff["still"]} == {ids["letter.txt"], ids["share"]}
    assert diff["new_findings"] == [] and diff["unchecked"] == []
    table = cli("diff", first, second).stdout
    assert "0 new, 1 fixed, 2 still there, 0 not re-checked" in table and "export.csv" in table

    report = json.loads(cli("report", "--scan", second, "--since", first, "--format", "json").stdout)
    assert [f["id"] for f in report["changes"]["fixed"]] == [ids["export.csv"]]
    windows = {w["finding_id"]: w for w in report["assessment"]["exposure"]["windows"]}
    gone = windows[ids["export.csv"]]
    assert (gone["first_scan"], gone["last_scan"], gone["closed_scan"]) == (first, first, second)
    assert gone["present"] is False
    assert windows[ids["letter.txt"]]["scans_seen"] == 2
    assert report["assessment"]["affected_individuals"] == 1  # the letter's patient; the export's are gone
    html = cli("report", "--scan", second, "--since", "previous", "--format", "html", "--out", "since.html")
    assert "wrote html report" in html.stderr
    page = (tmp_path / "since.html").read_text(encoding="utf-8")
    assert "1 fixed" in page and "export.csv" in page[page.index('id="changes"') :]

    fixed = cli("verify", ids["export.csv"])
    assert f"re-checked files {share} as scan" in fixed.stdout  # the file is gone: its folder is re-scanned
    assert "FIXED: the re-check of" in fixed.stdout
    still = cli("verify", ids["letter.txt"][:10], "--format", "json", code=1)
    verdict = json.loads(still.stdout)
    assert verdict["verdict"] == "still-present"
    assert verdict["verified_target"] == {"probe": "files", "target": str(share / "letter.txt")}
    # Seen by both scans, by the folder re-scan of the first verify, and by this one.
    assert verdict["window"]["scans_seen"] == 4 and verdict["window"]["first_scan"] == first


def test_verify_of_a_deleted_file_target_and_bad_finding_ids(tmp_path: Path, cli: Cli) -> None:
    record = tmp_path / "record.json"
    record.write_text(json.dumps(PLANTED[0]), encoding="utf-8")
    scanned = cli("scan", "files", str(record), "--format", "json", probe=PLANTED_PROBE, code=1)
    [finding] = json.loads(scanned.stdout)["findings"]
    still = cli("verify", finding["id"], probe=PLANTED_PROBE, code=1)
    assert "STILL PRESENT" in still.stdout
    record.unlink()
    gone = cli("verify", finding["id"], probe=PLANTED_PROBE)
    assert "FIXED" in gone.stdout and "no longer exists" in gone.stdout
    for bad, message in [("abc", "too short"), ("ffffffffffff", "no finding 'ffffffffffff'")]:
        error = cli("verify", bad, probe=PLANTED_PROBE, code=2)
        assert message in error.stderr and len(error.stderr.strip().splitlines()) == 1


def test_diff_tells_unchecked_from_fixed_and_fails_on_new_findings(tmp_path: Path, cli: Cli) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps(PLANTED[0]), encoding="utf-8")
    second.write_text(json.dumps(PLANTED[1]), encoding="utf-8")
    one = scan_id(cli("scan", "files", str(first), "--format", "json", probe=PLANTED_PROBE, code=1))
    two = scan_id(cli("scan", "files", str(second), "--format", "json", probe=PLANTED_PROBE, code=1))
    diff = cli("diff", one, two, "--format", "json", probe=PLANTED_PROBE, code=1)  # a new high finding
    data = json.loads(diff.stdout)
    assert data["fixed"] == [] and len(data["unchecked"]) == 1 and len(data["new_findings"]) == 1
    quiet = cli("diff", one, two, "--fail-on", "critical", probe=PLANTED_PROBE)
    assert "1 not re-checked" in quiet.stdout
    missing = cli("diff", one, "no-such-scan", probe=PLANTED_PROBE, code=2)
    assert "no scan 'no-such-scan'" in missing.stderr
    since = cli("report", "--since", two, "--scan", two, probe=PLANTED_PROBE, code=2)
    assert "names the reported scan itself" in since.stderr


# ---------------------------------------------------------------- a real bucket, made private


@pytest.fixture
def lab(request: pytest.FixtureRequest) -> Any:
    from storage_peers import seaweed

    return seaweed(request)


def test_verify_says_the_bucket_really_went_private(tmp_path: Path, cli: Cli, lab: Any) -> None:
    from phileak.lab.storage_services import public_policy
    from storage_peers import PATIENT_TEXT

    client = owner_client(lab)
    bucket = f"lgh-verify-{secrets.token_hex(4)}"
    client.create_bucket(Bucket=bucket)
    try:
        client.put_object(Bucket=bucket, Key="reports/lab-report-1.txt", Body=PATIENT_TEXT)
        client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_policy(bucket)))
        where = ["--endpoint", lab.endpoint, "--allow", "s3://lgh-*", "--allow", "127.0.0.1/32"]
        scanned = json.loads(cli("scan", "storage", f"s3://{bucket}", *where, "--format", "json", code=1).stdout)
        listing = next(f for f in scanned["findings"] if f["kind"] == "bucket-public-list")

        open_still = json.loads(cli("verify", listing["id"], "--endpoint", lab.endpoint, "-f", "json", code=1).stdout)
        assert open_still["verdict"] == "still-present"

        client.delete_bucket_policy(Bucket=bucket)  # the fix
        closed = json.loads(cli("verify", listing["id"], "--endpoint", lab.endpoint, "-f", "json").stdout)
        assert closed["verdict"] == "fixed", closed["reason"]
        assert closed["verified_target"] == {"probe": "storage", "target": f"s3://{bucket}"}
        assert closed["window"]["closed_scan"] == closed["scan"]["id"]
        assert [o["status"] for o in closed["outcomes"]] == ["ok"]
    finally:
        for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
        client.delete_bucket(Bucket=bucket)


def owner_client(lab: Any) -> Any:
    """The lab owner's S3 client, to make a bucket public and then private again."""
    import boto3
    from botocore.config import Config

    from phileak.lab.storage_services import SEAWEEDFS, lab_credentials

    credentials = lab_credentials(lab.lab.data_root / SEAWEEDFS.name)
    return boto3.client(
        "s3", endpoint_url=lab.endpoint, aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key, region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}),
    )  # fmt: skip


def test_report_since_a_later_scan_is_refused(tmp_path: Path, cli: Cli) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps(PLANTED[0]), encoding="utf-8")
    second.write_text(json.dumps(PLANTED[1]), encoding="utf-8")
    one = scan_id(cli("scan", "files", str(first), "--format", "json", probe=PLANTED_PROBE, code=1))
    two = scan_id(cli("scan", "files", str(second), "--format", "json", probe=PLANTED_PROBE, code=1))
    inverted = cli("report", "--scan", one, "--since", two, "--format", "json", probe=PLANTED_PROBE, code=2)
    assert f"--since scan {two} started after the reported scan {one}" in inverted.stderr
    assert len(inverted.stderr.strip().splitlines()) == 1
    forward = cli("report", "--scan", two, "--since", one, "--format", "json", probe=PLANTED_PROBE)
    assert json.loads(forward.stdout)["changes"]["since"]["id"] == one
