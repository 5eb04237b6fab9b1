"""Terminal text for `phileak diff` and `phileak verify` (their JSON is the objects' to_dict())."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from phileak.model import Finding
from phileak.report.ordering import by_severity
from phileak.report.table import PLAIN_WIDTH
from phileak.rescan import Comparison, Verification

_VERDICT_WORDS = {
    "fixed": "FIXED",
    "still-present": "STILL PRESENT",
    "inconclusive": "COULD NOT VERIFY",
}


def write_comparison(comparison: Comparison, out: TextIO) -> None:
    console = _console(out)
    old, new, changes = comparison.old.scan, comparison.new.scan, comparison.changes
    console.print(Text(f"scan {old.id} ({_when(old.started)}) -> scan {new.id} ({_when(new.started)})"))
    counts = (
        f"{len(changes.new)} new, {len(changes.fixed)} fixed, {len(changes.still)} still there, "
        f"{len(changes.unchecked)} not re-checked"
    )
    console.print(Text(counts))
    sections = [
        ("New", comparison.new_findings),
        ("Fixed", changes.fixed),
        ("Still there", comparison.still_findings),
        ("Not re-checked (the newer scan did not check their target successfully)", changes.unchecked),
    ]
    for title, findings in sections:
        if findings:
            console.print(_table(title, findings))


def write_verification(verification: Verification, out: TextIO) -> None:
    console = _console(out)
    finding = verification.finding
    console.print(Text(f"finding {finding.id} ({finding.probe}, {finding.kind}): {finding.title}"))
    console.print(Text(f"target: {finding.target}"))
    window = verification.window
    if window is not None:
        seen = f"first seen {_when(window.first_seen)} (scan {window.first_scan}), "
        seen += f"last seen {_when(window.last_seen)} (scan {window.last_scan})"
        console.print(Text(seen))
    where = f" as scan {verification.scan.scan.id}" if verification.scan is not None else ""
    console.print(Text(f"re-checked {verification.target.probe} {verification.target.ref}{where}"))
    console.print(Text(f"{_VERDICT_WORDS[verification.verdict]}: {verification.reason}"))


def _table(title: str, findings: list[Finding]) -> Table:
    table = Table(title=f"{title} ({len(findings)})", title_justify="left", show_lines=False)
    for column in ("Severity", "Kind", "Target", "Title", "Finding id"):
        table.add_column(column, overflow="fold")
    for finding in by_severity(findings):
        table.add_row(
            Text(finding.severity.value),
            Text(finding.kind),
            Text(finding.target),
            Text(finding.title),
            Text(finding.id[:12]),
        )
    return table


def _console(out: TextIO) -> Console:
    try:
        width = None if out.isatty() else PLAIN_WIDTH
    except (AttributeError, ValueError):
        width = PLAIN_WIDTH
    return Console(file=out, highlight=False, emoji=False, width=width)


def _when(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
