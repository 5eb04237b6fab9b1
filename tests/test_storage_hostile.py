"""Hostile storage servers: a listing that never ends, an object lying about its size, a zip bomb, files that
are not what their names say, and throttling. Each ends as a bounded, per-target result, never a hang."""

from __future__ import annotations

from typing import Any

import pytest

from phileak.model import Finding, OutcomeStatus, TargetOutcome
from phileak.probes.storage.enumerate import ListingError
from phileak.probes.storage.probe import StorageProbe
from phileak.probes.storage.transport import ThrottledError
from phileak.runner import Runner, RunnerConfig
from phileak.targets import parse_target
from storage_peers import THROTTLED_KEYS, HostileS3, context, hostile

RULES = ["s3://hostile-*", "127.0.0.1/32"]


@pytest.fixture
def server(request: pytest.FixtureRequest) -> HostileS3:
    return hostile(request)


class Sink:
    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.outcomes: list[TargetOutcome] = []

    def record_finding(self, scan_id: str, finding: Finding) -> bool:
        self.findings.append(finding)
        return True

    def record_outcome(self, scan_id: str, outcome: TargetOutcome) -> None:
        self.outcomes.append(outcome)

    def completed_targets(self, scan_id: str) -> set[tuple[str, str]]:
        return set()


async def collect(server: HostileS3, bucket: str, **options: Any) -> tuple[list[Finding], BaseException | None]:
    target = parse_target("storage", f"s3://{bucket}", {"endpoint": server.endpoint})
    findings: list[Finding] = []
    try:
        async for finding in StorageProbe().scan(target, context(RULES, **options)):
            findings.append(finding)
    except Exception as exc:
        return findings, exc
    return findings, None


async def test_a_repeated_continuation_token_stops_the_listing_with_an_error(server: HostileS3) -> None:
    findings, error = await collect(server, "hostile-endless", no_content=True)
    assert isinstance(error, ListingError) and "repeated a continuation token" in str(error)
    [listing] = [f for f in findings if f.kind == "bucket-public-list"]
    evidence = listing.evidence.model_extra
    assert evidence["listing_complete"] is False and "continuation token" in evidence["listing_stopped"]
    assert evidence["objects"] == 2  # the second page repeated the token
    assert server.requests["hostile-endless"] < 10


async def test_lying_sizes_bombs_and_misnamed_files_cost_only_themselves(server: HostileS3) -> None:
    findings, error = await collect(server, "hostile-files", max_object_bytes=1024 * 1024)
    assert error is None
    [listing] = [f for f in findings if f.kind == "bucket-public-list"]
    content = listing.evidence.model_extra["content"]
    unreadable = content["unreadable"]
    assert unreadable["the server sent more than the read cap (it ignored the byte range)"] == 1  # liar.txt
    assert any(reason.startswith("limit max_") for reason in unreadable)  # bomb.zip
    assert unreadable["not a supported file format"] == 1  # junk.pdf
    assert content["objects_analysed"] == 2  # text-named.pdf is read as the text it is, and patient.txt
    assert content["objects_with_identifiers"] == 2
    assert listing.affected_individuals == 1


async def test_throttling_and_endless_listings_end_as_per_target_errors(server: HostileS3) -> None:
    sink = Sink()
    targets = [parse_target("storage", f"s3://{b}", {"endpoint": server.endpoint})
               for b in ("hostile-slowdown", "hostile-endless", "hostile-files")]  # fmt: skip
    ctx = context(RULES, no_content=True)
    result = await Runner(sink, ctx, {"storage": StorageProbe()}, RunnerConfig(concurrency=3)).run(targets)
    outcomes = {o.target: o for o in result.outcomes}
    slowdown = outcomes["s3://hostile-slowdown"]
    assert slowdown.status is OutcomeStatus.ERROR and "ThrottledError" in (slowdown.reason or "")
    assert outcomes["s3://hostile-endless"].status is OutcomeStatus.ERROR
    assert outcomes["s3://hostile-files"].status is OutcomeStatus.OK
    assert any(f.target == "s3://hostile-endless" and f.kind == "bucket-public-list" for f in sink.findings)
    # bounded: one list call and its retries (ctx.limits.retries=1, at least 3 retries for storage)
    assert server.requests["hostile-slowdown"] <= 4


async def test_throttling_is_retried_a_bounded_number_of_times(server: HostileS3) -> None:
    before = server.requests.get("hostile-slowdown", 0)
    _, error = await collect(server, "hostile-slowdown")
    assert isinstance(error, ThrottledError) and "HTTP 503" in str(error)
    assert server.requests["hostile-slowdown"] - before == 4  # the first try and 3 retries, then the target fails


async def test_reads_that_stay_throttled_fail_alone_and_no_message_names_an_object(server: HostileS3) -> None:
    """Every object read answers 503: each one is an unreadable object, the listing's findings are kept, and
    after a run of such failures the target ends with an error that names the server, never a key (keys are
    patients' names and birth dates)."""
    findings, error = await collect(server, "hostile-throttled-reads")
    assert isinstance(error, ThrottledError)
    assert "object name withheld" in str(error) and "Okafor" not in str(error) and "19670" not in str(error)
    [listing] = [f for f in findings if f.kind == "bucket-public-list"]
    assert listing.evidence.model_extra["objects"] == len(THROTTLED_KEYS)
    assert any(f.kind == "phi-in-object-key" for f in findings)
    shown = " ".join(f.model_dump_json() for f in findings)
    assert "Okafor" not in shown and "Priya" not in shown
