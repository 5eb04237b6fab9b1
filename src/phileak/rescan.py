"""Re-scans: what changed between two scans (`phileak diff`, `phileak report --since`), the history a report
dates its findings from, and `phileak verify`, which re-runs the one target a finding came from, as a new scan,
and says whether the finding is still there.

A finding absent from a later scan is "fixed" only if that scan checked its target successfully; otherwise it
is "not re-checked" (the target failed, or was not part of that scan)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from phileak.assess.sizing import ExposureWindow, covers, exposure_windows, target_contains
from phileak.errors import InputError
from phileak.model import Finding, OutcomeStatus, Scan, ScanReport, TargetOutcome
from phileak.report.document import ScanChanges
from phileak.store import ScanDiff, Store
from phileak.targets import PROBES, Target, parse_target

LOCAL_PROBES = ("files", "har")
MIN_ID_PREFIX = 6

# ---------------------------------------------------------------- history and changes


def load_history(store: Store, scan: Scan) -> list[ScanReport]:
    """Every other stored scan that started no later than `scan`, oldest first, with findings and outcomes."""
    return [
        store.load_report(other.id)
        for other in store.list_scans()
        if other.id != scan.id and other.started <= scan.started
    ]


def resolve_scan_id(store: Store, text: str, *, before: Scan | None = None) -> Scan:
    """A scan named by id, by "latest", or by "previous" (the latest scan before `before` that shares one of
    its targets). InputError naming what is missing."""
    if text == "latest":
        latest = store.latest_scan()
        if latest is None:
            raise InputError("the store holds no scan yet")
        return latest
    if text == "previous":
        if before is None:
            raise InputError("'previous' needs a scan to be previous to")
        earlier = [
            s
            for s in store.list_scans()
            if s.id != before.id and s.started <= before.started and set(s.targets) & set(before.targets)
        ]
        if not earlier:
            raise InputError(f"no earlier scan of the same targets as {before.id}")
        return earlier[-1]
    scan = store.get_scan(text)
    if scan is None:
        raise InputError(f"no scan '{text}' in the store")
    return scan


def changes_since(diff: ScanDiff, old: ScanReport, new: ScanReport) -> ScanChanges:
    """Store.diff's answer, with "gone" split by whether `new` re-checked the finding's target."""
    return ScanChanges(
        since=old.scan,
        new=[f.id for f in diff.new],
        still=[f.id for f in diff.still],
        fixed=[f for f in diff.fixed if covers(new, f)],
        unchecked=[f for f in diff.fixed if not covers(new, f)],
    )


@dataclass(frozen=True)
class Comparison:
    old: ScanReport
    new: ScanReport
    changes: ScanChanges
    new_findings: list[Finding]
    still_findings: list[Finding]

    def to_dict(self) -> dict[str, Any]:
        changes = self.changes.to_contract()
        return {
            "old": self.old.scan.to_contract(),
            "new": self.new.scan.to_contract(),
            "new_findings": [f.to_contract() for f in self.new_findings],
            "fixed": changes["fixed"],
            "still": [f.to_contract() for f in self.still_findings],
            "unchecked": changes["unchecked"],
        }


def compare_scans(store: Store, old_id: str, new_id: str) -> Comparison:
    """What `new_id` found new, fixed and still there compared with `old_id` (InputError for an unknown scan)."""
    diff = store.diff(old_id, new_id)
    old, new = store.load_report(old_id), store.load_report(new_id)
    return Comparison(old, new, changes_since(diff, old, new), list(diff.new), list(diff.still))


def report_changes(store: Store, report: ScanReport, since: str) -> ScanChanges:
    old = resolve_scan_id(store, since, before=report.scan)
    if old.id == report.scan.id:
        raise InputError(f"--since names the reported scan itself ({old.id})")
    if old.started > report.scan.started:
        raise InputError(
            f"--since scan {old.id} started after the reported scan {report.scan.id} "
            f"({old.started.isoformat()} > {report.scan.started.isoformat()}): give an earlier scan"
        )
    return changes_since(store.diff(old.id, report.scan.id), store.load_report(old.id), report)


# ---------------------------------------------------------------- verify

Verdict = Literal["fixed", "still-present", "inconclusive"]


@dataclass(frozen=True)
class VerifySettings:
    """What `phileak verify` may add to what the original scan recorded (target options are not stored)."""

    scan_id: str | None = None
    allow: list[str] = field(default_factory=list)
    scope_file: Path | None = None
    resolve: list[str] = field(default_factory=list)
    insecure: bool = False
    endpoint: str | None = None
    timeout: float = 600.0


@dataclass(frozen=True)
class Verification:
    finding: Finding  # as last seen before the re-check
    found_in: Scan
    target: Target
    verdict: Verdict
    reason: str
    scan: ScanReport | None  # the re-check; None when there was nothing left to scan
    current: Finding | None  # the finding as the re-check saw it, when still present
    window: ExposureWindow | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "finding": self.finding.to_contract(),
            "found_in": self.found_in.to_contract(),
            "verified_target": {"probe": self.target.probe, "target": self.target.ref},
            "verdict": self.verdict,
            "reason": self.reason,
            "scan": self.scan.scan.to_contract() if self.scan is not None else None,
            "outcomes": [o.model_dump(mode="json", exclude_none=True) for o in self.scan.outcomes] if self.scan else [],
            "current": self.current.to_contract() if self.current is not None else None,
            "window": self.window.model_dump(mode="json") if self.window is not None else None,
        }


def locate_finding(store: Store, finding_id: str, scan_id: str | None = None) -> tuple[Scan, Finding]:
    """The finding (by id, or by a unique prefix of at least MIN_ID_PREFIX characters) in `scan_id`, else in
    the latest scan that holds it."""
    wanted = finding_id.strip().lower()
    if len(wanted) < MIN_ID_PREFIX:
        raise InputError(f"finding id '{finding_id}' is too short (give at least {MIN_ID_PREFIX} characters)")
    scans = [resolve_scan_id(store, scan_id)] if scan_id else list(reversed(store.list_scans()))
    for scan in scans:
        matches = {f.id: f for f in store.findings(scan.id) if f.id.startswith(wanted)}
        if len(matches) > 1:
            raise InputError(f"finding id prefix '{finding_id}' is ambiguous in scan {scan.id}")
        if matches:
            return scan, next(iter(matches.values()))
    where = f"scan {scan_id}" if scan_id else "any stored scan"
    raise InputError(f"no finding '{finding_id}' in {where}")


def verification_target(finding: Finding, scan: Scan, settings: VerifySettings) -> Target:
    """The one target to re-run: the finding's own file when it still exists, else the scanned target that
    produced the finding (the audit plan's entry with its options when the scan was an audit)."""
    probe = finding.probe
    if probe not in PROBES:
        raise InputError(f"finding {finding.id} comes from '{probe}', which has no target to re-run")
    options: dict[str, Any] = {}
    planned = [t for t in _plan(scan).targets if t.probe == probe and target_contains(t.ref, finding.target)]
    if planned:
        chosen = max(planned, key=lambda t: len(t.ref))
        options.update(chosen.options)
    if settings.endpoint:
        options["endpoint"] = settings.endpoint
    if probe in LOCAL_PROBES:
        return parse_target(probe, _local_ref(finding, scan), options)
    containers = [t for t in scan.targets if target_contains(t, finding.target)]
    if planned:
        ref = max(planned, key=lambda t: len(t.ref)).ref
    elif containers:
        ref = max(containers, key=len)
    else:
        ref = scan.targets[0] if len(scan.targets) == 1 else finding.target
    return parse_target(probe, ref, options)


def _local_ref(finding: Finding, scan: Scan) -> str:
    if Path(finding.target).exists():
        return finding.target
    containers = [t for t in scan.targets if target_contains(t, finding.target) and Path(t).exists()]
    if containers:
        return max(containers, key=len)
    if len(scan.targets) == 1 and Path(scan.targets[0]).exists() and "://" in finding.target:
        return scan.targets[0]  # a capture whose findings name the pages it recorded
    return finding.target


ProgressHook = Callable[[TargetOutcome, int, int], None]


def verify_finding(
    store: Store, finding_id: str, settings: VerifySettings, on_progress: ProgressHook | None = None
) -> Verification:
    """Re-run the target of one finding as a new scan (stored like any other) and compare."""
    from phileak.session import prepare, run_scan

    found_in, finding = locate_finding(store, finding_id, settings.scan_id)
    target = verification_target(finding, found_in, settings)
    if target.probe in LOCAL_PROBES and not Path(target.ref).exists():
        window = _window(store.load_report(found_in.id), load_history(store, found_in), finding.id)
        return Verification(
            finding, found_in, target, "fixed", f"{target.ref} no longer exists: there is nothing left to scan",
            None, None, window,
        )  # fmt: skip
    report = run_scan(store, prepare(_request(found_in, finding, target, settings)), on_progress)
    everything = load_history(store, report.scan)
    verdict, reason, current = _verdict(report, finding, target)
    return Verification(
        finding, found_in, target, verdict, reason, report, current, _window(report, everything, finding.id)
    )


def _verdict(report: ScanReport, finding: Finding, target: Target) -> tuple[Verdict, str, Finding | None]:
    current = next((f for f in report.findings if f.id == finding.id), None)
    if current is not None:
        return "still-present", f"the re-check of {target.ref} found it again", current
    outcome = next((o for o in report.outcomes if o.probe == target.probe and o.target == target.ref), None)
    if outcome is not None and outcome.status is OutcomeStatus.OK:
        return "fixed", f"the re-check of {target.ref} completed and did not find it", None
    status = outcome.status.value if outcome is not None else "not run"
    detail = f": {outcome.reason}" if outcome is not None and outcome.reason else ""
    return "inconclusive", f"the re-check of {target.ref} did not complete ({status}{detail})", None


def _window(report: ScanReport, history: Sequence[ScanReport], finding_id: str) -> ExposureWindow | None:
    return next((w for w in exposure_windows(report, history) if w.finding_id == finding_id), None)


def _request(scan: Scan, finding: Finding, target: Target, settings: VerifySettings) -> Any:
    from phileak.probes.base import Limits
    from phileak.runner import RunnerConfig
    from phileak.session import ScanRequest

    if settings.timeout <= 0:
        raise InputError("--timeout must be > 0")
    profile = {k: v for k, v in scan.profile.items() if k != "scope"}
    profile["verifies"] = {"finding": finding.id, "scan": scan.id}
    recorded = scan.profile.get("scope")
    scope = [str(rule) for rule in recorded] if isinstance(recorded, list) else []
    plan = _plan(scan)
    options: dict[str, Any] = {}
    if isinstance(scan.profile.get("organisation"), dict):
        options["profile"] = dict(scan.profile)
    return ScanRequest(
        targets=[target],
        command=f"verify {finding.id}",
        scope_rules=[*scope, *settings.allow],
        scope_file=settings.scope_file,
        resolve=[*plan.resolve, *settings.resolve],
        insecure=settings.insecure or plan.insecure,
        options=options,
        profile=profile,
        limits=Limits(timeout_s=settings.timeout),
        runner=RunnerConfig(concurrency=1),
    )


@dataclass(frozen=True)
class _PlanBits:
    targets: list[Target] = field(default_factory=list)
    resolve: list[str] = field(default_factory=list)
    insecure: bool = False


def _plan(scan: Scan) -> _PlanBits:
    """What an audit's plan file adds (target options, --resolve, insecure), when it is still readable."""
    from phileak.plan import load_plan

    source = scan.profile.get("plan")
    if not isinstance(source, str) or not Path(source).is_file():
        return _PlanBits()
    try:
        plan = load_plan(source)
    except InputError:
        return _PlanBits()
    return _PlanBits(list(plan.targets), list(plan.options.resolve), plan.options.insecure)
