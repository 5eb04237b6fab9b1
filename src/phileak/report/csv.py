"""`csv`: one row per finding, for spreadsheets."""

from __future__ import annotations

import csv
from typing import TextIO

from phileak.model import Finding, ScanReport
from phileak.report.ordering import by_severity

COLUMNS = (
    "id",
    "severity",
    "probe",
    "kind",
    "target",
    "title",
    "data_categories",
    "affected_individuals",
    "recipient_host",
    "remediation",
)

# A cell starting with one of these is run as a formula by spreadsheet programs; targets and titles can
# carry text chosen by whoever runs the scanned site, so such cells get a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CsvReporter:
    def write(self, report: ScanReport, out: TextIO) -> None:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for finding in by_severity(report.findings):
            writer.writerow(_row(finding))


def _row(finding: Finding) -> list[str]:
    people = finding.affected_individuals
    return [
        finding.id,
        finding.severity.value,
        _cell(finding.probe),
        _cell(finding.kind),
        _cell(finding.target),
        _cell(finding.title),
        ";".join(category.value for category in finding.data_categories),
        "" if people is None else str(people),
        _cell(finding.recipient.host) if finding.recipient else "",
        _cell(finding.remediation),
    ]


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text
