"""One scan from start to stored report: scope, store, runner, probes. The CLI is a thin layer over this."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from phileak.errors import InputError
from phileak.model import Scan as ScanRecord
from phileak.model import ScanReport, ScanStatus, Severity, TargetOutcome
from phileak.phi.identity import IdentityHasher
from phileak.probes import BUILTIN_PROBES, is_built, load_probe
from phileak.probes.base import Limits, Probe, ScanContext
from phileak.runner import Runner, RunnerConfig, RunResult
from phileak.scope import Resolver, Scope
from phileak.store import Store
from phileak.targets import Target


@dataclass
class ScanRequest:
    """Everything one `scan` or `audit` invocation asks for, already validated."""

    targets: list[Target]
    command: str
    scope_rules: list[str] = field(default_factory=list)
    scope_file: Path | None = None
    resolve: list[str] = field(default_factory=list)
    insecure: bool = False
    profile: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    runner: RunnerConfig = field(default_factory=RunnerConfig)
    resume: str | None = None  # a scan id, or "latest"


@dataclass
class Prepared:
    """A request whose inputs all parsed: nothing has been written or contacted yet."""

    request: ScanRequest
    scope: Scope
    resolver: Resolver


def prepare(request: ScanRequest) -> Prepared:
    """Parse scope and resolver rules; every error here is an InputError and nothing is written."""
    scope = Scope.from_rules(request.scope_rules)
    if request.scope_file is not None:
        scope = scope.merged(Scope.from_file(request.scope_file))
    resolver = Resolver.parse(request.resolve)
    if scope.is_empty:
        scope = Scope.from_rules(implicit_scope_rules(request.targets, resolver))
    return Prepared(request, scope, resolver)


def implicit_scope_rules(targets: Sequence[Target], resolver: Resolver | None = None) -> list[str]:
    """With no --scope/--allow, the targets named on the command line are the authorised scope, exactly,
    and so are the addresses the user pinned names to with --resolve."""
    rules: list[str] = []
    if resolver is not None:
        rules.extend(entry.partition("=")[2] for entry in resolver.entries())
    for target in targets:
        if target.probe == "web":
            rules.append(target.ref)
            rules.append(target.host or "")
        elif target.probe == "dicom" and target.host:
            rules.append(target.host)
        elif target.probe == "storage":
            parts = urlsplit(target.ref)
            rules.append(f"{parts.scheme}://{parts.netloc}")
            if target.host:
                rules.append(target.host)
    return list(dict.fromkeys(rule for rule in rules if rule))


ProgressHook = Callable[[TargetOutcome, int, int], None]


def run_scan(store: Store, prepared: Prepared, on_progress: ProgressHook | None = None) -> ScanReport:
    """Run (or resume) a scan, writing findings as they come; return the stored report.

    KeyboardInterrupt propagates after the scan is marked interrupted, so callers can say so and exit."""
    request = prepared.request
    scan = _existing_or_new_scan(store, prepared)
    ctx = ScanContext(
        scan_id=scan.id,
        scope=prepared.scope,
        identity=IdentityHasher(store.identity_key()),
        limits=request.limits,
        resolver=prepared.resolver,
        insecure=request.insecure,
        options=request.options,
    )
    probes: dict[str, Probe] = {name: load_probe(name) for name in BUILTIN_PROBES if is_built(name)}
    runner = Runner(store, ctx, probes, request.runner, on_progress)
    status = ScanStatus.INTERRUPTED
    try:
        result: RunResult = asyncio.run(runner.run(request.targets, resume=request.resume is not None))
        if not result.interrupted:
            status = ScanStatus.COMPLETE
    finally:
        store.finish_scan(scan.id, status, datetime.now(UTC))
    if status is ScanStatus.INTERRUPTED:
        raise KeyboardInterrupt
    return store.load_report(scan.id)


def _existing_or_new_scan(store: Store, prepared: Prepared) -> ScanRecord:
    request = prepared.request
    if request.resume is not None:
        scan = store.latest_scan() if request.resume == "latest" else store.get_scan(request.resume)
        if scan is None:
            raise InputError(f"no scan to resume ({request.resume})")
        return scan
    profile = dict(request.profile)
    profile.setdefault("scope", prepared.scope.rules())
    scan = ScanRecord(
        id=new_scan_id(),
        targets=[target.ref for target in request.targets],
        command=request.command,
        profile=profile,
    )
    store.create_scan(scan)
    return scan


def new_scan_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]


def worst_severity(report: ScanReport) -> Severity | None:
    ranked = sorted((f.severity for f in report.findings), key=lambda s: s.rank, reverse=True)
    return ranked[0] if ranked else None
