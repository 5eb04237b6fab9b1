"""`html`: one self-contained page a privacy officer can forward. It fetches nothing: no scripts, fonts,
images or links to other sites; charts are inline SVG and targets are text, never links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, TextIO

from jinja2 import Environment, PackageLoader, StrictUndefined

import phileak
from phileak.model import Finding, OutcomeStatus, ScanReport, Severity, TargetOutcome, summarise
from phileak.report.ordering import by_severity, probe_counts, severity_counts

SEVERITY_COLOURS = {
    Severity.CRITICAL: "#8b0000",
    Severity.HIGH: "#c0392b",
    Severity.MEDIUM: "#d68910",
    Severity.LOW: "#2874a6",
    Severity.INFO: "#707b7c",
}
_PROBE_COLOUR = "#34495e"
_OUTCOME_ORDER = [
    OutcomeStatus.ERROR,
    OutcomeStatus.TIMEOUT,
    OutcomeStatus.INTERRUPTED,
    OutcomeStatus.OUT_OF_SCOPE,
    OutcomeStatus.SKIPPED,
    OutcomeStatus.OK,
]


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    colour: str
    y: int
    width: int


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    label_width: int = 110
    bar_area: int = 320
    row_height: int = 26
    bar_height: int = 18

    @property
    def width(self) -> int:
        return self.label_width + self.bar_area + 50

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * self.row_height


def bar_chart(title: str, counts: list[tuple[str, int, str]]) -> Chart:
    """Horizontal bars scaled to the largest count; a non-zero count always gets a visible bar."""
    largest = max((count for _, count, _ in counts), default=0)
    bars = []
    for row, (label, count, colour) in enumerate(counts):
        width = round(count / largest * Chart.bar_area) if largest else 0
        bars.append(Bar(label, count, colour, row * Chart.row_height, max(width, 2) if count else 0))
    return Chart(title, bars)


@dataclass(frozen=True)
class FindingView:
    finding: Finding
    anchor: str
    people: str
    evidence: dict[str, Any]


class HtmlReporter:
    def write(self, report: ScanReport, out: TextIO) -> None:
        out.write(render_html(report))


def render_html(report: ScanReport) -> str:
    findings = by_severity(report.findings)
    severities = severity_counts(findings)
    context = {
        "version": phileak.__version__,
        "scan": report.scan,
        "findings": [_view(finding) for finding in findings],
        "severities": severities,
        "summary": summarise(findings),
        "unknown_people": sum(1 for f in findings if f.affected_individuals is None),
        "severity_chart": bar_chart(
            "Findings by severity",
            [(s.value, n, SEVERITY_COLOURS[s]) for s, n in severities.items()],
        ),
        "probe_chart": bar_chart(
            "Findings by probe",
            [(probe, n, _PROBE_COLOUR) for probe, n in probe_counts(findings).items()],
        ),
        "outcomes": sorted(report.outcomes, key=_outcome_order),
        "problem_outcomes": sum(1 for o in report.outcomes if o.status is not OutcomeStatus.OK),
        "scope": report.scan.profile.get("scope"),
        "assessment": report.assessment,
        "obligations": report.obligations,
    }
    return _environment().get_template("report.html.j2").render(context)


def _view(finding: Finding) -> FindingView:
    return FindingView(
        finding=finding,
        anchor=f"finding-{finding.id}",
        people=people_text(finding),
        evidence=finding.to_contract().get("evidence", {}),
    )


def people_text(finding: Finding) -> str:
    """Like `12`, `unknown`, `10-40 (estimate, 95% confidence)` or `12 (estimate 10-40, 95% confidence)`,
    with an en dash in the interval."""
    counted = finding.affected_individuals
    estimate = finding.estimate
    if estimate is None:
        return "unknown" if counted is None else str(counted)
    interval = f"{estimate.low}\u2013{estimate.high}"
    confidence = f"{estimate.confidence:.0%} confidence"
    if counted is None:
        return f"{interval} (estimate, {confidence})"
    return f"{counted} (estimate {interval}, {confidence})"


def _outcome_order(outcome: TargetOutcome) -> tuple[int, str, str]:
    return (_OUTCOME_ORDER.index(outcome.status), outcome.probe, outcome.target)


def when(moment: datetime | None) -> str:
    if moment is None:
        return "not finished"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def table_columns(rows: list[dict[str, Any]]) -> list[str]:
    """Every key of a list of records, in order of first appearance."""
    return list(dict.fromkeys(key for row in rows for key in row))


def is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("phileak.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = when
    environment.globals["table_columns"] = table_columns
    environment.tests["records"] = is_records
    return environment
