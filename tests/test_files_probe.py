"""`phileak scan files` end to end on a folder of generated PDFs, DOCX, CSV, JSON, text captures and DICOM files
(the labelled corpus, EN + FR), with bombs and malformed files among them: per-category recall and precision per
file against the corpus truth, PHI in file names, distinct people, one-line errors, and no raw identifier in the
report, the store or the logs. `pytest -s` prints the per-category table."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from phileak.lab.corpus import NAME_SEGMENT, Form, Kind, LabelledDoc, files, generate_corpus, render
from phileak.model import DataCategory
from phileak.phi.spec import HEALTH_CATEGORIES, IDENTIFIER_CATEGORIES, PROVIDER_CATEGORIES

PATIENTS, SEED = 40, 3
IDENTIFIER_RECALL, HEALTH_RECALL, PRECISION = 0.98, 0.95, 0.95
PEOPLE_TOLERANCE = 0.10
# Values a tracker sent hashed are found by the web probe's canaries, not in files; search terms are a web notion.
NOT_SCORED = {DataCategory.SEARCH_TERM}
# Identifiers long enough that finding one in an output cannot be a coincidence.
LEAK_CHECKED = {DataCategory.PERSON_NAME, DataCategory.EMAIL, DataCategory.SSN, DataCategory.PHONE,
                DataCategory.MRN, DataCategory.FR_NIR, DataCategory.HEALTH_PLAN_ID, DataCategory.ADDRESS}  # fmt: skip


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes.txt", b"nothing here")
        with archive.open("export.csv", "w") as member:
            for _ in range(64):
                member.write(bytes(4 << 20))  # 256 MiB of zeros, about 250 KiB compressed
    return buffer.getvalue()


def hostile_files(victim: LabelledDoc) -> dict[str, bytes]:
    """Bombs and damaged files; one carries a patient's name in its file name."""
    pdf = render(victim, "pdf")
    return {
        "incoming/bomb.zip": zip_bomb(),
        "incoming/bomb.csv.gz": gzip.compress(bytes(64 << 20)),
        f"incoming/LAB_{victim_name(victim).replace(' ', '_').upper()}_cut.pdf": pdf[: len(pdf) // 2],
        "incoming/header-only.pdf": b"%PDF-1.7\n" + os.urandom(3000),
        "incoming/cut.docx": render(victim, "docx")[:-300],
        "incoming/garbage.dcm": b"\0" * 128 + b"DICM" + os.urandom(400),
    }


def victim_name(doc: LabelledDoc) -> str:
    return next(doc.text(g) for g in doc.gold if g.category is DataCategory.PERSON_NAME and g.segment != NAME_SEGMENT)


@dataclass(frozen=True)
class Run:
    root: Path
    docs: list[LabelledDoc]
    hostile: dict[str, bytes]
    result: subprocess.CompletedProcess[str]
    report: dict[str, Any]
    by_doc: dict[str, dict[str, Any]]  # file name -> its finding

    def findings(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.report["findings"] if f["kind"] == kind]


def _finding_per_doc(root: Path, docs: list[LabelledDoc], findings: list[dict[str, Any]]) -> dict[str, dict]:
    """Reports show file names with identifiers redacted ("LAB_R****_J****_19******_R00011.pdf"): a shown name
    is matched back to the corpus name it can stand for (the document numbers keep that unique)."""
    shown = []
    for finding in findings:
        relative = finding["target"].removeprefix(str(root) + "/")
        shown.append((re.compile(re.sub(r"(\\\*)+", "[^/]*?", re.escape(relative)) + "$"), finding))
    matched: dict[str, dict[str, Any]] = {}
    for doc in docs:
        hits = [finding for pattern, finding in shown if pattern.match(doc.file_name)]
        assert len(hits) <= 1, f"{doc.file_name} matches {len(hits)} findings"
        if hits:
            matched[doc.file_name] = hits[0]
    return matched


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("files-probe")
    root = base / "share"
    docs = generate_corpus(PATIENTS, seed=SEED)
    for name, data in files(docs):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    victim = next(d for d in docs if d.kind is Kind.LAB_REPORT)
    hostile = hostile_files(victim)
    for name, data in hostile.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    env = {**os.environ, "PHILEAK_KEY_DIR": str(base / "keys")}
    result = subprocess.run(
        [sys.executable, "-m", "phileak.cli", "-v", "scan", "files", str(root), "--db", str(base / "scan.db"),
         "--format", "json", "--out", str(base / "report.json")],
        cwd=base, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr[-2000:]  # critical findings
    report = json.loads((base / "report.json").read_text())
    findings = [f for f in report["findings"] if f["kind"] in ("phi-in-file", "pii-in-file")]
    return Run(root, docs, hostile, result, report, _finding_per_doc(root, docs, findings))


# A value sent hashed (a tracker's ud[em]=<sha256>) is still that identifier (phi/hashed.py).
_READ_FORMS = (Form.PLAIN, Form.SHA256)


def _truth(doc: LabelledDoc) -> set[str]:
    return {g.category.value for g in doc.gold if g.form in _READ_FORMS and g.category not in NOT_SCORED}


def test_every_file_with_personal_data_gets_a_finding_and_no_other_file_does(run: Run) -> None:
    expected = {doc.file_name for doc in run.docs if _truth(doc)}
    assert set(run.by_doc) == expected
    assert len(run.findings("phi-in-file")) + len(run.findings("pii-in-file")) == len(expected)
    for doc in run.docs:
        finding = run.by_doc.get(doc.file_name)
        # A clinic's page URL alone names no one.
        readable = {g.category for g in doc.gold if g.form in _READ_FORMS} & IDENTIFIER_CATEGORIES - {DataCategory.URL}
        if doc.phi and readable:
            assert finding is not None and finding["kind"] == "phi-in-file", doc.file_name
        elif finding is not None:
            assert finding["kind"] == "pii-in-file" or doc.phi, f"{doc.file_name} has no health context"


def test_recall_and_precision_per_category_meet_the_targets(run: Run) -> None:
    counts: dict[str, Counter[str]] = {}
    for doc in run.docs:
        truth = _truth(doc)
        finding = run.by_doc.get(doc.file_name)
        got = set(finding["data_categories"]) if finding else set()
        for category in truth | got:
            outcome = "tp" if category in truth and category in got else "fn" if category in truth else "fp"
            counts.setdefault(category, Counter())[outcome] += 1
    lines, failures = ["category            files  recall  precision"], []
    for category, count in sorted(counts.items()):
        recall = count["tp"] / ((count["tp"] + count["fn"]) or 1)
        precision = count["tp"] / ((count["tp"] + count["fp"]) or 1)
        lines.append(f"{category:18} {count['tp'] + count['fn']:6}  {recall:6.2f}  {precision:9.2f}")
        health = DataCategory(category) in HEALTH_CATEGORIES - PROVIDER_CATEGORIES
        if recall < (HEALTH_RECALL if health else IDENTIFIER_RECALL) or precision < PRECISION:
            failures.append(lines[-1])
    print("\n" + "\n".join(lines))
    assert not failures, "\n".join(failures)
    scored = {DataCategory(c) for c in counts}
    assert {DataCategory.PERSON_NAME, DataCategory.DATE_OF_BIRTH, DataCategory.MRN, DataCategory.SSN,
            DataCategory.FR_NIR, DataCategory.LAB_RESULT, DataCategory.HEALTH_CONDITION} <= scored  # fmt: skip
    assert scored & IDENTIFIER_CATEGORIES


def test_every_format_of_the_corpus_was_read(run: Run) -> None:
    read = Counter(f["evidence"]["format"] for f in run.by_doc.values())
    for fmt in ("pdf", "docx", "csv", "json", "dicom", "text"):
        assert read[fmt] > 0, read


def test_identifiers_in_file_names_are_found_and_never_shown(run: Run) -> None:
    named = [doc for doc in run.docs if any(g.segment == NAME_SEGMENT for g in doc.gold)]
    assert len(named) >= 10
    for doc in named:
        finding = run.by_doc[doc.file_name]
        in_name = {g.category.value for g in doc.gold if g.segment == NAME_SEGMENT}
        assert in_name <= set(finding["evidence"]["in_file_name"]), doc.file_name
        assert "also in its file name" in finding["title"]
        for gold in doc.gold:
            if gold.segment == NAME_SEGMENT:
                assert doc.text(gold) not in finding["target"] and doc.text(gold) not in finding["title"]


def test_distinct_people_match_the_truth(run: Run) -> None:
    [summary] = run.findings("files-people-summary")
    truth = len({pid for doc in run.docs for pid in doc.patient_ids})
    counted = summary["affected_individuals"]
    print(f"\npeople: {counted} counted, {truth} true; files {summary['evidence']}")
    assert abs(counted - truth) <= PEOPLE_TOLERANCE * truth
    assert summary["evidence"]["files_scanned"] == len(run.docs) + len(run.hostile)
    # A damaged file whose name holds a patient's name holds personal data too, though its content is unread
    named = [f for f in run.findings("file-unreadable") if f["data_categories"]]
    assert [f["target"].endswith("_cut.pdf") for f in named] == [True]
    assert "person-name" in named[0]["data_categories"] and "its name holds personal data" in named[0]["title"]
    assert summary["evidence"]["files_with_data"] == len(run.by_doc) + 1
    assert summary["evidence"]["files_unreadable"] == len(run.hostile)


def test_bombs_and_damaged_files_each_get_a_one_line_error_and_the_scan_goes_on(run: Run) -> None:
    unreadable = run.findings("file-unreadable")
    assert len(unreadable) == len(run.hostile)
    reasons = {Path(f["target"]).name: f["evidence"]["reason"] for f in unreadable}
    assert all("\n" not in reason and len(reason) < 300 for reason in reasons.values())
    assert "max_compression_ratio" in reasons["bomb.zip"]
    assert "max_compression_ratio" in reasons["bomb.csv.gz"]
    assert "malformed PDF" in reasons["header-only.pdf"]
    assert "DICOM" in reasons["garbage.dcm"]
    [cut_pdf] = [f for f in unreadable if f["target"].endswith("_cut.pdf")]
    victim = next(d for d in run.docs if d.kind is Kind.LAB_REPORT)
    assert victim_name(victim).split()[-1].upper() not in cut_pdf["target"]  # the name in it is redacted
    assert [o["status"] for o in run.report["outcomes"]] == ["ok"]


def test_no_raw_identifier_reaches_the_report_the_store_or_the_logs(run: Run) -> None:
    base = run.root.parent
    places = {"stderr": run.result.stderr, "stdout": run.result.stdout}
    for path in base.iterdir():
        if path.is_file():
            places[path.name] = path.read_bytes().decode("utf-8", "replace")
    assert {"scan.db", "report.json"} <= set(places)
    values = {doc.text(g) for doc in run.docs for g in doc.gold
              if g.category in LEAK_CHECKED and g.form is Form.PLAIN and len(doc.text(g)) >= 8}  # fmt: skip
    assert len(values) > 100
    for where, text in places.items():
        lowered = text.lower()
        leaked = sorted(v for v in values if v.lower() in lowered)
        assert not leaked, f"{len(leaked)} identifiers in {where}, e.g. {leaked[0][:2]}…"


def scan_in_process(share: Path) -> list[Any]:
    """The files probe over `share` in this process (so a test can patch its limits), its findings in order."""
    import asyncio

    from phileak.phi.identity import IdentityHasher
    from phileak.probes.base import Limits, ScanContext
    from phileak.probes.files.probe import FilesProbe
    from phileak.scope import Scope
    from phileak.targets import parse_target

    ctx = ScanContext(
        scan_id="files-in-process", scope=Scope.from_rules([]), identity=IdentityHasher(b"files-test-key-0123456789"),
        limits=Limits(timeout_s=600), options={},
    )  # fmt: skip

    async def scan() -> list[Any]:
        return [finding async for finding in FilesProbe().scan(parse_target("files", str(share)), ctx)]

    return asyncio.run(scan())


def test_a_file_the_engine_cannot_finish_in_time_is_a_one_line_error_and_the_scan_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine runs in a worker process under phileak's wall clock: a file it does not finish in time costs
    that file (the worker is killed and replaced), not the scan."""
    from phileak.phi import worker

    share = tmp_path / "share"
    share.mkdir()
    (share / "a-letter.txt").write_text("Patient: Jane Roe, DOB 04/03/1981. HIV test ordered.\n")
    (share / "Omar_Haddad.txt").write_text("Patient: Omar Haddad, MRN 4481122. Asthma.\n" * 60_000)
    (share / "z-letter.txt").write_text("Patient: Ada Brisk, DOB 02/01/1979. Diabetes follow-up.\n")
    monkeypatch.setattr(worker, "call_timeout", lambda characters, documents=1: 0.3 if characters > 1e6 else 120)
    findings = scan_in_process(share)
    by_kind: dict[str, list[Any]] = {}
    for finding in findings:
        by_kind.setdefault(finding.kind, []).append(finding)
    [unreadable] = by_kind["file-unreadable"]
    assert "wall-clock" in unreadable.evidence.model_dump()["reason"]
    assert "Haddad" not in unreadable.target and "Omar" not in unreadable.target  # the name is still redacted
    assert len(by_kind["phi-in-file"]) == 2  # the files before and after it


def test_files_are_read_in_batches_and_reported_in_folder_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Extraction and analysis go a batch at a time (one isolated child and one engine call per batch, two
    batches in flight); findings still come out in the folder's order, a damaged file costs only itself, and a
    file over the batch's byte budget is read by its own child."""

    from phileak.probes.files import probe as files_probe

    monkeypatch.setattr(files_probe, "BATCH_FILES", 3)
    monkeypatch.setattr(files_probe, "BATCH_BYTES", 200_000)
    docs = [d for d in generate_corpus(12, seed=11) if d.kind is Kind.LAB_REPORT][:8]
    share = tmp_path / "share"
    share.mkdir()
    for index, doc in enumerate(docs):
        (share / f"{index:02d}-report.pdf").write_bytes(render(doc, "pdf"))
        if index == 3:
            (share / f"{index:02d}-z-damaged.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(3000))
    letter = "Patient: Ada Brisk, DOB 02/01/1979. Diabetes follow-up.\n"
    (share / "99-large-letter.txt").write_text(letter + "No further findings.\n" * 20_000)  # > BATCH_BYTES
    findings = scan_in_process(share)
    kinds = [f.kind for f in findings]
    assert kinds.count("phi-in-file") == len(docs) + 1
    assert kinds.count("file-unreadable") == 1 and kinds[-1] == "files-people-summary"
    shown = [Path(f.target).name for f in findings[:-1]]
    assert shown == sorted(shown)  # the folder's order, whatever batch finished first
    assert shown[4].endswith("-z-damaged.pdf") and findings[4].kind == "file-unreadable"
    assert "malformed PDF" in findings[4].evidence.model_dump()["reason"]
    assert shown[-1] == "99-large-letter.txt"
    summary = findings[-1].evidence.model_dump()
    assert (summary["files_scanned"], summary["files_unreadable"]) == (len(docs) + 2, 1)


def test_the_summary_says_how_many_folders_could_not_be_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from phileak.probes.files import walk as walk_module

    share = tmp_path / "share"
    (share / "locked").mkdir(parents=True)
    (share / "locked" / "hidden-from-us.txt").write_text("Patient: Ada Brisk, DOB 02/01/1979. Diabetes.\n")
    (share / "letter.txt").write_text("Patient: Omar Haddad, DOB 03/04/1971. Hypertension follow-up.\n")
    listing = os.scandir

    def refusing(folder: object = ".") -> object:
        if isinstance(folder, str) and folder.endswith("/locked"):
            raise PermissionError(13, "Permission denied")
        return listing(folder)

    monkeypatch.setattr(walk_module.os, "scandir", refusing)
    findings = scan_in_process(share)
    summary = findings[-1]
    assert summary.kind == "files-people-summary" and "1 folders could not be read" in summary.title
    evidence = summary.evidence.model_dump()
    assert (evidence["files_scanned"], evidence["folders_unreadable"]) == (1, 1)


def test_a_table_past_the_extraction_limit_is_reported_on_the_rows_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A patient export larger than a document may give is the typical leak: it is reported on the rows read
    before the limit (not skipped as unreadable), and the finding and summary say it was read in part."""
    from functools import partial

    from phileak.phi.extract.limits import ExtractLimits
    from phileak.probes.files import probe as files_probe

    share = tmp_path / "share"
    share.mkdir()
    rows = "".join(f"{48_200_000 + i},Patient{i:03d},03/04/19{50 + i % 40},HIV\n" for i in range(400))
    (share / "export.csv").write_text("mrn,last_name,dob,diagnosis\n" + rows)
    (share / "letter.txt").write_text("Patient: Omar Haddad, DOB 03/04/1971. Hypertension follow-up.\n")
    monkeypatch.setattr(files_probe, "ExtractLimits", partial(ExtractLimits, max_segments=200))
    findings = scan_in_process(share)
    export = next(f for f in findings if f.target.endswith("export.csv"))
    assert export.kind == "phi-in-file" and export.severity.value == "critical"
    assert export.title == "Patient data in export.csv (read in part: limit max_segments reached)"
    evidence = export.evidence.model_dump()
    assert evidence["read_in_part"] == "limit max_segments reached" and evidence["counts"]["mrn"] == 49
    assert export.affected_individuals == 49
    summary = findings[-1]
    assert "(1 files read only in part: more are likely)" in summary.title
    assert summary.evidence.model_dump()["files_read_in_part"] == 1 and summary.affected_individuals == 50
    letter = next(f for f in findings if f.target.endswith("letter.txt"))
    assert "read_in_part" not in letter.evidence.model_dump() and "read in part" not in letter.title


def test_an_export_over_the_input_cap_is_reported_on_its_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from phileak.phi.extract.limits import ExtractLimits
    from phileak.probes.files import probe as files_probe

    share = tmp_path / "share"
    share.mkdir()
    rows = "".join(f"{48_300_000 + i},Patient{i:03d},HIV\n" for i in range(400))
    (share / "export.csv").write_text("mrn,last_name,diagnosis\n" + rows)  # about 10 kB
    monkeypatch.setattr(files_probe, "ExtractLimits", lambda **kw: ExtractLimits(**{**kw, "max_input_bytes": 4096}))
    findings = scan_in_process(share)
    export = findings[0]
    assert export.kind == "phi-in-file" and export.title.endswith("(read in part: limit max_input_bytes reached)")
    assert 100 < export.evidence.model_dump()["counts"]["mrn"] < 400
