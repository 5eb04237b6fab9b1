"""phileak's PDF extraction beside bare pypdfium2 text extraction, on generated one-page lab reports.

Run: .venv/bin/python benchmarks/extract_pdf.py [N_PDFS] [ROUNDS]
Both sides read the same in-memory PDFs; the best of ROUNDS alternating runs counts for each. The issue's goal:
phileak's rate is at least 80 % of the bare rate (extraction itself is the limit, not phileak's bookkeeping).
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable

import pypdfium2 as pdfium
from fpdf import FPDF

from phileak.phi.extract import extract

GOAL = 0.80
ANALYTES = [
    ("INR", "0.8-1.2", ""), ("Prothrombin time", "11-13.5", "s"), ("Hemoglobin", "12.0-15.5", "g/dL"),
    ("Hematocrit", "36-46", "%"), ("Platelets", "150-400", "10^3/uL"), ("WBC", "4.5-11.0", "10^3/uL"),
    ("Sodium", "135-145", "mmol/L"), ("Potassium", "3.5-5.1", "mmol/L"), ("Creatinine", "0.6-1.2", "mg/dL"),
    ("Glucose", "70-99", "mg/dL"), ("ALT", "7-56", "U/L"), ("TSH", "0.4-4.0", "mIU/L"),
]  # fmt: skip
FIRST = ["Jane", "John", "Maria", "Ahmed", "Li", "Claire", "Tom", "Aisha", "Pierre", "Sofia"]
LAST = ["Testpatient", "Example", "Sample", "Fictive", "Placeholder", "Synthetic", "Madeup", "Dummy"]


def lab_report(rng: random.Random, number: int) -> bytes:
    """One page in the shape of the PHM case's weekly blood-test reports (synthetic people only)."""
    pdf = FPDF()
    pdf.set_title(f"Lab report {number}")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(text="Example Diagnostics - Laboratory Report")
    pdf.ln(10)
    pdf.set_font("helvetica", size=10)
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    birth = f"{rng.randint(1930, 2010)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    lines = [
        f"Patient: {name}    DOB: {birth}    MRN: {rng.randint(10**7, 10**8 - 1)}",
        f"Address: {rng.randint(1, 999)} Example Street, Testville, ZZ {rng.randint(10000, 99999)}",
        f"Phone: 555-01{rng.randint(10, 99)}    Ordering physician: Dr {rng.choice(LAST)}",
        f"Collected: 2017-09-{rng.randint(1, 28):02d}    Case management: weekly anticoagulation monitoring",
    ]
    for line in lines:
        pdf.cell(text=line)
        pdf.ln(6)
    pdf.ln(6)
    for analyte, reference, unit in rng.sample(ANALYTES, 9):
        pdf.cell(w=60, text=analyte)
        pdf.cell(w=30, text=f"{rng.uniform(0.5, 200):.1f} {unit}")
        pdf.cell(w=40, text=f"ref {reference}")
        pdf.ln(6)
    pdf.ln(4)
    pdf.multi_cell(w=0, text="Comments: results reviewed; continue current dose and repeat in one week. " * 3)
    return bytes(pdf.output())


def bare_pdfium(data: bytes) -> int:
    document = pdfium.PdfDocument(data)
    try:
        chars = 0
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            chars += len(textpage.get_text_range())
            textpage.close()
            page.close()
        return chars
    finally:
        document.close()


def phileak_extract(data: bytes) -> int:
    return sum(len(segment.text) for segment in extract(data, name="report.pdf").segments)


def best_seconds(runs: dict[str, Callable[[bytes], int]], documents: list[bytes], rounds: int) -> dict[str, float]:
    """The best time of each run over `rounds`, the runs alternating so that neither gets the warmer machine."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):
        for label, run in runs.items():
            started = time.perf_counter()
            for data in documents:
                run(data)
            best[label] = min(best[label], time.perf_counter() - started)
    return best


def main(count: int, rounds: int) -> None:
    rng = random.Random(4)
    started = time.perf_counter()
    documents = [lab_report(rng, number) for number in range(count)]
    megabytes = sum(len(data) for data in documents) / 1e6
    pages = sum(len(pdfium.PdfDocument(data)) for data in documents)
    built = time.perf_counter() - started
    print(f"{count} generated lab-report PDFs, {pages} pages, {megabytes:.2f} MB (built in {built:.1f} s)")
    phileak_extract(documents[0])  # imports and first-use costs out of the timing
    bare_pdfium(documents[0])
    runs = {"bare pypdfium2": bare_pdfium, "phileak extract()": phileak_extract}
    seconds = best_seconds(runs, documents, rounds)
    for label, taken in seconds.items():
        print(f"{label:<20} {pages / taken:9.0f} pages/s  {megabytes / taken:7.2f} MB/s  (best of {rounds})")
    ratio = seconds["bare pypdfium2"] / seconds["phileak extract()"]
    verdict = "meets" if ratio >= GOAL else "MISSES"
    print(f"phileak / bare = {ratio:.1%} ({verdict} the {GOAL:.0%} goal)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500, int(sys.argv[2]) if len(sys.argv) > 2 else 5)
