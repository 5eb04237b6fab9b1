"""The command line as a user runs it: a real `phileak` process, a real store, real reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from phileak import __version__

TESTS = Path(__file__).parent
# Runs the CLI with some built-in probes replaced: the planted probe for `files`, or None ("not built").
WITH_PROBES = (
    "import json, os, sys, phileak.probes as p; p.BUILTIN_PROBES.update(json.loads(os.environ['TEST_PROBES'])); "
    "from phileak.cli import main; sys.argv[0] = 'phileak'; main()"
)

PLANTED = [
    {"name": "Zebulon Quartermaine", "dob": "1957-03-14", "email": "zebulon.q@mailbox.test", "mrn": "MRN-4471920"},
    {"name": "Philippa Oyelaran-Voss", "dob": "1988-11-02", "email": "p.voss@mailbox.test", "mrn": "MRN-8830211"},
    {"name": "Casimir Ellingwood", "dob": "1974-07-30", "email": "cas.ell@mailbox.test", "mrn": "MRN-1200457",
     "fail": True},
]


def phileak(
    *args: str, cwd: Path, planted: bool = False, probes: dict[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PHILEAK_KEY_DIR": str(cwd / "keys"), "COLUMNS": "200"}
    replaced = dict(probes or {})
    if planted:
        replaced["files"] = "planted_probe:PlantedProbe"
    if replaced:
        env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
        env["TEST_PROBES"] = json.dumps(replaced)
        command = [sys.executable, "-c", WITH_PROBES, *args]
    else:
        command = [sys.executable, "-m", "phileak.cli", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def plan_text(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(
        '[organisation]\nname = "Example Health"\nentity_type = "covered-entity"\n'
        'jurisdictions = ["US-CA"]\ndiscovery_date = 2026-11-20\n' + body
    )
    return path


def test_version(tmp_path: Path) -> None:
    result = phileak("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"phileak {__version__}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "web", "https://www.exh.test/"], "the 'web' probe is not built yet"),
        (["scan", "dicom", "127.0.0.1:4242"], "the 'dicom' probe is not built yet"),
        (["scan", "storage", "s3://exh-reports"], "the 'storage' probe is not built yet"),
        (["scan", "har", "capture.har"], "the 'har' probe is not built yet"),
        (["scan", "web", "ftp://x.test/"], "not a web URL"),
        (["scan", "storage", "ftp://bucket"], "unknown storage target"),
        (["scan", "dicom", "host:99999"], "not a DICOM target"),
        (["scan", "dicom", "127.0.0.1", "--level", "loud"], "unknown --level"),
        (["scan", "files", "/no/such/path"], "no such file"),
        (["audit", "missing.toml"], "no such file"),
        (["report", "--format", "html"], "no store"),
    ],
)
def test_usage_and_input_errors_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    unbuilt: dict[str, str | None] = {"web": None, "dicom": None, "storage": None, "har": None}
    result = phileak(*args, cwd=tmp_path, probes=unbuilt)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "phileak.db").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[scope]\nallow = ["10.0.0.300/8"]\n[[files]]\npath = "x"\n', "10.0.0.300/8"),
        ("[scope\n", "malformed TOML"),
        ('[[web]]\nurl = "gopher://x.test/"\n', "not a web URL"),
    ],
)
def test_bad_plan_writes_nothing(tmp_path: Path, body: str, message: str) -> None:
    result = phileak("audit", str(plan_text(tmp_path, body)), cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "phileak.db").exists()


def test_unopenable_db_is_exit_2(tmp_path: Path) -> None:
    plan = plan_text(tmp_path, '[[files]]\npath = "x"\n')
    result = phileak("audit", str(plan), "--db", str(tmp_path / "no" / "such" / "dir.db"), cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_audit_with_unbuilt_probes_stores_one_scan_and_reports_refusals(tmp_path: Path) -> None:
    plan = plan_text(
        tmp_path,
        '[scope]\nallow = ["*.example-health.test", "127.0.0.1/32"]\n'
        '[[web]]\nurl = "https://www.example-health.test/"\n'
        '[[web]]\nurl = "https://www.elsewhere.test/"\n'
        '[[dicom]]\ntarget = "127.0.0.1:4242"\n',
    )
    unbuilt: dict[str, str | None] = {"web": None, "dicom": None}
    result = phileak("audit", str(plan), "--format", "json", cwd=tmp_path, probes=unbuilt)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    outcomes = {(o["probe"], o["target"]): o for o in report["outcomes"]}
    assert outcomes[("web", "https://www.elsewhere.test/")]["status"] == "out-of-scope"
    assert outcomes[("web", "https://www.example-health.test/")]["status"] == "skipped"
    assert "not built yet" in outcomes[("dicom", "127.0.0.1:4242")]["reason"]
    [refusal] = report["findings"]
    assert refusal["kind"] == "out-of-scope-refused" and refusal["severity"] == "info"
    assert refusal["target"] == "https://www.elsewhere.test/"
    assert report["assessment"]["affected_individuals"] == 0
    assert report["scan"]["id"]

    html = phileak("report", "--format", "html", "--out", "r.html", cwd=tmp_path, probes=unbuilt)
    assert html.returncode == 0, html.stderr
    assert "www.elsewhere.test" in (tmp_path / "r.html").read_text()


def test_fail_on_sets_exit_status(tmp_path: Path) -> None:
    plan = plan_text(tmp_path, '[scope]\nallow = ["*.exh.test"]\n[[web]]\nurl = "https://out.other.test/"\n')
    assert phileak("audit", str(plan), "--format", "json", cwd=tmp_path).returncode == 0
    failing = phileak("audit", str(plan), "--format", "json", "--fail-on", "info", cwd=tmp_path)
    assert failing.returncode == 1


def planted_files(tmp_path: Path) -> list[Path]:
    paths = []
    for number, record in enumerate(PLANTED):
        path = tmp_path / f"record{number}.json"
        path.write_text(json.dumps(record))
        paths.append(path)
    return paths


def raw_values() -> list[str]:
    return [record[key] for record in PLANTED for key in ("name", "dob", "email", "mrn")]


def test_planted_identifiers_never_reach_logs_store_or_reports(tmp_path: Path) -> None:
    paths = planted_files(tmp_path)
    scan = phileak("-v", "scan", "files", *map(str, paths), "--format", "json", "--out", "out.json",
                   cwd=tmp_path, planted=True)
    assert scan.returncode == 1, scan.stderr  # two high findings
    for fmt in ("html", "sarif", "csv", "jsonl"):
        assert phileak("report", "--format", fmt, "--out", f"out.{fmt}", cwd=tmp_path, planted=True).returncode == 0

    report = json.loads((tmp_path / "out.json").read_text())
    assert len(report["findings"]) == 2
    errors = [o for o in report["outcomes"] if o["status"] == "error"]
    assert len(errors) == 1 and "RuntimeError" in errors[0]["reason"]
    assert "J*** S****" not in report["findings"][0]["evidence"]["excerpt"]  # shaped like the name, not it
    assert report["findings"][0]["evidence"]["identity_hashes"][0].startswith("h:")

    places = {"stderr (logs)": scan.stderr, "stdout": scan.stdout}
    for path in tmp_path.iterdir():
        if path.is_file() and not path.name.startswith("record"):
            places[path.name] = path.read_bytes().decode("utf-8", "replace")
    assert "read patient" in places["stderr (logs)"]  # the log line is there, scrubbed
    assert {"phileak.db", "out.json", "out.html", "out.sarif", "out.csv", "out.jsonl"} <= set(places)
    for where, text in places.items():
        for value in raw_values():
            for form in {value, value.lower(), value.upper()}:
                assert form not in text, f"{value!r} leaked into {where}"


def test_same_person_hashes_alike_across_rescans(tmp_path: Path) -> None:
    paths = planted_files(tmp_path)[:1]
    first = phileak("scan", "files", str(paths[0]), "-f", "json", cwd=tmp_path, planted=True)
    second = phileak("scan", "files", str(paths[0]), "-f", "json", cwd=tmp_path, planted=True)
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert one["scan"]["id"] != two["scan"]["id"]
    assert one["findings"][0]["id"] == two["findings"][0]["id"]
    assert one["findings"][0]["evidence"]["identity_hashes"] == two["findings"][0]["evidence"]["identity_hashes"]
    key_file = tmp_path / "phileak.db.key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert key_file.read_text().strip() not in first.stdout


def test_lab_commands_round_trip(tmp_path: Path) -> None:
    state = str(tmp_path / "lab")
    up = phileak("lab", "up", "--state-dir", state, cwd=tmp_path)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert "www" in up.stdout and "running" in up.stdout
        plan = tomllib.loads((tmp_path / "lab" / "plan.toml").read_text())
        assert plan["web"][0]["url"].startswith("http://www.lab-hospital.test:")
        status = phileak("lab", "status", "--state-dir", state, cwd=tmp_path)
        assert "running" in status.stdout
    finally:
        down = phileak("lab", "down", "--state-dir", state, cwd=tmp_path)
    assert down.returncode == 0
    assert phileak("lab", "status", "--state-dir", state, cwd=tmp_path).stdout.startswith("www: stopped")


def test_verbose_logging_keeps_libraries_that_log_whole_urls_quiet() -> None:
    """httpx, botocore and the Azure SDK log every request's URL at INFO: an object key is often a patient's
    name, so -v shows phileak's own lines, not theirs."""
    import logging

    from phileak.cli import URL_LOGGING_LIBRARIES, _configure_logging

    _configure_logging(True)
    for name in URL_LOGGING_LIBRARIES:
        assert not logging.getLogger(name).isEnabledFor(logging.INFO)
