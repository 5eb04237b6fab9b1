"""`scan files` throughput on a folder of generated one-page lab-report PDFs, side by side with bare pypdfium2.

    .venv/bin/python benchmarks/files_scan.py [--pdfs 2000] [--rounds 2]

1. phileak: the files probe (FilesProbe.scan) over the folder: isolated extraction a batch of files per child,
   the PHI engine in its worker (built before timing), findings and the people count. The store and report
   are not timed (`phileak scan files` adds them).
2. bare pypdfium2: each file read from disk and its text extracted, in this process, nothing else.

Issue 4 asks for the PDF path at >= 80 % of bare pypdfium2's text-extraction rate. phileak uses two processes
that work at once (the extraction child and the engine's worker, beside the event loop); the bare extraction
uses one. The CPU line says where phileak's CPU went per PDF.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from cpu_roles import cpu_breakdown, cpu_times


def generate(folder: Path, count: int) -> list[Path]:
    from phileak.lab.patients import synthetic_patients
    from phileak.lab.storage_services import lab_report_pdf

    patients = synthetic_patients(max(1, count // 3), seed=4242)
    paths = []
    for index in range(count):
        path = folder / f"{index % 20:02d}" / f"report_{index:05d}.pdf"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(lab_report_pdf(patients[index % len(patients)], date(2026, 9, 1), index))
        paths.append(path)
    return paths


def context() -> Any:
    from phileak.phi.identity import IdentityHasher
    from phileak.probes.base import Limits, ScanContext
    from phileak.scope import Scope

    return ScanContext(
        scan_id="bench", scope=Scope.from_rules([]), identity=IdentityHasher(b"benchmark-identity-key-0123456789"),
        limits=Limits(timeout_s=7200.0), options={},
    )  # fmt: skip


async def phileak_scan(folder: Path) -> list[Any]:
    from phileak.probes.files.probe import FilesProbe
    from phileak.targets import parse_target

    return [finding async for finding in FilesProbe().scan(parse_target("files", str(folder)), context())]


def bare_pypdfium2(paths: list[Path]) -> float:
    import pypdfium2

    started = time.perf_counter()
    for path in paths:
        document = pypdfium2.PdfDocument(path.read_bytes())
        for page in document:
            page.get_textpage().get_text_range()
        document.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pdfs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "phileak-bench-files")
    args = parser.parse_args()
    from phileak.probes.storage.content import PhiAdapter

    paths = generate(args.folder, args.pdfs)
    asyncio.run(PhiAdapter(context().identity).warm())  # the engine's worker, built once: not timed
    for round_ in range(1, args.rounds + 1):
        before = cpu_times()
        started = time.perf_counter()
        findings = asyncio.run(phileak_scan(args.folder))
        ours = time.perf_counter() - started
        cpu = cpu_breakdown(before, len(paths))
        bare = bare_pypdfium2(paths)
        [summary] = [f for f in findings if f.kind == "files-people-summary"]
        print(f"round {round_}: phileak scan files {len(paths)} PDFs in {ours:.2f} s = {len(paths) / ours:.0f} PDFs/s "
              f"({summary.affected_individuals} people) | bare pypdfium2 {len(paths) / bare:.0f} PDFs/s "
              f"| ratio {100 * bare / ours:.0f} % (goal >= 80 %)")  # fmt: skip
        print(f"         CPU per PDF: {cpu}")


if __name__ == "__main__":
    sys.exit(main())
