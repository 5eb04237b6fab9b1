"""`table`: findings as a terminal table, then a one-line summary. Plain text when `out` is not a terminal."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from phileak.model import Finding, OutcomeStatus, ScanReport, Severity
from phileak.report.document import exposure_of
from phileak.report.ordering import by_severity, severity_counts

PLAIN_WIDTH = 160
_STYLES = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


class TableReporter:
    def write(self, report: ScanReport, out: TextIO) -> None:
        console = Console(file=out, highlight=False, emoji=False, width=_width(out))
        findings = by_severity(report.findings)
        if findings:
            console.print(_table(findings))
        console.print(Text(summary_line(report)), soft_wrap=True)


def _width(out: TextIO) -> int | None:
    """The terminal's width on a terminal; elsewhere (pipes, files) wide enough not to cut kinds or ids."""
    try:
        return None if out.isatty() else PLAIN_WIDTH
    except (AttributeError, ValueError):
        return PLAIN_WIDTH


def _table(findings: list[Finding]) -> Table:
    table = Table(show_lines=False)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Kind")
    table.add_column("Target", overflow="fold")
    table.add_column("Title")
    table.add_column("People", justify="right", no_wrap=True)
    for finding in findings:
        # Text() keeps square brackets in titles and targets from being read as rich markup.
        table.add_row(
            Text(finding.severity.value, style=_STYLES[finding.severity]),
            Text(finding.kind),
            Text(finding.target),
            Text(finding.title),
            Text(people(finding)),
        )
    return table


def people(finding: Finding) -> str:
    if finding.estimate is not None:
        return f"~{finding.estimate.low}-{finding.estimate.high}"
    return "?" if finding.affected_individuals is None else str(finding.affected_individuals)


def summary_line(report: ScanReport) -> str:
    """One line, like `3 findings (1 critical, 2 high); at least 120 people affected;
    targets not fully scanned: 1 error`. People are counted as assess/sizing.py does (deduplicated by key)."""
    counts = [f"{n} {severity.value}" for severity, n in severity_counts(report.findings).items() if n]
    total = len(report.findings)
    parts = [f"{total} finding{'s' if total != 1 else ''}" + (f" ({', '.join(counts)})" if counts else "")]
    exposure = exposure_of(report)
    if exposure.affected_individuals or exposure.precision != "exact":
        people = exposure.describe()
        noun = "person" if people == "1" else "people"
        parts.append(f"{people} {noun} affected")
    problems = Counter(o.status.value for o in report.outcomes if o.status is not OutcomeStatus.OK)
    if problems:
        listed = ", ".join(f"{n} {status}" for status, n in sorted(problems.items()))
        parts.append(f"targets not fully scanned: {listed}")
    return "; ".join(parts)
