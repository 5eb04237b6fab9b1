"""The `storage` probe: buckets and containers strangers can list or read, what they hold, and how many people.

For each target: scope check and clients (access.py), the BucketSnapshot (collect.py: anonymous view, owner
posture), then for an exposed bucket a streaming listing with key analysis and stratified sampling, ranged reads
through the PHI engine, and the findings (findings.py). A listing or throttling failure part-way still yields
what was found, then fails the target with its one-line reason.

Options (target options first, then the scan's): sample (objects to read; all by default), no_content (list and
analyse keys only), max_object_bytes (read cap per object), max_objects (listing limit), probe_key (object
names to test an anonymous read with when the listing is refused), region, account_id, and the owner's
credentials (posture.py)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

from phileak.errors import InputError, PhileakError
from phileak.model import Finding
from phileak.phi.extract import ExtractLimits
from phileak.probes.base import ScanContext
from phileak.probes.storage.access import StorageAccess, open_access
from phileak.probes.storage.collect import BucketSnapshot, collect
from phileak.probes.storage.content import PeopleTally, PhiAdapter
from phileak.probes.storage.enumerate import DEFAULT_MAX_OBJECTS, ListingStats, list_objects
from phileak.probes.storage.findings import ContentOutcome, People, bucket_findings, content_findings
from phileak.probes.storage.location import parse_location
from phileak.probes.storage.sample import StratifiedSampler
from phileak.probes.storage.scanning import ContentScan, KeyScan
from phileak.probes.storage.stores import ObjectInfo, ObjectStore
from phileak.targets import Target

DEFAULT_MAX_OBJECT_BYTES = 16 * 1024 * 1024
CONTENT_TIME_SHARE = 0.8


class StorageProbe:
    name: ClassVar[str] = "storage"

    async def scan(self, target: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
        started = time.monotonic()
        location = parse_location(target.ref, _text(target.options.get("endpoint")))
        access = await open_access(location, target.options, ctx)
        try:
            snapshot = await collect(access, _keys(_option("probe_key", target, ctx)))
            outcome, failure = await _contents(access, snapshot, target, ctx, started)
            for finding in content_findings(snapshot, outcome):
                yield finding
            profile = ctx.options.get("profile")
            for finding in bucket_findings(snapshot, outcome, profile if isinstance(profile, Mapping) else None):
                yield finding
        finally:
            await access.aclose()
        if failure is not None:
            raise failure


def _option(name: str, target: Target, ctx: ScanContext) -> Any:
    value = target.options.get(name)
    return value if value is not None else ctx.options.get(name)


def _text(value: Any) -> str | None:
    return str(value) if value else None


def _keys(value: Any) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _positive(value: Any, name: str) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise InputError(f"{name} must be at least 1")
    return number


async def _contents(
    access: StorageAccess, snapshot: BucketSnapshot, target: Target, ctx: ScanContext, started: float
) -> tuple[ContentOutcome, PhileakError | None]:
    view = snapshot.anonymous
    no_people = People(None, None, None)
    if not view.exposed:
        return ContentOutcome(None, None, None, None, None, 0, no_people, skipped="not exposed"), None
    store: ObjectStore | None = access.anonymous if view.listable else access.owner
    if store is None:
        reason = "objects are readable by name but the listing is refused (owner credentials would list them)"
        return ContentOutcome(None, None, None, None, None, 0, no_people, skipped=reason), None
    no_content = bool(_option("no_content", target, ctx))
    sample = _positive(_option("sample", target, ctx), "--sample")
    max_objects = _positive(_option("max_objects", target, ctx), "max_objects") or DEFAULT_MAX_OBJECTS
    cap = _positive(_option("max_object_bytes", target, ctx), "max_object_bytes")
    cap = cap or min(DEFAULT_MAX_OBJECT_BYTES, ctx.limits.max_bytes)
    adapter = PhiAdapter(ctx.identity)
    tally = PeopleTally() if adapter.available else None
    location = snapshot.location
    keys = (
        KeyScan(adapter, tally, ctx.identity, location.ref, location.prefix)
        if tally is not None and view.listable
        else None
    )
    read_contents = not no_content and tally is not None and bool(view.readable or view.readable is None)
    content = None
    if read_contents and tally is not None:
        key_scan = keys or KeyScan(adapter, tally, ctx.identity, location.ref, location.prefix)
        deadline = started + ctx.limits.timeout_s * CONTENT_TIME_SHARE
        limits = ExtractLimits(max_input_bytes=cap, max_memory_mb=ctx.limits.max_memory_mb)
        # Contents are always read as a stranger would: that is the exposure.
        content = ContentScan(
            access.anonymous, adapter, tally, ctx.identity, key_scan, ref=location.ref, prefix=location.prefix,
            max_object_bytes=cap, deadline=deadline, extract_limits=limits,
        )  # fmt: skip
    stats = ListingStats()
    sampler = StratifiedSampler(sample, location.prefix, seed=_seed(ctx, location.ref)) if sample else None
    failure: PhileakError | None = None

    async def listed() -> AsyncIterator[ObjectInfo]:
        async for item in list_objects(store, location.prefix, stats, max_objects=max_objects):
            if keys is not None:
                await keys.offer(item)
            if sampler is not None:
                sampler.offer(item)
            elif content is not None:
                yield item

    try:
        if content is not None and sampler is None:
            await content.run(listed())
        else:
            async for _ in listed():
                pass
            if content is not None and sampler is not None:
                await content.run(sampler.sample())
    except PhileakError as exc:
        failure = exc
    if keys is not None:
        await keys.finish()
    skipped = None
    if tally is None:
        skipped = "the PHI engine is not available: keys and contents were not analysed"
    elif no_content:
        skipped = "--no-content: objects listed, not read"
    elif not read_contents:
        skipped = "objects are not readable anonymously"
    people = _people(tally, _exposed_objects(stats.objects, content, sampled=sampler is not None), content is not None)
    outcome = ContentOutcome(
        listing=stats,
        key_log=keys.log if keys is not None else None,
        content_log=content.log if content is not None else None,
        content=content.stats if content is not None else None,
        sample_size=sample,
        population=stats.objects,
        people=people,
        skipped=skipped,
        extraction=_extraction(content),
    )
    return outcome, failure


def _exposed_objects(listed: int, content: ContentScan | None, *, sampled: bool) -> int:
    """The listed objects a stranger can read: those refused are not exposed, and the people in them are not
    part of the count. A sample's refusals stand for the same share of the whole listing."""
    if content is None:
        return listed
    refused = content.stats.denied + content.stats.skipped_in_refused_folders
    if not sampled:
        return max(listed - refused, 0)
    tried = refused + content.stats.read
    return round(listed * (1 - refused / tried)) if tried else listed


def _people(tally: PeopleTally | None, population: int, contents_read: bool) -> People:
    if tally is None:
        return People(None, None, None)
    observed = tally.observed()
    estimate = tally.estimate(population) if contents_read else None
    files = tally.files_per_person() if observed else None
    return People(observed, estimate, files)


def _extraction(content: ContentScan | None) -> dict[str, Any] | None:
    if content is None:
        return None
    stats = content.extraction.stats
    return {
        "isolated_batches": stats.batches,
        "batches_retried_one_by_one": stats.batch_failures,
        "errors": dict(stats.errors),
    }


def _seed(ctx: ScanContext, ref: str) -> int:
    """Reproducible within a scan (a resumed scan samples the same objects), different across scans."""
    return int.from_bytes(hashlib.blake2b(f"{ctx.scan_id} {ref}".encode(), digest_size=8).digest(), "big")
