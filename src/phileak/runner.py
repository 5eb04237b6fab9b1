"""Runs probes over targets: per-target containment (mitmproxy's safecall), limits, retries, cancellation.

Every (probe, target) ends as one stored TargetOutcome: a failure is data, and the scan goes on. Findings are
stored the moment a probe yields them, so a target that times out or is interrupted keeps what it found.
A target's wall-clock limit (Limits.timeout_s) runs from when it gets its concurrency slots and covers every
attempt and retry backoff.
Sink calls are made directly on the event loop thread, one at a time: a Store needs no thread safety.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from phileak.errors import InputError, ProbeNotBuilt, ScopeViolation, TransientError
from phileak.model import Evidence, Finding, OutcomeStatus, Severity, TargetOutcome
from phileak.probes.base import Probe, ScanContext
from phileak.targets import Target

REFUSED_KIND = "out-of-scope-refused"


class FindingSink(Protocol):
    """Where findings and outcomes go as they happen; phileak.store.Store implements it."""

    def record_finding(self, scan_id: str, finding: Finding) -> bool: ...

    def record_outcome(self, scan_id: str, outcome: TargetOutcome) -> None: ...

    def completed_targets(self, scan_id: str) -> set[tuple[str, str]]: ...


@dataclass(frozen=True)
class RunnerConfig:
    """How many targets run at once, in all and per host (Target.host; a target without one has no host
    limit)."""

    concurrency: int = 8
    per_host: int = 2

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.per_host < 1:
            raise InputError("concurrency and per-host limits must be at least 1")


@dataclass
class RunResult:
    """The outcomes of the targets this run handled (input order), their findings, and whether it was cut
    short. Targets skipped by `resume` have no outcome here: theirs is already stored."""

    outcomes: list[TargetOutcome]
    findings: int
    interrupted: bool


ProgressCallback = Callable[[TargetOutcome, int, int], None]  # (outcome, done, total)


class Runner:
    def __init__(
        self,
        sink: FindingSink,
        ctx: ScanContext,
        probes: Mapping[str, Probe],
        config: RunnerConfig = RunnerConfig(),
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self._sink = sink
        self._ctx = ctx
        self._probes = probes
        self._config = config
        self._on_progress = on_progress

    async def run(self, targets: Sequence[Target], *, resume: bool = False) -> RunResult:
        """Scan every target once (duplicates are run once); with `resume`, skip the targets the sink reports
        completed for this scan.

        Cancellation (Ctrl-C under asyncio.run, task.cancel(), or KeyboardInterrupt inside a probe) does not
        raise: running and waiting targets get an `interrupted` outcome, findings stay stored, and the result
        says interrupted=True. A second cancellation while those outcomes are written does propagate.
        A failing sink or progress callback stops the run and its exception propagates."""
        done = self._sink.completed_targets(self._ctx.scan_id) if resume else set()
        todo = [target for key, target in _unique(targets).items() if key not in done]
        execution = _Run(self._sink, self._ctx, self._probes, self._config, self._on_progress, todo)
        interrupted = await execution.execute()
        outcomes = [execution.outcomes[t.key] for t in todo if t.key in execution.outcomes]
        return RunResult(outcomes, sum(o.findings for o in outcomes), interrupted)


def refusal_finding(target: Target, violation: ScopeViolation) -> Finding:
    """The info finding that records what phileak refused to contact, and why. Probes may yield it
    themselves to refuse one redirect or address and carry on."""
    from phileak.logsafe import scrub

    subject, reason = scrub(violation.subject), scrub(violation.reason)
    return Finding.create(
        probe=target.probe,
        target=target.ref,
        kind=REFUSED_KIND,
        key=violation.subject,
        severity=Severity.INFO,
        title=f"Refused to contact {subject}: outside the authorised scope ({reason})",
        evidence=Evidence(subject=subject, reason=reason),
        remediation="Add it to the scope (--allow, --scope, the plan's [scope]) only if you are authorised.",
    )


def describe_error(exc: BaseException) -> str:
    """`ExcType: message`, one scrubbed line, as an error outcome stores it."""
    from phileak.logsafe import safe_message

    return safe_message(exc)


def _unique(targets: Sequence[Target]) -> dict[tuple[str, str], Target]:
    unique: dict[tuple[str, str], Target] = {}
    for target in targets:
        unique.setdefault(target.key, target)
    return unique


def _now() -> datetime:
    return datetime.now(UTC)


class _SinkFailed(Exception):
    """Carries a sink error through the per-target containment: losing findings must stop the scan."""


@dataclass
class _TargetState:
    started: datetime | None = None
    # id -> the recorded form: a probe may yield a finding again, grown (more matches, more people)
    recorded: dict[str, str] = field(default_factory=dict)


class _Run:
    """One execution of Runner.run: its slots, its outcomes, its task."""

    def __init__(
        self,
        sink: FindingSink,
        ctx: ScanContext,
        probes: Mapping[str, Probe],
        config: RunnerConfig,
        on_progress: ProgressCallback | None,
        todo: list[Target],
    ) -> None:
        self._sink = sink
        self._ctx = ctx
        self._probes = probes
        self._on_progress = on_progress
        self._todo = todo
        self._all_slots = asyncio.Semaphore(config.concurrency)
        self._host_slots: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(config.per_host)
        )
        self._task = asyncio.current_task()
        self.outcomes: dict[tuple[str, str], TargetOutcome] = {}

    async def execute(self) -> bool:
        """Run every target; True if the run was interrupted."""
        tasks = [asyncio.create_task(self._target(t), name=f"phileak {t.probe} target") for t in self._todo]
        try:
            await self._until_done_or_failed(tasks)
        except asyncio.CancelledError:
            if self._task is not None:
                self._task.uncancel()
            return True
        except KeyboardInterrupt:
            return True
        finally:
            await self._stop(tasks)
        return False

    @staticmethod
    async def _until_done_or_failed(tasks: list[asyncio.Task[None]]) -> None:
        if not tasks:
            return
        finished, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in finished:
            error = None if task.cancelled() else task.exception()
            if isinstance(error, _SinkFailed) and error.__cause__ is not None:
                raise error.__cause__
            if error is not None:
                raise error

    @staticmethod
    async def _stop(tasks: list[asyncio.Task[None]]) -> None:
        """Cancel what still runs or waits, and let each record its interrupted outcome."""
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _target(self, target: Target) -> None:
        state = _TargetState()
        try:
            status, reason = await self._scan(target, state)
        except asyncio.CancelledError:
            self._finish(target, state, OutcomeStatus.INTERRUPTED, self._interrupted_reason(state))
            raise
        except KeyboardInterrupt:
            self._finish(target, state, OutcomeStatus.INTERRUPTED, self._interrupted_reason(state))
            if self._task is not None:
                self._task.cancel()
            return
        self._finish(target, state, status, reason)

    async def _scan(self, target: Target, state: _TargetState) -> tuple[OutcomeStatus, str | None]:
        try:
            self._ctx.scope.check_target(target)
        except ScopeViolation as violation:
            self._record(refusal_finding(target, violation), state)
            return OutcomeStatus.OUT_OF_SCOPE, describe_error(violation)
        except Exception as exc:
            return OutcomeStatus.ERROR, describe_error(exc)
        probe = self._probes.get(target.probe)
        if probe is None:
            return OutcomeStatus.SKIPPED, str(ProbeNotBuilt(target.probe))
        limits = self._ctx.limits
        async with self._slots(target):
            state.started = _now()
            try:
                async with asyncio.timeout(limits.timeout_s):
                    return await self._attempts(probe, target, state)
            except TimeoutError:
                return OutcomeStatus.TIMEOUT, f"did not finish within phileak's {limits.timeout_s:g}s limit"

    @contextlib.asynccontextmanager
    async def _slots(self, target: Target) -> AsyncIterator[None]:
        # The host slot first: a target waiting for its host must not hold one of the global slots.
        async with contextlib.AsyncExitStack() as stack:
            if target.host is not None:
                await stack.enter_async_context(self._host_slots[target.host])
            await stack.enter_async_context(self._all_slots)
            yield

    async def _attempts(
        self, probe: Probe, target: Target, state: _TargetState
    ) -> tuple[OutcomeStatus, str | None]:
        limits = self._ctx.limits
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._drain(probe, target, state)
            except _SinkFailed:
                raise
            except ScopeViolation as violation:  # a redirect or DNS answer outside the scope, mid-way
                self._record(refusal_finding(target, violation), state)
            except TransientError as exc:
                if attempt > limits.retries:
                    return OutcomeStatus.ERROR, f"{describe_error(exc)} (after {attempt} attempts)"
                await asyncio.sleep(limits.retry_backoff_s * 2 ** (attempt - 1))
                continue
            except Exception as exc:
                return OutcomeStatus.ERROR, describe_error(exc)
            return OutcomeStatus.OK, None

    async def _drain(self, probe: Probe, target: Target, state: _TargetState) -> None:
        findings = probe.scan(target, self._ctx)
        try:
            async for finding in findings:
                if not isinstance(finding, Finding):
                    raise TypeError(f"the '{target.probe}' probe yielded a {type(finding).__name__}")
                self._record(finding, state)
        finally:
            aclose = getattr(findings, "aclose", None)
            if aclose is not None:
                await aclose()

    def _record(self, finding: Finding, state: _TargetState) -> None:
        form = finding.model_dump_json()
        if state.recorded.get(finding.id) == form:  # a retried attempt yields the same findings again
            return
        try:
            self._sink.record_finding(self._ctx.scan_id, finding)
        except Exception as exc:
            raise _SinkFailed from exc
        state.recorded[finding.id] = form

    def _finish(self, target: Target, state: _TargetState, status: OutcomeStatus, reason: str | None) -> None:
        outcome = TargetOutcome(
            probe=target.probe,
            target=target.ref,
            status=status,
            reason=reason,
            findings=len(state.recorded),
            started=state.started,
            finished=_now(),
        )
        try:
            self._sink.record_outcome(self._ctx.scan_id, outcome)
        except Exception as exc:
            raise _SinkFailed from exc
        self.outcomes[target.key] = outcome
        if self._on_progress is not None:
            self._on_progress(outcome, len(self.outcomes), len(self._todo))

    @staticmethod
    def _interrupted_reason(state: _TargetState) -> str:
        return "the scan was interrupted" if state.started else "the scan was interrupted before it started"
