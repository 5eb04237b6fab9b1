"""The `dicom` probe: DICOM (DIMSE) targets `host:port` and `dicom-tls://host:port`, and the HTTP side of an
imaging server `http(s)://host:port` (probes/dicom/http.py).

Each DICOM target is resolved once through the scope guard and only that address is contacted. At `standard`
and `intrusive` its DIMSE session runs in a child process under phileak's limits (wall clock, memory, result
size); at `passive`, which reads only association answers and one C-ECHO response, it runs in the event loop
with bounded reads (passive.py). One session per address at a time. Findings come from the session's report;
a peer that does not speak DICOM, stalls or aborts mid-query ends the target as an error after whatever
findings it did support.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import ClassVar, Protocol, cast

from phileak import isolation
from phileak.errors import InputError, PhileakError, ProbeNotBuilt, ScopeViolation
from phileak.isolation import run_isolated
from phileak.model import Finding
from phileak.probes.base import Limits, ScanContext
from phileak.probes.dicom import child
from phileak.probes.dicom.findings import HttpSide, build_findings
from phileak.probes.dicom.fingerprint import fingerprint
from phileak.probes.dicom.honeypot import honeypot_signs
from phileak.probes.dicom.records import (
    LEVELS,
    AssociationState,
    FindState,
    Level,
    SessionReport,
    SessionRequest,
    TcpState,
)
from phileak.scope import Resolver
from phileak.targets import DEFAULT_DICOM_PORT, Target

log = logging.getLogger(__name__)

DICOM_TLS_PORT = 2762
HTTP_SIDE_PORTS = ((8042, "http"), (80, "http"), (443, "https"), (8080, "http"))
DEFAULT_STEP_TIMEOUT_S = 10.0
SESSION_MEMORY_MB = 768
SESSION_MODULE = "phileak.probes.dicom.dimse"
SESSION_RESULT_BYTES = 16 * 1024 * 1024
# The child gets the target's time minus this share, so it can end on its own and hand back what it found.
_BUDGET_SHARE = 0.8
_CHILD_GRACE_S = 2.0


class DicomTargetError(PhileakError):
    """The target did not behave like a DICOM server (closed, silent, garbage, aborted mid-query)."""


class HttpSideResult(Protocol):
    """What probes/dicom/http.py returns for one HTTP endpoint of an imaging server. It may also carry
    `patients` and `studies` (int or None) and a `fingerprint` (with `product` and `version`, or a text)."""

    findings: list[Finding]
    exposure_key: str


HttpProbe = Callable[[str, int, str, ScanContext, str], Awaitable[HttpSideResult]]


class DicomProbe:
    name: ClassVar[str] = "dicom"

    def __init__(self) -> None:
        self._address_locks: dict[str, asyncio.Lock] = {}
        _preload_session_modules()

    async def scan(self, target: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
        level = scan_level(ctx, target)
        if target.ref.startswith(("http://", "https://")):
            async for finding in self._http_target(target, ctx, level):
                yield finding
            return
        if target.host is None:
            raise InputError(f"DICOM target without a host: {target.ref}")
        tls_first = target.ref.startswith("dicom-tls://")
        port = target.port or (DICOM_TLS_PORT if tls_first else DEFAULT_DICOM_PORT)
        address = await ctx.scope.resolve_checked(target.host, port, ctx.resolver or Resolver())
        request = session_request(ctx, level, address, port, target.host, tls_first)
        async with self._lock(address):
            if level == "passive":
                # Imported here: pynetdicom costs the parent about 0.3 s of start-up, and only passive needs it.
                from phileak.probes.dicom.passive import passive_session

                report = await passive_session(request)
            else:
                report = await run_isolated(child.run_session, request, limits=session_limits(ctx, request))
        log.info("dicom %s (%s): %s", target.ref, level, describe_session(report))
        http = await self._http_side(target.host, ctx, level) if _wants_http_side(ctx, level, report) else None
        signs = honeypot_signs(report)
        print_ = fingerprint(report, http.product, http.version) if http else fingerprint(report)
        for finding in build_findings(target, report, print_, signs, http):
            yield finding
        failure = session_failure(report)
        if failure is not None:
            raise DicomTargetError(failure)

    def _lock(self, address: str) -> asyncio.Lock:
        """One association per host at a time: sessions to the same address wait for each other."""
        return self._address_locks.setdefault(address, asyncio.Lock())

    async def _http_target(self, target: Target, ctx: ScanContext, level: Level) -> AsyncIterator[Finding]:
        if target.host is None:
            raise InputError(f"HTTP target without a host: {target.ref}")
        probe_http = _http_probe()
        scheme = "https" if target.ref.startswith("https://") else "http"
        port = target.port or (443 if scheme == "https" else 80)
        result = await probe_http(target.host, port, scheme, ctx, level)
        for finding in result.findings:
            yield finding

    async def _http_side(self, host: str, ctx: ScanContext, level: Level) -> HttpSide | None:
        """The known HTTP ports of the same host (Orthanc REST, DICOMweb, viewers), when asked for."""
        try:
            probe_http = _http_probe()
        except ProbeNotBuilt:
            return None
        findings: list[Finding] = []
        patients: int | None = None
        studies: int | None = None
        product: str | None = None
        version: str | None = None
        honeypot = False
        for port, scheme in http_side_ports(ctx):
            try:
                result = await probe_http(host, port, scheme, ctx, level)
            except (PhileakError, OSError, ScopeViolation):
                continue  # nothing there, or not allowed: the DICOM side still stands
            findings.extend(result.findings)
            patients = _first(patients, getattr(result, "patients", None))
            studies = _first(studies, getattr(result, "studies", None))
            found_product, found_version = http_identity(result)
            product, version = product or found_product, version or found_version
            honeypot = honeypot or bool(getattr(result, "honeypot_signs", None))
        if not findings:
            return None
        return HttpSide(findings, patients, studies, product, version, honeypot)


def http_side_ports(ctx: ScanContext) -> list[tuple[int, str]]:
    """Where the HTTP side is looked for: the usual ports, or `http_ports` from the options (443 as https)."""
    chosen = ctx.options.get("http_ports")
    if not chosen:
        return list(HTTP_SIDE_PORTS)
    try:
        ports = [int(port) for port in chosen]
    except (TypeError, ValueError):
        raise InputError(f"http_ports must be port numbers, not {chosen!r}") from None
    return [(port, "https" if port == 443 else "http") for port in ports]


def scan_level(ctx: ScanContext, target: Target | None = None) -> Level:
    """`--level`, overridden per target by an audit plan entry's `level`."""
    raw = (target.options.get("level") if target is not None else None) or ctx.options.get("level") or "standard"
    if raw not in LEVELS:
        raise InputError(f"unknown DICOM level {raw!r} (passive|standard|intrusive)")
    level: Level = raw
    return level


def session_request(
    ctx: ScanContext, level: Level, address: str, port: int, host: str, tls_first: bool
) -> SessionRequest:
    options = ctx.options
    budget = session_budget(ctx.limits)
    step = min(float(options.get("dicom_timeout_s") or DEFAULT_STEP_TIMEOUT_S), budget / 3)
    request = SessionRequest(
        address=address,
        port=port,
        level=level,
        identity=ctx.identity,
        calling_ae="PHILEAK" + secrets.token_hex(4).upper(),
        move_destination="NODEST" + secrets.token_hex(5).upper(),
        tls_first=tls_first,
        server_name=None if host == address else host,
        budget_s=budget,
        not_after=time.time() + budget,
        step_timeout_s=max(0.2, step),
        interval_s=float(options.get("dicom_interval_s") or 0.0),
    )
    if options.get("dicom_max_responses"):
        request = replace(request, max_responses=max(1, int(options["dicom_max_responses"])))
    given = [str(title) for title in options.get("dicom_called_aes") or []]
    if given:
        request = replace(request, called_aes=tuple(dict.fromkeys([*given, *request.called_aes])))
    return request


def session_budget(limits: Limits) -> float:
    return max(1.0, limits.timeout_s * _BUDGET_SHARE)


def session_limits(ctx: ScanContext, request: SessionRequest) -> Limits:
    return Limits(
        timeout_s=request.budget_s + _CHILD_GRACE_S,
        max_bytes=SESSION_RESULT_BYTES,
        max_memory_mb=min(ctx.limits.max_memory_mb, SESSION_MEMORY_MB),
        retries=0,
    )


def session_failure(report: SessionReport) -> str | None:
    """Why the target counts as an error (after its findings), or None when the session went as DICOM goes."""
    where = f"{report.address}:{report.port}"
    if report.errors:
        return f"{where}: {report.errors[0]}"
    if report.tcp is not TcpState.OPEN:
        return f"TCP connect to {where}: {report.tcp.value}"
    if not report.speaks_dicom:
        states = {attempt.state for attempt in report.attempts}
        if AssociationState.NOT_DICOM in states:
            return f"{where} does not speak DICOM (its answer is no DICOM PDU)"
        if report.deadline_hit:
            return f"{where}: phileak's time budget ran out before any DICOM answer"
        if AssociationState.TIMEOUT in states:
            return f"{where} accepted the connection but never answered the A-ASSOCIATE request"
        return f"{where} closed the connection without a DICOM answer (plain and TLS)"
    for query in report.queries:
        if query.state is FindState.TIMEOUT:
            return f"{where}: C-FIND did not finish within phileak's time budget ({query.responses} answers read)"
        if query.state is FindState.INTERRUPTED:
            return f"{where}: the peer ended the association mid-query after {query.responses} answers"
    if report.deadline_hit:
        return f"{where}: the DICOM session ran out of phileak's time budget"
    return None


def describe_session(report: SessionReport) -> str:
    """One log line: what each step did, in counts and states only."""
    parts = [f"tcp {report.tcp.value}"]
    for attempt in report.attempts:
        reject = f" {attempt.reject.code()}" if attempt.reject else ""
        transport = "tls" if attempt.tls else "plain"
        parts.append(f"{attempt.called_ae} {transport} {attempt.state.value}{reject}")
    for query in report.queries:
        parts.append(f"C-FIND {query.level} {query.state.value} ({query.responses} answers)")
    counts = report.counts
    if counts is not None and counts.patients is not None:
        parts.append(f"{counts.patients} patients, {counts.studies} studies")
    if report.move is not None:
        status = f" 0x{report.move.status:04X}" if report.move.status is not None else ""
        parts.append(f"C-MOVE {report.move.state.value}{status}")
    parts.append(f"{report.elapsed_s:.2f} s")
    return "; ".join(parts)


def http_identity(result: HttpSideResult) -> tuple[str | None, str | None]:
    """(product, version) from the HTTP side's fingerprint, whatever its shape."""
    print_ = getattr(result, "fingerprint", None)
    if print_ is None or isinstance(print_, str):
        return print_ or None, None
    product, version = getattr(print_, "product", None), getattr(print_, "version", None)
    return (product if isinstance(product, str) else None), (version if isinstance(version, str) else None)


def _wants_http_side(ctx: ScanContext, level: Level, report: SessionReport) -> bool:
    return bool(ctx.options.get("http_side")) and level != "passive" and report.speaks_dicom


def _preload_session_modules() -> None:
    """Ask phileak.isolation to import pynetdicom once, in its fork server, when it offers that: every session
    child then starts in milliseconds instead of importing pynetdicom and pydicom again (~0.3 s of CPU)."""
    preload = getattr(isolation, "preload", None)
    if callable(preload):
        preload(SESSION_MODULE, "phileak.probes.dicom.child")


def _http_probe() -> HttpProbe:
    try:
        module = importlib.import_module("phileak.probes.dicom.http")
    except ImportError as exc:
        raise ProbeNotBuilt("dicom (HTTP side)") from exc
    return cast(HttpProbe, module.probe_http)


def _first(current: int | None, candidate: object) -> int | None:
    return current if current is not None else (candidate if isinstance(candidate, int) else None)
