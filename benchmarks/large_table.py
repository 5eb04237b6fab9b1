"""`phileak scan files` on one large patient export (CSV), the most common leak on a file share.

    .venv/bin/python benchmarks/large_table.py [--rows 200000] [--base /path/to/other/checkout/src]

Writes a synthetic export (mrn, names, date of birth, sex, e-mail, phone, ZIP, diagnosis, ICD-10; one patient per
row, every patient distinct), runs the real command on it (store, report and all) and prints: wall time, MB/s,
the peak memory of the command and of its largest child, the verdict (finding kind, severity, "read in part")
and the people counted against the truth. With --base, the same command is run from another checkout's
sources (PYTHONPATH) right after, for a side-by-side comparison.

A table of more than 2,000,000 cells (ExtractLimits.max_segments) is read in part: the rows before the limit.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

DIAGNOSES = [("Type 2 diabetes", "E11.9"), ("Hypertension", "I10"), ("Asthma", "J45.909"), ("HIV", "B20"),
             ("Depression", "F32.9")]  # fmt: skip


def write_export(path: Path, rows: int, seed: int = 4) -> None:
    from faker import Faker

    fake, rng = Faker("en_US"), random.Random(seed)
    fake.seed_instance(seed)
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["mrn", "last_name", "first_name", "dob", "sex", "email", "phone", "zip", "diagnosis", "icd10"])
        for row in range(rows):
            diagnosis, code = rng.choice(DIAGNOSES)
            writer.writerow([40_000_000 + row, fake.last_name(), fake.first_name(), fake.date_of_birth().isoformat(),
                             rng.choice("MF"), f"patient{row}@example.org", fake.numerify("(###) ###-####"),
                             fake.postcode(), diagnosis, code])  # fmt: skip


def run(folder: Path, out: Path, pythonpath: str | None) -> tuple[float, float, dict]:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    command = [sys.executable, "-c", _CLI, "scan", "files", str(folder), "--format", "json", "-o", str(out),
               "--db", str(out.with_suffix(".db")), "-q"]  # fmt: skip
    measured = [sys.executable, "-c", _MEASURE, *command]  # a parent of its own: its children's peak is this run's
    result = subprocess.run(measured, env=env, capture_output=True, text=True, check=False)
    *_, status, seconds, peak = result.stdout.split()
    if int(status) not in (0, 1):
        raise SystemExit(f"phileak failed ({status}): {result.stderr[-500:]}")
    return float(seconds), int(peak) / 1024, json.loads(out.read_text())


_CLI = "import sys; from phileak.cli import main; sys.exit(main())"
_MEASURE = """
import resource, subprocess, sys, time
started = time.perf_counter()
status = subprocess.run(sys.argv[1:], check=False).returncode
print(status, time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--base", help="another checkout's src folder, run side by side")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "share"
        folder.mkdir()
        export = folder / "patients_export.csv"
        write_export(export, args.rows)
        size_mb = export.stat().st_size / 1e6
        cells = args.rows * 10
        print(f"export: {args.rows} rows, {cells} cells, {size_mb:.1f} MB, {args.rows} distinct patients")
        runs = [("this checkout", str(Path(__file__).resolve().parents[1] / "src"))]
        if args.base:
            runs.append(("base", args.base))
        for label, source in runs:
            seconds, peak, report = run(folder, Path(tmp) / f"{label.replace(' ', '-')}.json", source)
            by_kind = {f["kind"]: f for f in report["findings"]}
            file_finding = by_kind.get("phi-in-file") or by_kind.get("pii-in-file") or by_kind.get("file-unreadable")
            summary = by_kind["files-people-summary"]
            verdict = f"{file_finding['kind']} {file_finding['severity']}" if file_finding else "no finding"
            print(f"{label:14s} {seconds:6.1f} s wall, {size_mb / seconds:.2f} MB/s, peak RSS of the largest process "
                  f"{peak:.0f} MB; {verdict}; people {summary['affected_individuals']} of {args.rows}")  # fmt: skip
            if file_finding:
                print(f"{'':14s} title: {file_finding['title']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
