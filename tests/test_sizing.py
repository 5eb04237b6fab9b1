"""Exposure sizing: distinct people across probes by keyed identity, honest bounds where only counts or
estimates exist, data categories per person, recipients, and first/last-seen windows from re-scans."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phileak.assess.facts import Count, exposure_facts
from phileak.assess.sizing import ANYONE, Exposure, size_exposure, target_contains
from phileak.assess.summary import assess_report
from phileak.model import DataCategory as C
from phileak.model import Estimate, Evidence, Finding, OutcomeStatus, Recipient, ScanReport, Severity
from phileak.phi.identity import IdentityHasher
from phileak.testing import SCAN_STARTED, make_finding, make_outcome, make_report

HASHER = IdentityHasher(b"sizing-test-key-0123456789abcdef")


def person(name: str) -> str:
    key = HASHER.person(name=name, birth_date="1960-01-01")
    assert key is not None
    return key


def file_finding(path: str, people: list[str], categories: list[C] | None = None) -> Finding:
    return make_finding(
        probe="files", target=path, kind="phi-in-file", recipient=None, key=path,
        data_categories=categories or [C.PERSON_NAME, C.DATE_OF_BIRTH, C.HEALTH_CONDITION],
        affected_individuals=len(people), evidence=Evidence(identity_hashes=people),
    )  # fmt: skip


def folder_summary(root: str, people: int) -> Finding:
    return make_finding(
        probe="files", target=root, kind="files-people-summary", recipient=None,
        data_categories=[C.PERSON_NAME], affected_individuals=people, evidence=Evidence(files_scanned=3),
    )  # fmt: skip


def bucket(ref: str, *, people: int | None, estimate: Estimate | None = None, kind: str = "bucket-public-list",
           categories: list[C] | None = None) -> Finding:  # fmt: skip
    return make_finding(
        probe="storage", target=ref, kind=kind, recipient=None, key=kind, severity=Severity.CRITICAL,
        data_categories=[C.PERSON_NAME, C.LAB_RESULT] if categories is None else categories,
        affected_individuals=people, estimate=estimate, evidence=Evidence(provider="s3"),
    )  # fmt: skip


def in_object(ref: str, key: str, people: list[str], *, counted: int | None = None) -> Finding:
    return make_finding(
        probe="storage", target=ref, kind="phi-in-object", key=key, recipient=None,
        data_categories=[C.PERSON_NAME, C.LAB_RESULT],
        affected_individuals=len(people) if counted is None else counted,
        evidence=Evidence(identity_hashes=people, object=key),
    )  # fmt: skip


def pacs(host: str, people: list[str], *, kind: str = "dicom-query-exposed", counted: bool = True) -> Finding:
    return make_finding(
        probe="dicom", target=f"{host}:4242" if kind.startswith("dicom") else f"http://{host}:8042", kind=kind,
        recipient=None, severity=Severity.CRITICAL, data_categories=[C.PERSON_NAME, C.MEDICAL_IMAGE],
        affected_individuals=len(people) if counted else None,
        evidence=Evidence(identity_hashes=people, exposure=f"imaging-host:{host}"),
    )  # fmt: skip


def tracking(vendor: str = "Meta", host: str = "www.facebook.test") -> Finding:
    return make_finding(
        kind="phi-to-third-party", key=vendor, affected_individuals=None,
        recipient=Recipient(host=host, vendor=vendor, category="advertising"),
        # The test persona's hash: the scan's own identity, not a patient.
        evidence=Evidence(identity_hashes=[person("Canary Persona")]),
    )  # fmt: skip


# ---------------------------------------------------------------- people


def test_the_same_people_seen_by_three_probes_count_once() -> None:
    ann, bob, cy, dee = (person(n) for n in ("Ann Arden", "Bob Brook", "Cy Carr", "Dee Dale"))
    findings = [
        file_finding("/exports/a.csv", [ann, bob]),
        in_object("s3://exh-reports", "r/1.pdf", [bob, cy]),
        pacs("127.0.0.1", [ann, cy, dee]),
    ]
    exposure = size_exposure(make_report(findings))
    assert (exposure.affected_individuals, exposure.precision, exposure.estimate) == (4, "exact", None)
    assert exposure.identified == 4
    assert exposure.describe() == "4"
    assert exposure.method.startswith("Exact: 4 people known by keyed identity")


def test_a_folder_summary_and_its_files_are_one_population() -> None:
    ann, bob, cy = (person(n) for n in ("Ann Arden", "Bob Brook", "Cy Carr"))
    findings = [file_finding("/exports/a.csv", [ann, bob]), file_finding("/exports/b.csv", [bob, cy]),
                folder_summary("/exports", 3)]  # fmt: skip
    exposure = size_exposure(make_report(findings, targets=["/exports"]))
    assert (exposure.affected_individuals, exposure.precision) == (3, "exact")
    [group] = exposure.groups
    assert group.label == "/exports" and group.exposure_type == "local-file"
    assert group.people is not None and (group.people.low, group.people.high) == (3, 3)
    assert exposure.recipients == []  # data at rest: no one received it


def test_counts_without_keys_combine_as_bounds_largest_to_sum() -> None:
    findings = [bucket("s3://one", people=40), bucket("s3://two", people=25), pacs("127.0.0.9", [], counted=False)]
    findings[2] = findings[2].model_copy(update={"affected_individuals": 10})
    exposure = size_exposure(make_report(findings))
    assert exposure.precision == "bounds"
    assert exposure.affected_individuals == 40
    assert exposure.estimate is not None and (exposure.estimate.low, exposure.estimate.high) == (40, 75)
    assert exposure.estimate.confidence is None
    assert exposure.describe() == "between 40 and 75"
    assert exposure.method.startswith("At least 40: the largest number of people a single exposure proves")
    assert "at most 75: if nobody counted without a key appears in two exposures" in exposure.method


def test_keyed_people_raise_the_floor_above_any_single_count() -> None:
    people = [person(f"Person Number{i}") for i in range(6)]
    findings = [in_object("s3://a", "k1", people[:4]), file_finding("/x/f.csv", people[2:]), bucket("s3://b", people=3)]
    exposure = size_exposure(make_report(findings))
    assert exposure.affected_individuals == 6  # six keyed people beat the largest count (4)
    assert exposure.estimate is not None and exposure.estimate.high == 9  # + the bucket's 3 unkeyed people


def test_a_sampled_bucket_makes_an_estimate_with_its_confidence() -> None:
    ann, bob, cy = (person(n) for n in ("Ann Arden", "Bob Brook", "Cy Carr"))
    findings = [
        bucket("s3://exh", people=12, estimate=Estimate(low=30, high=90)),
        bucket("s3://exh", people=12, estimate=Estimate(low=30, high=90), kind="bucket-public-read"),
        in_object("s3://exh", "r/1.pdf", [ann, bob]),
        file_finding("/exports/a.csv", [bob, cy]),
    ]
    exposure = size_exposure(make_report(findings))
    assert exposure.precision == "estimate"
    assert exposure.estimate is not None
    assert (exposure.estimate.low, exposure.estimate.high, exposure.estimate.confidence) == (30, 91, 0.95)
    assert exposure.describe() == "an estimated 30\u201391 (95% confidence)"
    bucket_group = next(g for g in exposure.groups if g.label == "s3://exh")
    assert bucket_group.identified == 2 and bucket_group.recipients == [ANYONE]
    assert "95% intervals" in exposure.method


def test_an_exposure_without_a_count_leaves_no_ceiling_and_test_personas_are_not_patients() -> None:
    findings = [tracking(), file_finding("/exports/a.csv", [person("Ann Arden")])]
    exposure = size_exposure(make_report(findings))
    assert exposure.precision == "lower-bound"
    assert exposure.affected_individuals == 1 and exposure.identified == 1  # the canary persona is not counted
    assert exposure.estimate is not None and exposure.estimate.high is None
    assert exposure.describe() == "at least 1"
    assert exposure.uncounted == [findings[0].id]
    assert "no ceiling" in exposure.method and "Meta" in exposure.method


def test_people_listed_only_in_part_are_matched_only_in_part() -> None:
    listed = [person(f"Listed Person{i}") for i in range(50)]
    truncated = in_object("s3://big", "prefix", listed, counted=120)  # a probe lists at most 50 keys
    alone = size_exposure(make_report([truncated]))
    assert (alone.affected_individuals, alone.precision) == (120, "exact")  # no other exposure to overlap with
    assert "70 of them counted by a probe without a key" in alone.method
    others = file_finding("/x/a.csv", [person(f"Other Person{i}") for i in range(10)])
    both = size_exposure(make_report([truncated, others]))
    assert both.precision == "bounds"  # the 10 may or may not be among the 70 unlisted
    assert both.estimate is not None and (both.estimate.low, both.estimate.high) == (120, 130)


def test_dicom_findings_of_one_host_are_one_exposure_counted_on_the_main_finding() -> None:
    patients = [person(f"Imaging Patient{i}") for i in range(5)]
    findings = [
        pacs("127.0.0.1", patients),
        pacs("127.0.0.1", patients[:3], kind="orthanc-rest-exposed", counted=False),
    ]
    exposure = size_exposure(make_report(findings))
    assert (exposure.affected_individuals, exposure.precision) == (5, "exact")
    [group] = exposure.groups
    assert group.exposure_type == "imaging-server" and len(group.findings) == 2
    assert group.recipients == [ANYONE]


def test_findings_about_no_one_count_zero_exactly() -> None:
    quiet = make_finding(probe="storage", target="s3://closed", kind="bucket-not-public", severity=Severity.INFO,
                         recipient=None, data_categories=[], affected_individuals=None)  # fmt: skip
    for report in (make_report(), make_report([quiet])):
        exposure = size_exposure(report)
        assert (exposure.affected_individuals, exposure.precision, exposure.groups) == (0, "exact", [])
        assert exposure.method == "No finding concerns identifiable people."


def test_categories_are_grouped_per_person() -> None:
    ann, bob = person("Ann Arden"), person("Bob Brook")
    findings = [
        file_finding("/x/a.csv", [ann, bob], [C.PERSON_NAME, C.EMAIL]),
        file_finding("/x/b.csv", [ann], [C.PERSON_NAME, C.HEALTH_CONDITION]),
    ]
    profiles = size_exposure(make_report(findings)).profiles
    assert [(p.people, p.data_categories) for p in profiles] == [
        (1, ["email", "health-condition", "person-name"]),
        (1, ["email", "person-name"]),
    ]


def test_recipients_name_vendors_and_anyone_on_the_internet() -> None:
    findings = [tracking(), tracking("Google", "www.google-analytics.test"), tracking(),
                bucket("s3://exh", people=3), pacs("127.0.0.1", [])]  # fmt: skip
    findings[2] = findings[2].model_copy(update={"id": "another-meta-leak"})
    recipients = {r.name: r for r in size_exposure(make_report(findings)).recipients}
    assert set(recipients) == {"Meta", "Google", ANYONE}
    assert recipients["Meta"].kind == "vendor" and len(recipients["Meta"].findings) == 2
    assert recipients["Meta"].hosts == ["www.facebook.test"] and recipients["Meta"].category == "advertising"
    assert recipients[ANYONE].kind == "public" and recipients[ANYONE].hosts == ["127.0.0.1:4242", "s3://exh"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.frozensets(st.integers(0, 30), min_size=1, max_size=12),  # who the finding concerns
            st.floats(0, 1),  # the share of them it lists by key
        ),
        min_size=1,
        max_size=6,
    )
)
def test_the_true_count_always_lies_within_the_bounds(exposures: list[tuple[frozenset[int], float]]) -> None:
    keys = {i: person(f"Generated Person{i}") for i in range(31)}
    findings = []
    for n, (people, share) in enumerate(exposures):
        listed = sorted(people)[: round(len(people) * share)]
        findings.append(in_object(f"s3://bucket-{n}", "k", [keys[i] for i in listed], counted=len(people)))
    truth = len(frozenset().union(*(people for people, _ in exposures)))
    exposure = size_exposure(make_report(findings))
    high = exposure.estimate.high if exposure.estimate is not None else exposure.affected_individuals
    assert high is not None
    assert exposure.affected_individuals <= truth <= high
    if all(round(len(p) * s) == len(p) for p, s in exposures):
        assert (exposure.precision, exposure.affected_individuals) == ("exact", truth)


# ---------------------------------------------------------------- the seam with the obligations engine


def test_the_engine_reads_the_exposure_as_intended() -> None:
    exact = size_exposure(make_report([file_finding("/x/a.csv", [person("Ann Arden")])]))
    assert exposure_facts(exact).people == Count(exact=1)
    bounded = size_exposure(make_report([bucket("s3://a", people=40), bucket("s3://b", people=25)]))
    assert exposure_facts(bounded).people == Count(low=40, high=65)
    floor = size_exposure(make_report([tracking(), bucket("s3://a", people=40)]))
    assert exposure_facts(floor).people == Count(low=40, high=None)
    assert exposure_facts(floor).people.compare(">=", 500) is None  # unsettled: the engine asks


def hipaa_report(findings: list[Finding]) -> ScanReport:
    organisation = {"name": "Example Health", "entity_type": "covered-entity", "jurisdictions": ["US-CA"],
                    "discovery_date": "2026-11-20"}  # fmt: skip
    return make_report(findings, profile={"organisation": organisation, "scope": []})


def duties(report: ScanReport) -> set[str]:
    return {f"{o['regime']}/{o['duty']}" for o in assess_report(report).obligations or []}


def test_deduplication_decides_the_500_threshold() -> None:
    patients = [person(f"Shared Patient{i}") for i in range(300)]
    others = [person(f"Other Patient{i}") for i in range(300)]
    same = hipaa_report([pacs("127.0.0.1", patients), in_object("s3://exh", "k", patients)])
    different = hipaa_report([pacs("127.0.0.1", patients), in_object("s3://exh", "k", others)])
    assessed = assess_report(same)
    assert assessed.assessment is not None and assessed.assessment["affected_individuals"] == 300
    assert "HIPAA/notify-hhs" not in duties(same)  # 300 people: the annual log, not the 60-day notice
    assert "HIPAA/notify-hhs" in duties(different)  # 600 people


def test_assess_report_keeps_the_contract_keys_and_the_exposure() -> None:
    assessed = assess_report(hipaa_report([file_finding("/x/a.csv", [person("Ann Arden")])]))
    assert assessed.assessment is not None and assessed.obligations is not None
    assert {"affected_individuals", "estimate", "data_categories"} <= set(assessed.assessment)
    assert isinstance(assessed.exposure, Exposure)
    assert assessed.assessment["exposure"]["precision"] == "exact"
    for duty in assessed.obligations:
        assert {"regime", "duty", "recipient", "deadline", "citation", "reason"} <= set(duty)


# ---------------------------------------------------------------- windows


def scan_of(scan_id: str, day: int, findings: list[Finding], covered: dict[str, OutcomeStatus]) -> ScanReport:
    outcomes = [make_outcome(probe=probe_of(t), target=t, status=s) for t, s in covered.items()]
    return make_report(findings, outcomes, scan_id=scan_id, started=SCAN_STARTED + timedelta(days=day))


def probe_of(target: str) -> str:
    return "storage" if target.startswith("s3://") else "files"


def test_windows_run_from_first_to_last_sighting_and_close_on_a_covering_scan() -> None:
    ann, bob = person("Ann Arden"), person("Bob Brook")
    leaky, fixed_later = in_object("s3://exh", "k1", [ann]), file_finding("/exports/a.csv", [bob])
    ok, error = OutcomeStatus.OK, OutcomeStatus.ERROR
    history = [
        scan_of("d0", 0, [leaky, fixed_later], {"s3://exh": ok, "/exports": ok}),
        scan_of("d1", 1, [leaky, fixed_later], {"s3://exh": ok, "/exports": ok}),
        scan_of("d2", 2, [leaky], {"s3://exh": ok, "/exports": ok}),  # the file is gone
        scan_of("d9-later", 9, [], {"s3://exh": ok}),  # after the reported scan: ignored
    ]
    current = scan_of("d3", 3, [leaky], {"s3://exh": ok, "/exports": error})
    windows = {w.finding_id: w for w in size_exposure(current, history).windows}
    still = windows[leaky.id]
    assert (still.first_scan, still.last_scan, still.scans_seen, still.present) == ("d0", "d3", 4, True)
    assert still.closed_scan is None and still.days_open == 3
    gone = windows[fixed_later.id]
    assert (gone.first_scan, gone.last_scan, gone.closed_scan, gone.present) == ("d0", "d1", "d2", False)


def test_a_scan_that_did_not_check_the_target_closes_nothing() -> None:
    leak = in_object("s3://exh", "k1", [person("Ann Arden")])
    history = [scan_of("d0", 0, [leak], {"s3://exh": OutcomeStatus.OK})]
    elsewhere = scan_of("d1", 1, [], {"s3://other": OutcomeStatus.OK})
    failed = scan_of("d1", 1, [], {"s3://exh": OutcomeStatus.TIMEOUT})
    assert size_exposure(elsewhere, history).windows == []
    assert size_exposure(failed, history).windows == []


@pytest.mark.parametrize(
    ("container", "target", "inside"),
    [
        ("/data", "/data/a/b.csv", True),
        ("/data", "/database/x.csv", False),
        ("/data/a.csv", "/data/a.csv", True),
        ("s3://exh", "s3://exh/reports", True),
        ("s3://exh/reports", "s3://exh/other", False),
        ("s3://exh", "s3://exh-2", False),
        ("https://www.exh.test/", "https://www.exh.test/appointments?x=1", True),
        ("https://www.exh.test/", "https://other.exh.test/", False),
        ("127.0.0.1:4242", "127.0.0.1:4242", True),
    ],
)
def test_target_containment(container: str, target: str, inside: bool) -> None:
    assert target_contains(container, target) is inside


def test_to_dict_is_json_ready() -> None:
    exposure = size_exposure(make_report([tracking(), bucket("s3://a", people=2)]))
    data: dict[str, Any] = exposure.to_dict()
    assert data["precision"] == "lower-bound" and data["estimate"] == {"low": 2, "high": None, "confidence": None}
    assert isinstance(data["windows"][0]["first_seen"], str)


def _engine_people(*texts: str) -> list[dict[str, Any]]:
    from phileak.phi.engine import PhiEngine
    from phileak.phi.person_evidence import people_evidence
    from phileak.phi.spec import Document, Segment

    engine = PhiEngine(HASHER)
    return [people_evidence(engine.analyse(Document(segments=[Segment(text=t)])).people) for t in texts]


def test_a_name_alone_and_the_same_name_with_a_birth_date_are_one_person_across_findings() -> None:
    report_people, key_people = _engine_people(
        "Patient: Maria Garcia\nDate of birth: 03/14/1961\nMRN: LGH-700101\nDiagnosis: asthma",
        "Patient: Maria Garcia",
    )
    assert report_people["identity_hashes"] != key_people["identity_hashes"]  # different keys, linked by name
    findings = [
        make_finding(probe="storage", target="s3://b", kind="phi-in-object", key=name, recipient=None,
                     data_categories=[C.PERSON_NAME], affected_individuals=1, evidence=Evidence(**people))
        for name, people in (("report", report_people), ("key", key_people))
    ]  # fmt: skip
    exposure = size_exposure(make_report(findings))
    assert (exposure.identified, exposure.affected_individuals) == (1, 1)


def test_a_name_several_people_share_is_one_of_them_not_a_new_person() -> None:
    first, second, bare = _engine_people(
        "Patient: Maria Garcia\nDate of birth: 03/14/1961\nMRN: LGH-700101",
        "Patient: Maria Garcia\nDate of birth: 11/02/1988\nMRN: LGH-700202",
        "Patient: Maria Garcia",
    )
    findings = [
        file_finding(f"/share/{n}.txt", people["identity_hashes"]).model_copy(
            update={"evidence": Evidence(**people)}
        )
        for n, people in enumerate((first, second, bare))
    ]
    assert size_exposure(make_report(findings)).identified == 2
