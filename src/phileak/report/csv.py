"""`csv`: one row per finding, for spreadsheets."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from typing import TextIO

from phileak.assess.sizing import ExposureWindow
from phileak.model import Finding, ScanReport
from phileak.report.document import changes_of, exposure_of
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
    "first_seen",
    "last_seen",
    "change",
)

# A cell starting with one of these is run as a formula by spreadsheet programs; targets and titles can
# carry text chosen by whoever runs the scanned site, so such cells get a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CsvReporter:
    """One row per finding; with `report --since`, a "change" column (new, still there) and a row for each
    fixed finding as last seen."""

    def write(self, report: ScanReport, out: TextIO) -> None:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        windows = {w.finding_id: w for w in exposure_of(report).windows}
        changes = changes_of(report)
        new = set(changes.new) if changes is not None else set()
        for finding in by_severity(report.findings):
            change = "" if changes is None else ("new" if finding.id in new else "still there")
            writer.writerow(_row(finding, windows.get(finding.id), change))
        for finding in by_severity(changes.fixed) if changes is not None else []:
            writer.writerow(_row(finding, windows.get(finding.id), "fixed"))


def _row(finding: Finding, window: ExposureWindow | None, change: str) -> list[str]:
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
        _moment(window.first_seen) if window else "",
        _moment(window.last_seen) if window else "",
        change,
    ]


def _moment(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text
