"""Exposure sizing: how many distinct people a scan's findings concern, what about them, who got it, and since when.

People. Probes put keyed person hashes in `evidence.identity_hashes` (the store's HMAC key is shared, so one
person hashes alike across probes and re-scans): their union is the exact part of the count. Findings about one
exposure (one bucket, one imaging host, one scanned folder) form a unit: one of them counts the unit's whole
population (a summary: the bucket-level finding, the folder summary, the DICOM main finding), the others are
subsets of it. People a finding counts but does not list by key may be anyone, so across units they combine as
bounds: the floor is the largest single population (or the keyed people, if more), the ceiling the keyed people
plus every unit's unkeyed people, as if nobody appeared twice. A unit that exposes data without any count
leaves the ceiling open. `method` says which of these the number is.

History. First and last seen per finding id come from earlier scans of the store; a finding is closed by the
first later scan that checked its target successfully and did not find it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from phileak.assess.groups import IMAGING_SERVER, PUBLIC_STORAGE, bears_people, exposure_type
from phileak.model import Finding, OutcomeStatus, ScanReport, Severity
from phileak.phi.people import resolve_people
from phileak.phi.person_evidence import records_from_evidence

ANYONE = "Anyone on the internet"
# Findings whose count is the distinct people of their whole unit (the other findings of the unit are subsets).
SUMMARY_KINDS = frozenset(
    {
        "files-people-summary",
        "bucket-public-list",
        "bucket-public-read",
        "hds-uncertified-host",
        "dicom-query-exposed",
    }
)
_PATH_PROBES = ("files", "har")

Precision = Literal["exact", "bounds", "estimate", "lower-bound"]


class PeopleRange(BaseModel):
    """An interval of people: `high` None when unknown; `confidence` set when it is a sampling interval."""

    model_config = ConfigDict(frozen=True)

    low: int
    high: int | None
    confidence: float | None = None


class PeopleGroup(BaseModel):
    """The findings about one exposure (a bucket, an imaging host, a folder, a page's tracker) and its people."""

    model_config = ConfigDict(frozen=True)

    label: str
    exposure_type: str | None
    probe: str
    people: PeopleRange | None  # None: the findings expose data but count nobody
    identified: int  # people of this group known by keyed identity
    data_categories: list[str]
    recipients: list[str]
    findings: list[str]


class CategoryProfile(BaseModel):
    """People known by key, grouped by exactly which data categories were exposed about them."""

    model_config = ConfigDict(frozen=True)

    data_categories: list[str]
    people: int


class RecipientExposure(BaseModel):
    """Who received or can reach the data: a vendor (tracking) or anyone on the internet (open server, bucket)."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Literal["vendor", "public"]
    category: str | None = None
    hosts: list[str] = Field(default_factory=list)
    data_categories: list[str] = Field(default_factory=list)
    findings: list[str] = Field(default_factory=list)


class ExposureWindow(BaseModel):
    """When one finding was seen: first and last scan that found it, and the scan that found it gone."""

    model_config = ConfigDict(frozen=True)

    finding_id: str
    probe: str
    target: str
    kind: str
    title: str
    severity: Severity
    first_seen: datetime
    first_scan: str
    last_seen: datetime
    last_scan: str
    scans_seen: int
    present: bool  # found by the scan being reported
    closed_seen: datetime | None = None
    closed_scan: str | None = None

    @property
    def days_open(self) -> float:
        """Days between the first and the last sighting (the exposure lasted at least that long)."""
        return (self.last_seen - self.first_seen).total_seconds() / 86400


class Exposure(BaseModel):
    """The sized exposure. `affected_individuals` is the exact count when `precision` is "exact", else the floor
    the evidence proves; `estimate` is the interval (None when exact), `high` None when no ceiling is known."""

    model_config = ConfigDict(frozen=True)

    affected_individuals: int
    estimate: PeopleRange | None
    precision: Precision
    method: str
    identified: int
    data_categories: list[str]
    kinds: list[str]
    exposure_types: dict[str, int]
    groups: list[PeopleGroup]
    profiles: list[CategoryProfile]
    recipients: list[RecipientExposure]
    windows: list[ExposureWindow]
    uncounted: list[str]

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def describe(self) -> str:
        """The count in words: "37", "at least 40", "between 40 and 120", "an estimated 40-120 (95% confidence)"."""
        return describe_people(self.affected_individuals, self.estimate, self.precision)


def describe_people(floor: int, estimate: PeopleRange | None, precision: Precision) -> str:
    if precision == "exact" or estimate is None:
        return str(floor)
    if estimate.high is None:
        return f"at least {estimate.low}"
    interval = f"{estimate.low}\u2013{estimate.high}"
    if estimate.confidence is not None:
        return f"an estimated {interval} ({estimate.confidence:.0%} confidence)"
    return f"between {estimate.low} and {estimate.high}"


# ---------------------------------------------------------------- sizing


def size_exposure(report: ScanReport, history: Sequence[ScanReport] = ()) -> Exposure:
    """Size the exposure of `report`'s findings; `history` (other scans of the store, any order) gives the
    first/last-seen windows. Scans that started after `report`'s are ignored."""
    findings = list(report.findings)
    units = _units(findings, report.scan.targets)
    keyed: dict[str, set[str]] = defaultdict(set)  # person -> data categories exposed about them
    people = resolve_people_of(findings)
    unit_sizes = [_UnitSize(key, members, keyed, people) for key, members in units.items()]
    counted = [size for size in unit_sizes if size.people is not None]
    identified = len(keyed)
    floor = max([identified, *(size.people.low for size in counted if size.people is not None)])
    unknown = [size for size in unit_sizes if size.people is None and size.bears_people]
    open_ended = any(size.people is not None and size.people.high is None for size in counted)
    ceiling = None if unknown or open_ended else identified + sum(size.unkeyed_high for size in counted)
    sampled = [size for size in counted if size.people is not None and size.people.confidence is not None]
    precision = _precision(floor, ceiling, bool(sampled))
    estimate = None
    if precision != "exact":
        confidence = min(s.people.confidence for s in sampled if s.people and s.people.confidence) if sampled else None
        estimate = PeopleRange(low=floor, high=ceiling, confidence=confidence)
    uncounted = sorted(f.id for size in unknown for f in size.findings)
    return Exposure(
        affected_individuals=floor,
        estimate=estimate,
        precision=precision,
        method=_method(precision, identified, floor, ceiling, unit_sizes, unknown, bool(sampled)),
        identified=identified,
        data_categories=sorted({c.value for f in findings for c in f.data_categories}),
        kinds=sorted({f.kind for f in findings}),
        exposure_types=_exposure_types(findings),
        groups=[size.group() for size in unit_sizes if size.bears_people or size.people is not None],
        profiles=_profiles(keyed),
        recipients=recipients_of(findings),
        windows=exposure_windows(report, history),
        uncounted=uncounted,
    )


class _UnitSize:
    """One unit's people: its keyed people, the interval of its whole population, and how many of those may be
    people not known by key (who may or may not be among the keyed people of other units)."""

    def __init__(
        self, key: str, findings: list[Finding], keyed: dict[str, set[str]], people: Mapping[str, str | None]
    ) -> None:
        self.key = key
        self.findings = findings
        self.bears_people = any(_bears_people(f) for f in findings)
        counting = [f for f in findings if f.affected_individuals is not None or f.estimate is not None]
        hashes: set[str] = set()
        if counting:
            # What was exposed about a person is what the findings naming them show (the group's, if they say
            # nothing).
            group_categories = {c.value for f in findings for c in f.data_categories}
            for finding in findings:
                categories = {c.value for c in finding.data_categories} or group_categories
                for key in finding.evidence.identity_hashes:
                    person = people.get(key, key)
                    hashes.add(person or key)
                    if person is not None:  # a name several known people share is one of them
                        keyed[person].update(categories)
        self.identified = len(hashes)
        self.people: PeopleRange | None = None
        self.unkeyed_high = 0
        if counting:
            self.people, self.unkeyed_high = _population(counting, len(hashes))
            if any(_a_floor_only(f) for f in counting):
                self.people = PeopleRange(low=self.people.low, high=None, confidence=self.people.confidence)

    def group(self) -> PeopleGroup:
        first = self.findings[0]
        recipients = sorted({name for f in self.findings for name in _recipient_names(f)})
        return PeopleGroup(
            label=_unit_label(self.key, self.findings),
            exposure_type=exposure_type(first.kind) or _first_type(self.findings),
            probe=first.probe,
            people=self.people,
            identified=self.identified,
            data_categories=sorted({c.value for f in self.findings for c in f.data_categories}),
            recipients=recipients,
            findings=[f.id for f in self.findings],
        )


def _population(counting: list[Finding], identified: int) -> tuple[PeopleRange, int]:
    """The unit's population interval and the most people of it that may be unknown by key.

    With summaries (or a single counting finding), the population is theirs; without, the findings may be
    disjoint: the floor is the largest, the ceiling the keyed people plus every finding's unkeyed people."""
    summaries = [f for f in counting if f.kind in SUMMARY_KINDS or f.estimate is not None]
    if not summaries and len(counting) == 1:
        summaries = counting
    if summaries:
        low = max([identified, *(_low(f) for f in counting)])
        highs = [_high(f) for f in summaries]
        high = max([low, *highs])
        confidences = [f.estimate.confidence for f in summaries if f.estimate is not None]
        confidence = min(confidences) if confidences else None
        return PeopleRange(low=low, high=high, confidence=confidence), max(high - identified, 0)
    low = max([identified, *(_low(f) for f in counting)])
    unkeyed = sum(max(_high(f) - len(set(f.evidence.identity_hashes)), 0) for f in counting)
    return PeopleRange(low=low, high=identified + unkeyed), unkeyed


def resolve_people_of(findings: Iterable[Finding]) -> dict[str, str | None]:
    """Each person key of the findings -> the person it is ("person-N"), linking keys whose attributes say they
    are one person (a name in an object key, the same name with a birth date in the report it names), as the
    PHI engine's people counter does; None for a name-only key that several people could be."""
    attributes: dict[str, set[str]] = {}
    for finding in findings:
        links = (finding.evidence.model_extra or {}).get("identity_attributes")
        links = links if isinstance(links, dict) else {}
        for key in finding.evidence.identity_hashes:
            attributes.setdefault(key, set()).update(str(a) for a in links.get(key) or ())
    keys = sorted(attributes)
    records = records_from_evidence(keys, {key: sorted(values) for key, values in attributes.items()})
    person_of, _ = resolve_people(records)
    return {key: None if person is None else f"person-{person}" for key, person in zip(keys, person_of, strict=True)}


def _a_floor_only(finding: Finding) -> bool:
    """A count its probe says is incomplete (an imaging server that cut its answers at a limit, a query phileak
    stopped): the people counted are a floor, with no ceiling known."""
    return (finding.evidence.model_extra or {}).get("complete") is False


def _low(finding: Finding) -> int:
    counted = finding.affected_individuals or 0
    return max(counted, finding.estimate.low) if finding.estimate is not None else counted


def _high(finding: Finding) -> int:
    counted = finding.affected_individuals or 0
    return max(counted, finding.estimate.high) if finding.estimate is not None else counted


def _precision(floor: int, ceiling: int | None, sampled: bool) -> Precision:
    if ceiling is None:
        return "lower-bound"
    if sampled:
        return "estimate"
    return "exact" if ceiling == floor else "bounds"


def _method(
    precision: Precision,
    identified: int,
    floor: int,
    ceiling: int | None,
    sizes: list[_UnitSize],
    unknown: list[_UnitSize],
    sampled: bool,
) -> str:
    counted = [s for s in sizes if s.people is not None]
    if not counted and not unknown:
        return "No finding concerns identifiable people."
    keyed = (
        f"{identified} {'person' if identified == 1 else 'people'} known by keyed identity (HMAC of their "
        "identifiers), each counted once across probes, findings and re-scans"
    )
    unkeyed = floor - identified
    if precision == "exact" and not unkeyed:
        return f"Exact: {keyed}." if identified else "Exact: every count in the findings is zero."
    if precision == "exact":
        return (
            f"Exact: {floor} people, {unkeyed} of them counted by a probe without a key, in the only exposure that "
            f"counts anyone without one; {keyed}."
        )
    parts = []
    if identified:
        parts.append(keyed.capitalize())
    if floor > identified:
        parts.append(f"at least {floor}: the largest number of people a single exposure proves")
    else:
        parts.append(f"at least {floor}: the people known by key")
    if ceiling is not None:
        parts.append(
            f"at most {ceiling}: if nobody counted without a key appears in two exposures (people not known by key "
            "cannot be matched across exposures)"
        )
    if sampled:
        parts.append("some exposures were sampled: their counts are 95% intervals estimated from the objects read")
    if unknown:
        labels = ", ".join(sorted({_unit_label(s.key, s.findings) for s in unknown}))
        parts.append(
            f"no ceiling: {len(unknown)} exposure(s) show data but no count ({labels}); the people concerned are "
            "everyone whose data they hold or who used those pages"
        )
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _bears_people(finding: Finding) -> bool:
    return bears_people(finding.kind, finding.data_categories)


def _exposure_types(findings: Iterable[Finding]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for finding in findings:
        counts[exposure_type(finding.kind) or "other"] += 1
    return dict(sorted(counts.items()))


def _profiles(keyed: dict[str, set[str]]) -> list[CategoryProfile]:
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    for categories in keyed.values():
        counts[tuple(sorted(categories))] += 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [CategoryProfile(data_categories=list(categories), people=n) for categories, n in ordered]


# ---------------------------------------------------------------- units


def _units(findings: list[Finding], scan_targets: Sequence[str]) -> dict[str, list[Finding]]:
    units: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        units[unit_key(finding, scan_targets)].append(finding)
    return dict(units)


def unit_key(finding: Finding, scan_targets: Sequence[str] = ()) -> str:
    """Which exposure a finding belongs to: the probe's exposure key when it sets one (DICOM: every finding of
    one host), else the scanned target that contains it (a folder for its files), else its own target; tracking
    findings are one exposure per recipient host."""
    extra = finding.evidence.model_extra or {}
    for name in ("exposure_key", "exposure"):
        value = extra.get(name)
        if isinstance(value, str) and value:
            return f"{finding.probe}:{value}"
    if finding.recipient is not None:
        return f"{finding.probe}:{finding.target}->{finding.recipient.host}"
    containers = [t for t in scan_targets if t != finding.target and target_contains(t, finding.target)]
    if finding.probe in _PATH_PROBES and containers:
        return f"{finding.probe}:{max(containers, key=len)}"
    return f"{finding.probe}:{finding.target}"


def _unit_label(key: str, findings: list[Finding]) -> str:
    summary = next((f for f in findings if f.kind in SUMMARY_KINDS), None)
    first = summary or findings[0]
    if first.recipient is not None:
        return f"{first.target} \u2192 {first.recipient.vendor or first.recipient.host}"
    probe, _, rest = key.partition(":")
    return rest if probe in _PATH_PROBES else first.target


def _first_type(findings: list[Finding]) -> str | None:
    return next((t for t in (exposure_type(f.kind) for f in findings) if t), None)


def target_contains(container: str, target: str) -> bool:
    """Whether scanning `container` covers `target`: the same target, a file under a folder, an object prefix
    under a bucket, or a page on the same site (scheme, host and port)."""
    if container == target:
        return True
    if "://" not in container and "://" not in target:
        return PurePosixPath(container) in PurePosixPath(target).parents
    outer, inner = urlsplit(container), urlsplit(target)
    if outer.scheme != inner.scheme or outer.netloc != inner.netloc:
        return False
    if outer.scheme in ("http", "https"):
        return True
    return inner.path.startswith(outer.path.rstrip("/") + "/") or not outer.path.strip("/")


# ---------------------------------------------------------------- recipients


def _recipient_names(finding: Finding) -> list[str]:
    if finding.recipient is not None:
        return [finding.recipient.vendor or finding.recipient.host]
    if exposure_type(finding.kind) in (IMAGING_SERVER, PUBLIC_STORAGE):
        return [ANYONE]
    return []


def recipients_of(findings: Iterable[Finding]) -> list[RecipientExposure]:
    """Vendors that received data (tracking findings), and anyone on the internet for open servers and public
    buckets; most findings first. Local files name no recipient: they are not exposed by themselves."""
    vendors: dict[str, list[Finding]] = defaultdict(list)
    public: list[Finding] = []
    for finding in findings:
        if finding.recipient is not None:
            vendors[finding.recipient.vendor or finding.recipient.host].append(finding)
        elif exposure_type(finding.kind) in (IMAGING_SERVER, PUBLIC_STORAGE):
            public.append(finding)
    out = [
        RecipientExposure(
            name=name,
            kind="vendor",
            category=next((f.recipient.category for f in group if f.recipient and f.recipient.category), None),
            hosts=sorted({f.recipient.host for f in group if f.recipient}),
            data_categories=sorted({c.value for f in group for c in f.data_categories}),
            findings=[f.id for f in group],
        )
        for name, group in vendors.items()
    ]
    if public:
        out.append(
            RecipientExposure(
                name=ANYONE,
                kind="public",
                hosts=sorted({f.target for f in public}),
                data_categories=sorted({c.value for f in public for c in f.data_categories}),
                findings=[f.id for f in public],
            )
        )
    return sorted(out, key=lambda r: (-len(r.findings), r.name))


# ---------------------------------------------------------------- windows


def covers(report: ScanReport, finding: Finding) -> bool:
    """Whether `report` checked `finding`'s target successfully (so its absence there means it is gone)."""
    return any(
        outcome.probe == finding.probe
        and outcome.status is OutcomeStatus.OK
        and target_contains(outcome.target, finding.target)
        for outcome in report.outcomes
    )


def exposure_windows(report: ScanReport, history: Sequence[ScanReport] = ()) -> list[ExposureWindow]:
    """A window for every finding of `report`, and for every earlier finding `report` found gone; each from
    the scans up to and including `report` (later ones are ignored), oldest first."""
    scans = _scans_up_to(report, history)
    sightings: dict[str, list[tuple[int, Finding]]] = defaultdict(list)
    for index, scan in enumerate(scans):
        for finding in scan.findings:
            sightings[finding.id].append((index, finding))
    current = {f.id for f in report.findings}
    windows = []
    for finding_id, seen in sightings.items():
        first_index, _ = seen[0]
        last_index, last = seen[-1]
        closing = next(
            (i for i in range(last_index + 1, len(scans)) if covers(scans[i], last)),
            None,
        )
        if finding_id not in current and closing is None:
            continue
        windows.append(
            ExposureWindow(
                finding_id=finding_id,
                probe=last.probe,
                target=last.target,
                kind=last.kind,
                title=last.title,
                severity=last.severity,
                first_seen=_moment(scans[first_index]),
                first_scan=scans[first_index].scan.id,
                last_seen=_moment(scans[last_index]),
                last_scan=scans[last_index].scan.id,
                scans_seen=len({i for i, _ in seen}),
                present=finding_id in current,
                closed_seen=_moment(scans[closing]) if closing is not None else None,
                closed_scan=scans[closing].scan.id if closing is not None else None,
            )
        )
    return sorted(windows, key=lambda w: (w.first_seen, -w.severity.rank, w.target, w.finding_id))


def _scans_up_to(report: ScanReport, history: Sequence[ScanReport]) -> list[ScanReport]:
    cutoff = _moment(report)
    by_id = {scan.scan.id: scan for scan in history if scan.scan.id != report.scan.id and _moment(scan) <= cutoff}
    ordered = sorted(by_id.values(), key=_moment)
    return [*ordered, report]


def _moment(report: ScanReport) -> datetime:
    started = report.scan.started
    return started if started.tzinfo is not None else started.replace(tzinfo=UTC)
