"""The runner: per-target containment, timeouts, retries, concurrency limits, scope, interruption, resume."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar, cast

import pytest

from phileak.errors import ScopeViolation, TransientError
from phileak.isolation import run_isolated
from phileak.model import Finding, OutcomeStatus, Severity, TargetOutcome, finding_id
from phileak.probes.base import Limits, Probe, ScanContext
from phileak.runner import REFUSED_KIND, Runner, RunnerConfig, RunResult
from phileak.targets import Target

SCAN_ID = "scan-0001"
FAST = Limits(timeout_s=30.0, retries=2, retry_backoff_s=0.01)
COMPLETED = {OutcomeStatus.OK, OutcomeStatus.OUT_OF_SCOPE, OutcomeStatus.SKIPPED}  # as phileak.store does


class MemorySink:
    """FindingSink in memory: findings by id (a repeat replaces), every call logged."""

    def __init__(self) -> None:
        self.findings: dict[str, Finding] = {}
        self.finding_calls: list[str] = []
        self.outcomes: dict[tuple[str, str], TargetOutcome] = {}

    def record_finding(self, scan_id: str, finding: Finding) -> bool:
        assert scan_id == SCAN_ID
        self.finding_calls.append(finding.id)
        is_new = finding.id not in self.findings
        self.findings[finding.id] = finding
        return is_new

    def record_outcome(self, scan_id: str, outcome: TargetOutcome) -> None:
        assert scan_id == SCAN_ID
        self.outcomes[(outcome.probe, outcome.target)] = outcome

    def completed_targets(self, scan_id: str) -> set[tuple[str, str]]:
        return {key for key, outcome in self.outcomes.items() if outcome.status in COMPLETED}


class FakeScope:
    """Refuses the hosts it is given; scope.py's Scope has the same check_target."""

    def __init__(self, refused: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.refused = refused

    def check_target(self, target: Target) -> None:
        if target.host in self.refused:
            raise ScopeViolation(target.host or "", "no hostname or CIDR rule allows it")


def context(limits: Limits = FAST, scope: FakeScope | None = None) -> ScanContext:
    return ScanContext(
        scan_id=SCAN_ID, scope=cast(Any, scope or FakeScope()), identity=cast(Any, None), limits=limits
    )


def target(probe: str, host: str, path: str = "") -> Target:
    return Target(probe, f"http://{host}/{path}", host=host)


def finding_for(t: Target, key: str) -> Finding:
    return Finding.create(
        probe=t.probe,
        target=t.ref,
        kind="test-exposure",
        key=key,
        severity=Severity.HIGH,
        title=f"exposure {key}",
    )


def by_target(result: RunResult) -> dict[str, TargetOutcome]:
    return {outcome.target: outcome for outcome in result.outcomes}


class CountingProbe:
    """Yields `count` findings per target; counts calls per target."""

    name: ClassVar[str] = "counting"

    def __init__(self, count: int = 1) -> None:
        self.count = count
        self.calls: Counter[str] = Counter()

    async def scan(self, t: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
        self.calls[t.ref] += 1
        for n in range(self.count):
            await asyncio.sleep(0)
            yield finding_for(t, str(n))


class HangingProbe:
    """Yields one finding, signals it, then never finishes (unless told not to hang)."""

    name: ClassVar[str] = "hanging"

    def __init__(self, hang: bool = True) -> None:
        self.hang = hang
        self.calls: Counter[str] = Counter()
        self.found = asyncio.Queue[str]()

    async def scan(self, t: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
        self.calls[t.ref] += 1
        yield finding_for(t, "first")
        self.found.put_nowait(t.ref)
        if self.hang:
            await asyncio.sleep(600)
            yield finding_for(t, "never")


class FlakyProbe:
    """Yields a finding, then raises `error` on the first `failures` attempts; later attempts succeed."""

    name: ClassVar[str] = "flaky"

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.attempts = 0

    async def scan(self, t: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
        self.attempts += 1
        yield finding_for(t, "seen-every-attempt")
        if self.attempts <= self.failures:
            raise self.error
        yield finding_for(t, "after-recovery")


class ConcurrencyProbe:
    """Records how many targets run at once, in all and per host."""

    name: ClassVar[str] = "concurrency"

    def __init__(self) -> None:
        self.active: Counter[str] = Counter()
        self.max_active = 0
        self.max_per_host: Counter[str] = Counter()

    async def scan(self, t: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
        host = t.host or ""
        self.active[host] += 1
        self.max_active = max(self.max_active, sum(self.active.values()))
        self.max_per_host[host] = max(self.max_per_host[host], self.active[host])
        try:
            await asyncio.sleep(0.2)
        finally:
            self.active[host] -= 1
        yield finding_for(t, "done")


def runner(sink: MemorySink, probes: dict[str, Any], limits: Limits = FAST, **kwargs: Any) -> Runner:
    scope = kwargs.pop("scope", None)
    return Runner(sink, context(limits, scope), cast(dict[str, Probe], probes), **kwargs)


async def test_findings_recorded_before_a_timeout_are_kept() -> None:
    sink = MemorySink()
    slow, quick = target("hanging", "slow.test"), target("counting", "quick.test")
    probes = {"hanging": HangingProbe(), "counting": CountingProbe(count=2)}
    started = time.monotonic()
    result = await runner(sink, probes, Limits(timeout_s=0.5)).run([slow, quick])
    assert time.monotonic() - started < 30
    outcomes = by_target(result)
    assert outcomes[slow.ref].status is OutcomeStatus.TIMEOUT
    assert outcomes[slow.ref].findings == 1
    assert "0.5s" in (outcomes[slow.ref].reason or "")
    assert finding_for(slow, "first").id in sink.findings
    assert outcomes[quick.ref].status is OutcomeStatus.OK
    assert result.findings == 3 and not result.interrupted


async def test_transient_errors_are_retried_until_success() -> None:
    sink = MemorySink()
    t = target("flaky", "peer.test")
    probe = FlakyProbe(failures=2, error=TransientError("connection reset"))
    result = await runner(sink, {"flaky": probe}).run([t])
    assert probe.attempts == 3
    assert result.outcomes[0].status is OutcomeStatus.OK
    assert result.outcomes[0].findings == 2  # the finding seen on every attempt counts once
    assert Counter(sink.finding_calls)[finding_for(t, "seen-every-attempt").id] == 1


async def test_transient_errors_give_up_after_the_configured_retries() -> None:
    sink = MemorySink()
    probe = FlakyProbe(failures=99, error=TransientError("503 from peer"))
    result = await runner(sink, {"flaky": probe}).run([target("flaky", "peer.test")])
    assert probe.attempts == 3
    outcome = result.outcomes[0]
    assert outcome.status is OutcomeStatus.ERROR
    assert outcome.reason == "TransientError: 503 from peer (after 3 attempts)"
    assert outcome.findings == 1


async def test_other_errors_are_not_retried_and_other_targets_still_run() -> None:
    sink = MemorySink()
    broken, fine = target("flaky", "broken.test"), target("counting", "fine.test")
    probe = FlakyProbe(failures=99, error=ValueError("bad answer\nfrom the peer"))
    result = await runner(sink, {"flaky": probe, "counting": CountingProbe()}).run([broken, fine])
    assert probe.attempts == 1
    outcomes = by_target(result)
    assert outcomes[broken.ref].status is OutcomeStatus.ERROR
    assert outcomes[broken.ref].reason == "ValueError: bad answer from the peer"
    assert outcomes[broken.ref].findings == 1
    assert outcomes[fine.ref].status is OutcomeStatus.OK
    assert sink.outcomes[("flaky", broken.ref)].status is OutcomeStatus.ERROR


async def test_error_reasons_are_scrubbed() -> None:
    sink = MemorySink()
    probe = FlakyProbe(failures=99, error=KeyError("no chart for jane.example@example.test"))
    result = await runner(sink, {"flaky": probe}).run([target("flaky", "peer.test")])
    reason = result.outcomes[0].reason or ""
    assert reason.startswith("KeyError: ")
    assert "jane.example@example.test" not in reason


async def test_global_concurrency_limit() -> None:
    probe = ConcurrencyProbe()
    targets = [target("concurrency", f"host{n}.test") for n in range(12)]
    result = await runner(MemorySink(), {"concurrency": probe}, config=RunnerConfig(3, 2)).run(targets)
    assert probe.max_active == 3
    assert all(o.status is OutcomeStatus.OK for o in result.outcomes) and len(result.outcomes) == 12


async def test_per_host_concurrency_limit() -> None:
    probe = ConcurrencyProbe()
    targets = [target("concurrency", host, str(n)) for n in range(8) for host in ("a.test", "b.test")]
    targets.append(Target("concurrency", "/no/host/file"))  # no host: no host limit, only the global one
    await runner(MemorySink(), {"concurrency": probe}, config=RunnerConfig(8, 2)).run(targets)
    assert probe.max_per_host["a.test"] == 2
    assert probe.max_per_host["b.test"] == 2
    assert probe.max_active == 5


async def test_out_of_scope_target_never_reaches_the_probe() -> None:
    sink = MemorySink()
    probe = CountingProbe()
    evil, good = target("counting", "evil.test"), target("counting", "good.test")
    result = await runner(sink, {"counting": probe}, scope=FakeScope({"evil.test"})).run([evil, good])
    assert evil.ref not in probe.calls and probe.calls[good.ref] == 1
    outcome = by_target(result)[evil.ref]
    assert outcome.status is OutcomeStatus.OUT_OF_SCOPE
    assert outcome.reason == "ScopeViolation: out of scope: evil.test (no hostname or CIDR rule allows it)"
    refused = sink.findings[finding_id("counting", evil.ref, REFUSED_KIND, "evil.test")]
    assert refused.severity is Severity.INFO and refused.kind == REFUSED_KIND
    assert "evil.test" in refused.title and "no hostname or CIDR rule allows it" in refused.title
    assert refused.model_dump()["evidence"]["reason"] == "no hostname or CIDR rule allows it"
    assert outcome.findings == 1


async def test_scope_violation_mid_way_is_an_info_finding_and_the_target_is_ok() -> None:
    sink = MemorySink()
    t = target("flaky", "portal.test")
    violation = ScopeViolation("https://elsewhere.test/login", "redirect outside the scope")
    probe = FlakyProbe(failures=99, error=violation)
    result = await runner(sink, {"flaky": probe}).run([t])
    assert probe.attempts == 1
    assert result.outcomes[0].status is OutcomeStatus.OK
    assert result.outcomes[0].findings == 2
    refused = sink.findings[finding_id("flaky", t.ref, REFUSED_KIND, "https://elsewhere.test/login")]
    assert refused.severity is Severity.INFO
    assert "https://elsewhere.test/login" in refused.title


async def test_target_of_a_missing_probe_is_skipped() -> None:
    result = await runner(MemorySink(), {}).run([target("dicom", "pacs.test")])
    assert result.outcomes[0].status is OutcomeStatus.SKIPPED
    assert result.outcomes[0].reason == "the 'dicom' probe is not built yet"


async def test_cancellation_keeps_findings_and_marks_targets_interrupted() -> None:
    sink = MemorySink()
    probe = HangingProbe()
    targets = [target("hanging", f"h{n}.test") for n in range(3)]
    run = asyncio.create_task(runner(sink, {"hanging": probe}, config=RunnerConfig(2, 2)).run(targets))
    for _ in range(2):
        await asyncio.wait_for(probe.found.get(), timeout=30)
    run.cancel()
    result = await run
    assert not run.cancelled() and result.interrupted
    assert [o.status for o in result.outcomes] == [OutcomeStatus.INTERRUPTED] * 3
    running, waiting = result.outcomes[:2], result.outcomes[2]
    assert all(o.findings == 1 and o.started is not None for o in running)
    assert waiting.findings == 0 and waiting.started is None
    assert waiting.reason == "the scan was interrupted before it started"
    assert {finding_for(t, "first").id for t in targets[:2]} == set(sink.findings)
    assert len(sink.outcomes) == 3


async def test_keyboard_interrupt_inside_a_probe_interrupts_the_run() -> None:
    class InterruptedProbe(CountingProbe):
        async def scan(self, t: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
            yield finding_for(t, "before")
            raise KeyboardInterrupt

    sink = MemorySink()
    targets = [target("counting", "a.test"), target("hanging", "b.test")]
    result = await runner(sink, {"counting": InterruptedProbe(), "hanging": HangingProbe()}).run(targets)
    assert result.interrupted
    assert [o.status for o in result.outcomes] == [OutcomeStatus.INTERRUPTED] * 2
    assert len(sink.findings) == 2


async def test_resume_skips_completed_targets_and_does_not_double_findings() -> None:
    sink = MemorySink()
    done, cut = target("counting", "done.test"), target("hanging", "cut.test")
    counting, hanging = CountingProbe(count=2), HangingProbe()
    first = asyncio.create_task(runner(sink, {"counting": counting, "hanging": hanging}).run([done, cut]))
    await asyncio.wait_for(hanging.found.get(), timeout=30)
    while ("counting", done.ref) not in sink.outcomes:
        await asyncio.sleep(0.01)
    first.cancel()
    assert (await first).interrupted

    hanging.hang = False
    result = await runner(sink, {"counting": counting, "hanging": hanging}).run([done, cut], resume=True)
    assert counting.calls[done.ref] == 1
    assert hanging.calls[cut.ref] == 2
    assert [o.target for o in result.outcomes] == [cut.ref]
    assert sink.outcomes[("hanging", cut.ref)].status is OutcomeStatus.OK
    calls = Counter(sink.finding_calls)
    assert all(calls[finding_for(done, str(n)).id] == 1 for n in range(2))
    assert set(sink.findings) == {
        finding_for(done, "0").id,
        finding_for(done, "1").id,
        finding_for(cut, "first").id,
    }

    again = await runner(sink, {"counting": counting, "hanging": hanging}).run([done, cut], resume=True)
    assert again.outcomes == [] and again.findings == 0
    assert counting.calls[done.ref] == 1 and hanging.calls[cut.ref] == 2


async def test_duplicate_targets_run_once_and_progress_counts_each() -> None:
    probe = CountingProbe()
    seen: list[tuple[str, int, int]] = []
    targets = [target("counting", "a.test"), target("counting", "b.test"), target("counting", "a.test")]
    result = await runner(
        MemorySink(),
        {"counting": probe},
        on_progress=lambda o, done, total: seen.append((o.target, done, total)),
    ).run(targets)
    assert probe.calls[targets[0].ref] == 1
    assert [(done, total) for _, done, total in seen] == [(1, 2), (2, 2)]
    assert [o.target for o in result.outcomes] == [targets[0].ref, targets[1].ref]


async def test_a_failing_sink_stops_the_run() -> None:
    class FullDisk(MemorySink):
        def record_finding(self, scan_id: str, finding: Finding) -> bool:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        await runner(FullDisk(), {"counting": CountingProbe()}).run([target("counting", "a.test")])


def isolated_parse(kind: str) -> str:
    if kind == "sleep":
        time.sleep(600)
    raise ValueError(f"cannot parse {kind}")


class IsolatedProbe:
    """Parses in a child process, as probes do with hostile files."""

    name: ClassVar[str] = "isolated"

    async def scan(self, t: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
        # Only the hung parse is meant to hit the wall clock; the other gets room for a loaded machine.
        limits = Limits(timeout_s=1.0 if t.options["kind"] == "sleep" else 60.0)
        yield finding_for(t, "before-parsing")
        await run_isolated(isolated_parse, t.options["kind"], limits=limits)


async def test_isolated_failures_become_error_outcomes() -> None:
    hung = Target("isolated", "/files/hung.pdf", options={"kind": "sleep"})
    bad = Target("isolated", "/files/bad.pdf", options={"kind": "garbage"})
    result = await runner(MemorySink(), {"isolated": IsolatedProbe()}).run([hung, bad])
    outcomes = by_target(result)
    assert outcomes[hung.ref].status is OutcomeStatus.ERROR
    assert (outcomes[hung.ref].reason or "").startswith("LimitExceeded: isolated call killed")
    assert outcomes[bad.ref].reason == "IsolatedFailure: ValueError: cannot parse garbage"
    assert all(o.findings == 1 for o in result.outcomes)


CTRL_C_SCRIPT = textwrap.dedent(
    """
    import asyncio, signal, sys
    # As in a terminal: a test run started in the background inherits SIGINT ignored, and Python keeps that.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.path.insert(0, sys.argv[1])
    from phileak.probes.base import Limits
    from test_runner import HangingProbe, MemorySink, runner, target

    async def main():
        probe = HangingProbe()
        # A limit far beyond the test's: only Ctrl-C can end this target.
        run = runner(MemorySink(), {"hanging": probe}, Limits(timeout_s=600)).run([target("hanging", "a.test")])
        async def announce():
            await probe.found.get()
            print("ready", flush=True)
        announcer = asyncio.ensure_future(announce())
        result = await run
        announcer.cancel()
        return result

    result = asyncio.run(main())
    print(f"interrupted={result.interrupted} findings={result.findings} {result.outcomes[0].status.value}")
    """
)


def test_ctrl_c_under_asyncio_run_returns_a_summary() -> None:
    tests_dir = os.path.dirname(__file__)
    child = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_SCRIPT, tests_dir],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    assert out.strip() == "interrupted=True findings=1 interrupted"


async def test_runs_into_the_real_sqlite_store_and_resumes_from_it(tmp_path: Path) -> None:
    from phileak.model import Scan
    from phileak.store import Store

    store = Store.open(str(tmp_path / "phileak.db"))
    try:
        store.create_scan(Scan(id=SCAN_ID))
        ok, slow = target("counting", "ok.test"), target("hanging", "slow.test")
        counting, hanging = CountingProbe(count=2), HangingProbe()
        first = await Runner(
            store, context(Limits(timeout_s=0.5)), cast(Any, {"counting": counting, "hanging": hanging})
        ).run([ok, slow])
        assert [o.status for o in first.outcomes] == [OutcomeStatus.OK, OutcomeStatus.TIMEOUT]
        hanging.hang = False
        again = await Runner(store, context(), cast(Any, {"counting": counting, "hanging": hanging})).run(
            [ok, slow], resume=True
        )
        assert [o.target for o in again.outcomes] == [slow.ref]
        assert counting.calls[ok.ref] == 1
        report = store.load_report(SCAN_ID)
        assert {o.target: o.status for o in report.outcomes} == {
            ok.ref: OutcomeStatus.OK,
            slow.ref: OutcomeStatus.OK,
        }
        assert len(report.findings) == 3
    finally:
        store.close()


class GrowingProbe:
    """Yields the same finding twice: first with one match, then grown to two (as a web probe does when a
    later request repeats a leak)."""

    name: ClassVar[str] = "growing"

    async def scan(self, t: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
        first = finding_for(t, "leak")
        yield first.model_copy(update={"affected_individuals": 1})
        yield first.model_copy(update={"affected_individuals": 2})
        yield first.model_copy(update={"affected_individuals": 2})


async def test_a_finding_yielded_again_with_more_evidence_replaces_the_stored_one() -> None:
    sink = MemorySink()
    t = target("growing", "peer.test")
    result = await runner(sink, {"growing": GrowingProbe()}).run([t])
    leak = finding_for(t, "leak")
    assert sink.finding_calls == [leak.id, leak.id]  # the unchanged repeat is not written again
    assert sink.findings[leak.id].affected_individuals == 2
    assert result.outcomes[0].findings == 1
