"""`html`: one self-contained page a privacy officer can forward. It fetches nothing: no scripts, fonts,
images or links to other sites; charts are inline SVG and targets are text, never links.

Order: executive summary (people, worst exposures, duties with dates), charts, changes since an earlier scan,
obligations checklist, questions, HIPAA four-factor assessment, HHS portal fields, exposure by group and
recipient, findings with redacted evidence and remediation, target outcomes, appendix (method, scope, drafts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, TextIO

from jinja2 import Environment, PackageLoader, StrictUndefined

import phileak
from phileak.assess.sizing import Exposure, ExposureWindow, PeopleRange, Precision, describe_people
from phileak.model import Finding, OutcomeStatus, ScanReport, Severity, TargetOutcome
from phileak.report.assessment_view import AssessmentView, assessment_view
from phileak.report.charts import (
    FIXED,
    NEUTRAL,
    PUBLIC,
    SEVERITY_COLOURS,
    Chart,
    Timeline,
    bar_chart,
    short,
    timeline_chart,
)
from phileak.report.document import ScanChanges, changes_of, exposure_of
from phileak.report.ordering import by_severity, probe_counts, severity_counts

_OUTCOME_ORDER = [
    OutcomeStatus.ERROR,
    OutcomeStatus.TIMEOUT,
    OutcomeStatus.INTERRUPTED,
    OutcomeStatus.OUT_OF_SCOPE,
    OutcomeStatus.SKIPPED,
    OutcomeStatus.OK,
]
WORST_SHOWN = 5
DUTIES_IN_SUMMARY = 8


@dataclass(frozen=True)
class FindingView:
    finding: Finding
    number: int
    anchor: str
    people: str
    evidence: dict[str, Any]
    window: ExposureWindow | None
    change: str | None  # "new" or "still there" with --since


@dataclass(frozen=True)
class ChangesView:
    since: ScanChanges
    new: list[FindingView]
    still: list[FindingView]
    fixed: list[Finding]
    unchecked: list[Finding]


class HtmlReporter:
    def write(self, report: ScanReport, out: TextIO) -> None:
        out.write(render_html(report))


def render_html(report: ScanReport) -> str:
    return _environment().get_template("report.html.j2").render(page_context(report))


def page_context(report: ScanReport) -> dict[str, Any]:
    findings = by_severity(report.findings)
    exposure = exposure_of(report)
    changes = changes_of(report)
    windows = {w.finding_id: w for w in exposure.windows}
    new_ids = set(changes.new) if changes else set()
    views = [_view(f, n, windows.get(f.id), changes, new_ids) for n, f in enumerate(findings, start=1)]
    severities = severity_counts(findings)
    assessed = assessment_view(report.assessment, report.obligations)
    anchors = {view.finding.id: view.anchor for view in views}
    return {
        "version": phileak.__version__,
        "scan": report.scan,
        "findings": views,
        "worst": [v for v in views if v.finding.severity.at_least(Severity.MEDIUM)][:WORST_SHOWN],
        "severities": severities,
        "exposure": exposure,
        "people": exposure.describe(),
        "people_caption": _people_caption(exposure),
        "group_people": group_people,
        "severity_chart": bar_chart(
            "Findings by severity", [(s.value, n, SEVERITY_COLOURS[s]) for s, n in severities.items()]
        ),
        "probe_chart": bar_chart(
            "Findings by probe", [(probe, n, NEUTRAL) for probe, n in probe_counts(findings).items()]
        ),
        "recipient_chart": _recipient_chart(exposure),
        "timeline": _timeline(exposure, report, anchors),
        "changes": _changes_view(changes, views),
        "assessed": assessed,
        "summary_duties": assessed.duties[:DUTIES_IN_SUMMARY],
        "has_assessment": report.assessment is not None or report.obligations is not None,
        "obligations": report.obligations,
        "outcomes": sorted(report.outcomes, key=_outcome_order),
        "problem_outcomes": sum(1 for o in report.outcomes if o.status is not OutcomeStatus.OK),
        "scope": report.scan.profile.get("scope"),
        "profile": (report.assessment or {}).get("profile"),
    }


def _view(
    finding: Finding, number: int, window: ExposureWindow | None, changes: ScanChanges | None, new_ids: set[str]
) -> FindingView:
    change = None
    if changes is not None:
        change = "new" if finding.id in new_ids else "still there"
    return FindingView(
        finding=finding,
        number=number,
        anchor=f"finding-{finding.id}",
        people=people_text(finding),
        evidence=finding.to_contract().get("evidence", {}),
        window=window,
        change=change,
    )


def _changes_view(changes: ScanChanges | None, views: list[FindingView]) -> ChangesView | None:
    if changes is None:
        return None
    by_id = {view.finding.id: view for view in views}
    return ChangesView(
        since=changes,
        new=sorted((by_id[i] for i in changes.new if i in by_id), key=lambda v: v.number),
        still=sorted((by_id[i] for i in changes.still if i in by_id), key=lambda v: v.number),
        fixed=by_severity(changes.fixed),
        unchecked=by_severity(changes.unchecked),
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


def group_people(people: PeopleRange | None) -> str:
    if people is None:
        return "not counted"
    if people.high == people.low:
        return str(people.low)
    precision: Precision = "estimate" if people.confidence is not None else "bounds"
    return describe_people(people.low, people, precision if people.high is not None else "lower-bound")


def _people_caption(exposure: Exposure) -> str:
    captions = {
        "exact": "people affected",
        "lower-bound": "people affected (no ceiling known)",
        "bounds": "people affected (overlap unknown)",
        "estimate": "people affected (estimate)",
    }
    return captions[exposure.precision]


def _recipient_chart(exposure: Exposure) -> Chart:
    rows = [
        (short(r.name, 24), len(r.findings), PUBLIC if r.kind == "public" else NEUTRAL) for r in exposure.recipients
    ]
    return bar_chart(
        "Who received or can reach the data (findings)",
        rows,
        label_width=170,
        empty="No one outside: no data was sent to a third party or left open to the internet.",
    )


def _timeline(exposure: Exposure, report: ScanReport, anchors: dict[str, str]) -> Timeline:
    return timeline_chart(exposure.windows, report.scan.started, anchors)


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
    environment.globals["fixed_colour"] = FIXED
    environment.tests["records"] = is_records
    return environment


__all__ = ["AssessmentView", "HtmlReporter", "page_context", "people_text", "render_html"]
