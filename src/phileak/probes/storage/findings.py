"""Findings of the storage probe, built complete from the snapshot and the scans:

bucket-public-list      strangers can list the bucket (object count, total size, people)
bucket-public-read      strangers can read objects
bucket-config-mismatch  the owner's configuration and the live unsigned probe disagree (both views)
phi-in-object           patient data in an object's contents (per object, or per prefix past a limit)
phi-in-object-key       patient identifiers in object keys (per key, or per prefix past a limit)
hds-uncertified-host    French health data held by a host the plan does not mark HDS-certified
bucket-not-public       nothing anonymous worked (info: how each check went)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from phileak.model import DataCategory, Estimate, Evidence, Finding, Severity
from phileak.phi.person_evidence import people_evidence
from phileak.probes.storage.collect import BucketSnapshot, evidence_of
from phileak.probes.storage.enumerate import ListingStats
from phileak.probes.storage.scanning import PER_OBJECT_LIMIT, Aggregate, ContentStats, Hit, HitLog
from phileak.scope import host_pattern_matches

PROBE = "storage"

REMEDIATION = {
    "s3": (
        "Turn on S3 Block Public Access for the account and the bucket (BlockPublicAcls, IgnorePublicAcls, "
        "BlockPublicPolicy, RestrictPublicBuckets all true); remove AllUsers/AuthenticatedUsers grants from the "
        'bucket and object ACLs (Object Ownership: BucketOwnerEnforced); remove Principal "*" statements from '
        "the bucket policy; then check that an unsigned request is refused."
    ),
    "s3-compatible": (
        'Remove anonymous access on this S3-compatible server: public-read ACLs, Principal "*" bucket-policy '
        "statements, and any anonymous identity in the server's own access configuration (for SeaweedFS, the "
        "`anonymous` identity in its s3 config); then check that an unsigned request is refused."
    ),
    "gcs": (
        "Enforce public access prevention on the bucket (gcloud storage buckets update gs://BUCKET "
        "--public-access-prevention), remove allUsers and allAuthenticatedUsers from its IAM policy and object "
        "ACLs, and use uniform bucket-level access."
    ),
    "azure": (
        "Set the container's public access level to private, and set allowBlobPublicAccess=false on the storage "
        "account (az storage account update --allow-blob-public-access false) so no container can be made public."
    ),
}
OBJECT_REMEDIATION = (
    "Take the objects out of public reach first (see the bucket finding); then move patient files to storage "
    "whose access is controlled and logged, delete copies that are not needed, and review access logs for the "
    "exposure window."
)
KEY_REMEDIATION = (
    "Stop naming objects after patients: use opaque identifiers in keys and keep the mapping in a controlled "
    "system; keys are listed to anyone who can list the bucket, even when objects are not readable."
)


@dataclass(frozen=True)
class People:
    observed: int | None  # distinct people seen in keys and contents read; None when nothing was analysed
    estimate: Estimate | None  # when only a sample was read
    files_per_person: float | None


@dataclass(frozen=True)
class ContentOutcome:
    """What the key and content scans found in one bucket (None when they did not run, `skipped` says why)."""

    listing: ListingStats | None
    key_log: HitLog | None
    content_log: HitLog | None
    content: ContentStats | None
    sample_size: int | None
    population: int
    people: People
    skipped: str | None = None
    extraction: Mapping[str, Any] | None = None

    @property
    def is_phi(self) -> bool:
        return any(h.result.is_phi for h in self._hits(self.content_log)) or bool(
            self.content_log and any(a.phi for a in self.content_log.aggregates.values())
        )

    @property
    def identifiers_found(self) -> bool:
        return bool((self.key_log and self.key_log.count) or (self.content_log and self.content_log.count))

    @property
    def categories(self) -> set[DataCategory]:
        found: set[DataCategory] = set()
        for log in (self.key_log, self.content_log):
            if log is not None:
                found |= log.categories
        return found

    @staticmethod
    def _hits(log: HitLog | None) -> list[Hit]:
        return list(log.hits) if log is not None else []


NOT_PUBLIC_REMEDIATION = (
    "Nothing to do for anonymous access; keep Block Public Access / public access prevention on."
)
UNTESTED_READ_REMEDIATION = (
    "Objects may still be readable by anyone who knows or guesses their names (Azure 'blob' access level, an S3 "
    "policy granting s3:GetObject without s3:ListBucket). Re-run with --probe-key KEY (a real object name) or "
    "with the owner's credentials to check the configuration; turn on Block Public Access / set Azure "
    "allowBlobPublicAccess=false / GCS public access prevention if no object is meant to be public."
)


def remediation_for(snapshot: BucketSnapshot) -> str:
    if snapshot.provider == "s3" and snapshot.location.custom_endpoint:
        return REMEDIATION["s3-compatible"]
    return REMEDIATION[snapshot.provider]


def exposure_severity(snapshot: BucketSnapshot, outcome: ContentOutcome) -> Severity:
    """Critical with patient data found; high with identifiers found, a writable configuration, or contents
    not inspected; medium when what was inspected held nothing personal."""
    if outcome.is_phi:
        return Severity.CRITICAL
    if outcome.identifiers_found or snapshot.writable_by_config or outcome.skipped or outcome.content is None:
        return Severity.HIGH
    return Severity.MEDIUM


def bucket_findings(
    snapshot: BucketSnapshot, outcome: ContentOutcome, profile: Mapping[str, Any] | None
) -> Iterator[Finding]:
    """The bucket-level findings: exposure, mismatch, HDS, or 'not public'."""
    view = snapshot.anonymous
    ref = snapshot.location.ref
    evidence = evidence_of(snapshot)
    evidence.update(_content_evidence(outcome))
    severity = exposure_severity(snapshot, outcome)
    categories = sorted(outcome.categories, key=lambda c: c.value)
    people = outcome.people
    size = _size_text(outcome.listing)
    if view.listable:
        writable = " (and writable by its configuration)" if snapshot.writable_by_config else ""
        yield Finding.create(
            probe=PROBE, target=ref, kind="bucket-public-list", severity=severity,
            title=f"Anyone can list {ref}{size}{writable}{_people_text(people)}",
            data_categories=categories, affected_individuals=people.observed, estimate=people.estimate,
            evidence=Evidence(**evidence), remediation=remediation_for(snapshot),
        )  # fmt: skip
    if view.readable:
        yield Finding.create(
            probe=PROBE, target=ref, kind="bucket-public-read", severity=severity,
            title=f"Anyone can read objects in {ref}{'' if view.listable else ' by name'}{_people_text(people)}",
            data_categories=categories, affected_individuals=people.observed, estimate=people.estimate,
            evidence=Evidence(**evidence), remediation=remediation_for(snapshot),
        )  # fmt: skip
    mismatches = snapshot.mismatches()
    if mismatches:
        live_wider = any(m.live and not m.config_says for m in mismatches)
        yield Finding.create(
            probe=PROBE, target=ref, kind="bucket-config-mismatch",
            key=tuple(f"{m.access}:{m.config_says}:{m.live}" for m in mismatches),
            severity=Severity.HIGH if live_wider else Severity.MEDIUM,
            title=f"{ref}: " + "; ".join(m.sentence() for m in mismatches),
            data_categories=categories if live_wider else [],
            evidence=Evidence(
                differences=[{"access": m.access, "configuration": m.config_says, "live": m.live} for m in mismatches],
                configuration=evidence.get("configuration"), live=evidence["anonymous"],
                explanation=_mismatch_explanation(snapshot, live_wider),
            ),
            remediation=remediation_for(snapshot),
        )  # fmt: skip
    if not view.exposed:
        untested = view.exists is not False and view.readable is None
        if view.exists is False:
            title = f"{ref} does not exist (list, read and ACL checks)"
        elif untested:
            title = f"{ref} refuses anonymous listing; reads by object name were not tested (no object name known)"
        else:
            title = f"{ref} answered no anonymous request (list, read and ACL checks)"
        yield Finding.create(
            probe=PROBE, target=ref, kind="bucket-not-public", severity=Severity.INFO, title=title,
            evidence=Evidence(**evidence_of(snapshot)),
            remediation=UNTESTED_READ_REMEDIATION if untested else NOT_PUBLIC_REMEDIATION,
        )  # fmt: skip
    hds = hds_check(snapshot, outcome, profile)
    if hds is not None:
        yield hds


def _mismatch_explanation(snapshot: BucketSnapshot, live_wider: bool) -> str:
    if not live_wider:
        return (
            "Public access is configured but refused live: something else blocks it (account or organisation "
            "Block Public Access, a network policy, or a server that does not honour the setting)."
        )
    if snapshot.location.custom_endpoint:
        return (
            "Strangers get more than the bucket's ACL and policy grant: on an S3-compatible server, look at its "
            "own access configuration (anonymous identities), and at ACL semantics that differ from AWS (a "
            "bucket ACL READ grant may serve objects, not only the listing)."
        )
    return (
        "Strangers get more than the configuration read with the owner's credentials grants: look for object "
        "ACLs, access points, or configuration the credentials could not read."
    )


def content_findings(snapshot: BucketSnapshot, outcome: ContentOutcome) -> Iterator[Finding]:
    ref = snapshot.location.ref
    health_in_bucket = outcome.is_phi
    if outcome.content_log is not None:
        yield from _hit_findings(ref, outcome.content_log, "phi-in-object", health_in_bucket, OBJECT_REMEDIATION)
    if outcome.key_log is not None:
        yield from _hit_findings(ref, outcome.key_log, "phi-in-object-key", health_in_bucket, KEY_REMEDIATION)


def _hit_findings(ref: str, log: HitLog, kind: str, health_in_bucket: bool, remediation: str) -> Iterator[Finding]:
    in_keys = kind == "phi-in-object-key"
    noun = "object key" if in_keys else "object"
    if not log.aggregated:
        for hit in log.hits:
            result = hit.result
            severity = (
                max(result.severity, Severity.HIGH, key=lambda s: s.rank)
                if in_keys and health_in_bucket
                else result.severity
            )
            what = "Patient data" if result.is_phi or (in_keys and health_in_bucket) else "Personal identifiers"
            yield Finding.create(
                probe=PROBE, target=ref, kind=kind, key=hit.object_id, severity=severity,
                title=f"{what} in {noun} {hit.shown_key}",
                data_categories=sorted(result.categories, key=lambda c: c.value),
                affected_individuals=len(result.person_keys),
                evidence=Evidence(
                    excerpt=None if in_keys else (result.excerpt or None), **people_evidence(result.people),
                    object=hit.shown_key, size=hit.size, counts=dict(result.counts), aggregated=False,
                    identifiers=sorted(c.value for c in result.identifiers),
                    health_context=sorted(c.value for c in result.health),
                ),
                remediation=remediation,
            )  # fmt: skip
        return
    reason = (
        f"{log.count} {noun}s hold identifiers, more than {PER_OBJECT_LIMIT}: one finding per top-level "
        "prefix instead of one per object, so the report stays readable; counts cover every one"
    )
    for prefix, aggregate in sorted(log.aggregates.items()):
        yield _aggregate_finding(ref, kind, noun, prefix, aggregate, reason, health_in_bucket, remediation)


def _aggregate_finding(
    ref: str,
    kind: str,
    noun: str,
    prefix: str,
    aggregate: Aggregate,
    reason: str,
    health_in_bucket: bool,
    remediation: str,
) -> Finding:
    in_keys = kind == "phi-in-object-key"
    where = f"under {aggregate.shown_prefix}/" if prefix else "at the top level"
    severity = aggregate.severity
    if in_keys and health_in_bucket:
        severity = max(severity, Severity.HIGH, key=lambda s: s.rank)
    what = "Patient data" if aggregate.phi or (in_keys and health_in_bucket) else "Personal identifiers"
    return Finding.create(
        probe=PROBE, target=ref, kind=kind, key=("prefix", prefix), severity=severity,
        title=f"{what} in {aggregate.objects} {noun}s {where}",
        data_categories=sorted(aggregate.categories, key=lambda c: c.value),
        affected_individuals=len(aggregate.person_keys),
        evidence=Evidence(
            excerpt=None if in_keys or not aggregate.excerpts else aggregate.excerpts[0],
            **people_evidence(aggregate.people.values()), aggregated=True, aggregation_reason=reason,
            prefix=aggregate.shown_prefix, objects=aggregate.objects, total_bytes=aggregate.total_bytes,
            examples=aggregate.examples, excerpts=[] if in_keys else aggregate.excerpts,
        ),
        remediation=remediation,
    )  # fmt: skip


def hds_check(snapshot: BucketSnapshot, outcome: ContentOutcome, profile: Mapping[str, Any] | None) -> Finding | None:
    """France: health data must be hosted by an HDS-certified host (Code de la santé publique L.1111-8)."""
    organisation = (profile or {}).get("organisation") or {}
    if not isinstance(organisation, Mapping):
        return None
    french = (
        "EU-FR" in (organisation.get("jurisdictions") or [])
        or organisation.get("entity_type") == "fr-health-establishment"
    )
    if not french or not outcome.is_phi:
        return None
    certified = [str(h).lower() for h in organisation.get("hds_certified_hosts") or []]
    host = snapshot.host.lower()
    if any(host_pattern_matches(pattern, host) or pattern == host for pattern in certified):
        return None
    ref = snapshot.location.ref
    return Finding.create(
        probe=PROBE, target=ref, kind="hds-uncertified-host", key=host, severity=Severity.HIGH,
        title=f"French health data in {ref} on {host}, a host the plan does not list as HDS-certified",
        data_categories=sorted(outcome.categories, key=lambda c: c.value),
        affected_individuals=outcome.people.observed, estimate=outcome.people.estimate,
        evidence=Evidence(host=host, provider=snapshot.provider, region=snapshot.region, hds_certified_hosts=certified),
        remediation=("Host health data only with an HDS-certified provider (list it in the plan's "
                     "hds_certified_hosts once its certificate is checked), or move the data."),
    )  # fmt: skip


def _content_evidence(outcome: ContentOutcome) -> dict[str, Any]:
    listing = outcome.listing
    data: dict[str, Any] = {}
    if listing is not None:
        data["objects"] = listing.objects
        data["total_bytes"] = listing.total_bytes
        data["listing_complete"] = listing.complete
        if listing.stopped:
            data["listing_stopped"] = listing.stopped
        if listing.unknown_sizes:
            data["objects_of_unknown_size"] = listing.unknown_sizes
    if outcome.skipped:
        data["content_not_scanned"] = outcome.skipped
    if outcome.key_log is not None:
        data["keys_with_identifiers"] = outcome.key_log.count
    content = outcome.content
    if content is not None:
        data["content"] = {
            "sampled": outcome.sample_size is not None and outcome.sample_size < outcome.population,
            "sample_size": outcome.sample_size, "population": outcome.population,
            "objects_read": content.read, "objects_analysed": content.analysed, "bytes_read": content.bytes_read,
            "objects_with_identifiers": content.with_phi, "skipped_over_read_cap": content.skipped_too_large,
            "empty": content.empty, "refused": content.denied,
            "skipped_in_refused_folders": content.skipped_in_refused_folders,
            "size_differs_from_listing": content.size_mismatch,
            "read_in_part": content.read_in_part, "without_text_layer": content.without_text,
            "unreadable": dict(content.unreadable),
            "cut_short": content.cut_short,
        }  # fmt: skip
        if outcome.extraction:
            data["content"]["extraction"] = dict(outcome.extraction)
    people = outcome.people
    if people.files_per_person is not None:
        data["files_per_person"] = round(people.files_per_person, 2)
    return data


def _size_text(listing: ListingStats | None) -> str:
    if listing is None:
        return ""
    more = "" if listing.complete else "+"
    noun = "object" if listing.objects == 1 and listing.complete else "objects"
    return f" ({listing.objects}{more} {noun}, {_bytes(listing.total_bytes)})"


def _people_text(people: People) -> str:
    estimate = people.estimate
    if estimate is not None and estimate.low != estimate.high:
        return f"; about {estimate.low}-{estimate.high} people (95 % interval)"
    count = estimate.low if estimate is not None else people.observed
    if count:
        return f"; {count} {'person' if count == 1 else 'people'}"
    return ""


def _bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{count} B"
