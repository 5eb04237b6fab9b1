"""`scan files` and the names on a file share: names that are not UTF-8, patients' names no detector expects,
extensions that are really dates, a target named after a patient. Whatever the name, every file is reported and
no identifier in a name reaches the report or the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from phileak.probes.files.probe import _masked_name_runs

ROW = "Patient Name,DOB,MRN,Diagnosis\nTammy Alexander,1936-06-15,MRN1585963,HIV\n"


def scan(base: Path, *targets: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    env = {**os.environ, "PHILEAK_KEY_DIR": str(base / "keys")}
    result = subprocess.run(
        [sys.executable, "-m", "phileak.cli", "scan", "files", *map(str, targets), "--db", str(base / "scan.db"),
         "--format", "json", "--out", str(base / "report.json")],
        cwd=base, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return result, json.loads((base / "report.json").read_text())


def everything_written(base: Path, result: subprocess.CompletedProcess[str]) -> bytes:
    written = [(base / "report.json").read_bytes(), (base / "scan.db").read_bytes()]
    return b"\n".join([*written, result.stdout.encode(), result.stderr.encode()])


def test_a_name_that_is_not_utf8_is_reported_and_the_rest_of_the_folder_too(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    (share / "a.csv").write_text(ROW)
    (share / os.fsdecode(b"Dupr\xe9.csv")).write_text(ROW)  # a Latin-1 name on a Linux share
    (share / os.fsdecode(b"Dossiers_Dupr\xe9")).mkdir()
    (share / os.fsdecode(b"Dossiers_Dupr\xe9") / "r.csv").write_text(ROW)
    (share / "z.csv").write_text(ROW)
    result, report = scan(tmp_path, share)
    assert result.returncode == 1
    files = [f for f in report["findings"] if f["kind"] == "phi-in-file"]
    assert len(files) == 4
    assert any("\\xe9" in f["target"] for f in files)  # shown as an escape, never dropped
    [summary] = [f for f in report["findings"] if f["kind"] == "files-people-summary"]
    assert summary["evidence"]["files_with_data"] == 4
    assert [o["status"] for o in report["outcomes"]] == ["ok"]


def test_patient_names_in_file_and_folder_names_are_not_shown(tmp_path: Path) -> None:
    share = tmp_path / "share"
    (share / "OKAFOR_PRIYA").mkdir(parents=True)
    (share / "OKAFOR_PRIYA" / "results.txt").write_text("Glucose 180 mg/dL. Type 2 diabetes.\n")
    (share / "Casey Leonard.txt").write_text("Follow-up: HIV viral load undetectable.\n")
    (share / "Okafor.Priya.19670915").write_bytes(bytes(range(256)) * 8)  # unreadable, named after her
    (share / "radiology" / "2023").mkdir(parents=True)
    (share / "radiology" / "2023" / "RAD_000001_648.csv").write_text(ROW)
    result, report = scan(tmp_path, share)
    written = everything_written(tmp_path, result)
    for value in (b"Okafor", b"OKAFOR", b"Priya", b"PRIYA", b"Casey", b"Leonard", b"19670915", b"Tammy"):
        assert value not in written, value
    targets = {Path(f["target"]).name for f in report["findings"]}
    assert "RAD_000001_648.csv" in targets  # ordinary names stay as they are: the officer must find the file
    [unreadable] = [f for f in report["findings"] if f["kind"] == "file-unreadable"]
    assert unreadable["evidence"].get("extension") is None  # ".19670915" is a date, not an extension


def test_a_target_named_after_a_patient_is_not_shown_in_the_summary(tmp_path: Path) -> None:
    target = tmp_path / "Alexander_Tammy_labs.csv"
    target.write_text(ROW)
    _, report = scan(tmp_path, target)
    [summary] = [f for f in report["findings"] if f["kind"] == "files-people-summary"]
    assert "Alexander" not in summary["target"] and "Tammy" not in summary["target"]
    assert summary["target"].endswith("A****_T****_labs.csv")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Priya Okafor.txt", "P**** O****.txt"),
        ("OKAFOR_PRIYA/results.txt", "O****_P****/results.txt"),
        ("Dupré, Élodie.PDF", "D****, É****.PDF"),
        ("O'Neil_Mary-Kate.docx", "O****_M****.docx"),
        ("radiology/2023/RAD_000001_648.pdf", "radiology/2023/RAD_000001_648.pdf"),
        ("patients_export.csv", "patients_export.csv"),
        ("Results.pdf", "Results.pdf"),
    ],
)
def test_runs_of_capitalised_words_are_masked(name: str, shown: str) -> None:
    assert _masked_name_runs(name) == shown


def test_a_named_pipe_is_refused_with_its_own_reason(tmp_path: Path) -> None:
    from phileak.errors import InputError
    from phileak.probes.files.walk import walk

    pipe = tmp_path / "p.csv"
    os.mkfifo(pipe)
    with pytest.raises(InputError, match="not a regular file or folder"):
        list(walk(pipe, max_files=10))


def test_health_information_alone_is_not_called_personal_identifiers(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    (share / "report.txt").write_text("Glucose 180 mg/dL\n")
    _, report = scan(tmp_path, share)
    [finding] = [f for f in report["findings"] if f["kind"] in ("pii-in-file", "phi-in-file")]
    assert finding["title"].startswith("Health information, with no identifier found, in report.txt")
    assert not finding["evidence"].get("identifiers")


def test_a_pdf_of_scanned_pages_is_reported_as_not_read(tmp_path: Path) -> None:
    """No text layer is no evidence of no patient data: the file gets its own finding and the summary says so."""
    from test_extract_formats import scanned_pdf

    share = tmp_path / "share"
    share.mkdir()
    (share / "scan.pdf").write_bytes(scanned_pdf())
    (share / "a.csv").write_text(ROW)
    _, report = scan(tmp_path, share)
    [no_text] = [f for f in report["findings"] if f["kind"] == "file-no-text"]
    assert no_text["target"].endswith("scan.pdf") and "no text layer" in no_text["title"]
    [summary] = [f for f in report["findings"] if f["kind"] == "files-people-summary"]
    assert summary["evidence"]["files_without_text"] == 1 and "1 PDF without a text layer" in summary["title"]
