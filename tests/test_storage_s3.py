"""The storage probe against the lab's SeaweedFS: every lab bucket classified, people counted, evidence clean."""

from __future__ import annotations

import json
from typing import Any

import pytest

from phileak.errors import ScopeViolation
from phileak.lab.storage_services import (
    ACL_BUCKET,
    LAB_PATIENTS,
    POLICY_BUCKET,
    PRIVATE_BUCKET,
    PUBLIC_LIST_BUCKET,
    REPORTS_PER_PATIENT,
    bucket_contents,
    lab_patients,
)
from phileak.model import Finding
from phileak.probes.storage.probe import StorageProbe
from phileak.targets import parse_target
from storage_peers import Seaweed, context, seaweed

RULES = ["s3://lgh-*", "127.0.0.1/32"]


@pytest.fixture
def lab(request: pytest.FixtureRequest) -> Seaweed:
    return seaweed(request)


async def scan(
    ref: str, lab: Seaweed, *, owner: bool = True, rules: list[str] = RULES, **options: Any
) -> list[Finding]:
    target_options: dict[str, Any] = {"endpoint": lab.endpoint}
    if owner:
        target_options.update(lab.owner_options)
    target = parse_target("storage", ref, target_options)
    return [finding async for finding in StorageProbe().scan(target, context(rules, **options))]


def by_kind(findings: list[Finding]) -> dict[str, list[Finding]]:
    kinds: dict[str, list[Finding]] = {}
    for finding in findings:
        kinds.setdefault(finding.kind, []).append(finding)
    return kinds


async def test_public_list_bucket_is_listed_read_counted_and_flagged_as_config_mismatch(lab: Seaweed) -> None:
    kinds = by_kind(await scan(f"s3://{PUBLIC_LIST_BUCKET}", lab))
    assert {"bucket-public-list", "bucket-public-read", "bucket-config-mismatch", "phi-in-object"} <= set(kinds)
    listing = kinds["bucket-public-list"][0]
    assert listing.severity.value == "critical"
    assert listing.evidence.model_extra["objects"] == LAB_PATIENTS * REPORTS_PER_PATIENT
    assert listing.evidence.model_extra["total_bytes"] == sum(
        len(o.body) for o in bucket_contents()[PUBLIC_LIST_BUCKET]
    )
    assert listing.affected_individuals == LAB_PATIENTS
    assert listing.estimate is None  # every object was read: the count is exact
    assert listing.evidence.model_extra["files_per_person"] == REPORTS_PER_PATIENT
    mismatch = kinds["bucket-config-mismatch"][0]
    differences = mismatch.evidence.model_extra["differences"]
    assert {"access": "list", "configuration": False, "live": True} in differences
    assert mismatch.evidence.model_extra["configuration"]["public_acl_grants"] == []
    assert mismatch.evidence.model_extra["live"]["listable"] is True
    # 36 objects with PHI is past the per-object limit: one aggregate per prefix, saying so
    [aggregate] = kinds["phi-in-object"]
    assert aggregate.evidence.model_extra["aggregated"] is True
    assert aggregate.evidence.model_extra["objects"] == LAB_PATIENTS * REPORTS_PER_PATIENT


async def test_private_bucket_is_not_public(lab: Seaweed) -> None:
    findings = await scan(f"s3://{PRIVATE_BUCKET}", lab)
    assert [f.kind for f in findings] == ["bucket-not-public"]
    live = findings[0].evidence.model_extra["anonymous"]
    assert (live["listable"], live["readable"]) == (False, None)  # no object name to try a read with
    assert live["exists"] is None  # SeaweedFS answers 403 for absent buckets too
    assert any("403 for absent buckets" in note for note in live["notes"])
    [finding] = await scan(f"s3://{PRIVATE_BUCKET}", lab, probe_key="exports/patients.csv")
    assert finding.evidence.model_extra["anonymous"]["readable"] is False


async def test_policy_bucket_is_public_and_its_configuration_says_so(lab: Seaweed) -> None:
    kinds = by_kind(await scan(f"s3://{POLICY_BUCKET}", lab))
    assert {"bucket-public-list", "bucket-public-read"} <= set(kinds)
    assert "bucket-config-mismatch" not in kinds
    configuration = kinds["bucket-public-list"][0].evidence.model_extra["configuration"]
    assert configuration["policy_is_public"] is True
    assert set(configuration["policy_public_actions"]) == {"list", "read"}
    assert (configuration["public_list"], configuration["public_read"]) == (True, True)
    assert len(kinds["phi-in-object"]) == 4  # one per object: few enough


async def test_acl_bucket_lists_and_seaweedfs_serves_its_objects_beyond_aws_semantics(lab: Seaweed) -> None:
    kinds = by_kind(await scan(f"s3://{ACL_BUCKET}", lab))
    listing = kinds["bucket-public-list"][0]
    assert listing.evidence.model_extra["configuration"]["public_acl_grants"] == ["AllUsers:READ"]
    assert "bucket-public-read" in kinds
    [mismatch] = kinds["bucket-config-mismatch"]  # AWS would list only; SeaweedFS also serves the objects
    assert mismatch.evidence.model_extra["differences"] == [{"access": "read", "configuration": False, "live": True}]
    assert "ACL semantics" in mismatch.evidence.model_extra["explanation"]


async def test_sampled_scan_estimates_people_with_an_interval_holding_the_truth(lab: Seaweed) -> None:
    kinds = by_kind(await scan(f"s3://{PUBLIC_LIST_BUCKET}", lab, sample=15))
    listing = kinds["bucket-public-list"][0]
    content = listing.evidence.model_extra["content"]
    assert content["sampled"] is True and content["objects_read"] == 15
    assert listing.estimate is not None
    assert listing.estimate.low <= LAB_PATIENTS <= listing.estimate.high


async def test_no_content_lists_and_reads_nothing(lab: Seaweed) -> None:
    kinds = by_kind(await scan(f"s3://{PUBLIC_LIST_BUCKET}", lab, no_content=True))
    listing = kinds["bucket-public-list"][0]
    assert listing.evidence.model_extra["objects"] == LAB_PATIENTS * REPORTS_PER_PATIENT
    assert "content" not in listing.evidence.model_extra
    assert listing.evidence.model_extra["content_not_scanned"].startswith("--no-content")
    assert "phi-in-object" not in kinds


async def test_names_in_keys_are_found_and_redacted(lab: Seaweed) -> None:
    """Keys named after patients ("reports/2026-w36/Aisha_Okafor.pdf"): the name lists know most given names,
    not all ("Aisha", "Priya"); the bucket's naming tells the rest."""
    from phileak.phi.engine import PhiEngine
    from phileak.phi.spec import Document
    from phileak.probes.storage.content import readable_key

    keys = [item.key for item in bucket_contents()[PUBLIC_LIST_BUCKET]]
    engine = PhiEngine()
    unknown = [key for key in keys if not engine.analyse(Document(segments=(), name=readable_key(key))).categories]
    assert 0 < len(unknown) < len(keys) * 0.2  # some names are outside the lists: the case this test is about
    kinds = by_kind(await scan(f"s3://{PUBLIC_LIST_BUCKET}", lab, no_content=True))
    [keys] = kinds["phi-in-object-key"]  # 36 keys: aggregated under reports/
    assert keys.evidence.model_extra["objects"] == LAB_PATIENTS * REPORTS_PER_PATIENT
    assert kinds["bucket-public-list"][0].affected_individuals == LAB_PATIENTS
    text = json.dumps([f.to_contract() for f in kinds["phi-in-object-key"]])
    for patient in lab_patients():
        assert patient.family_name not in text


async def test_findings_hold_no_raw_identifier(lab: Seaweed) -> None:
    findings = await scan(f"s3://{PUBLIC_LIST_BUCKET}", lab) + await scan(f"s3://{POLICY_BUCKET}", lab)
    text = json.dumps([f.to_contract() for f in findings])
    for patient in lab_patients() + lab_patients(6, seed=77):
        assert patient.mrn not in text
        assert patient.date_of_birth.strftime("%m/%d/%Y") not in text
        assert patient.phone not in text
        assert f"{patient.given_name} {patient.family_name}" not in text


async def test_without_owner_credentials_no_configuration_is_read(lab: Seaweed) -> None:
    kinds = by_kind(await scan(f"s3://{POLICY_BUCKET}", lab, owner=False))
    configuration = kinds["bucket-public-list"][0].evidence.model_extra["configuration"]
    assert configuration == {"note": configuration["note"]} and "no owner credentials" in configuration["note"]
    assert "bucket-config-mismatch" not in kinds


async def test_environment_aws_keys_never_go_to_a_custom_endpoint(
    lab: Seaweed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "environment-secret")
    kinds = by_kind(await scan(f"s3://{POLICY_BUCKET}", lab, owner=False, no_content=True))
    assert "no owner credentials" in kinds["bucket-public-list"][0].evidence.model_extra["configuration"]["note"]


async def test_bucket_outside_the_scope_is_refused_before_any_request(lab: Seaweed) -> None:
    with pytest.raises(ScopeViolation):
        await scan(f"s3://{PUBLIC_LIST_BUCKET}", lab, rules=["s3://other-*", "127.0.0.1/32"])
    with pytest.raises(ScopeViolation):  # the bucket is allowed, its endpoint is not
        await scan(f"s3://{PUBLIC_LIST_BUCKET}", lab, rules=["s3://lgh-*", "10.0.0.0/8"])


async def test_french_health_data_on_a_host_not_certified_hds_is_flagged(lab: Seaweed) -> None:
    organisation = {"name": "Lab", "entity_type": "fr-health-establishment", "jurisdictions": ["EU-FR"]}
    flagged = by_kind(await scan(f"s3://{PUBLIC_LIST_BUCKET}", lab, sample=3, profile={"organisation": organisation}))
    if "hds-uncertified-host" not in flagged:
        assert not any(
            f.kind == "phi-in-object" and "Patient data" in f.title for f in flagged.get("phi-in-object", [])
        )
        pytest.skip("the engine does not call these summaries PHI (identifiers with health context) yet")
    [hds] = flagged["hds-uncertified-host"]
    assert hds.evidence.model_extra["host"] == "127.0.0.1"
    certified = {**organisation, "hds_certified_hosts": ["127.0.0.1"]}
    assert "hds-uncertified-host" not in by_kind(
        await scan(f"s3://{PUBLIC_LIST_BUCKET}", lab, sample=3, profile={"organisation": certified})
    )
    american = {**organisation, "entity_type": "covered-entity", "jurisdictions": ["US-CA"]}
    assert "hds-uncertified-host" not in by_kind(
        await scan(f"s3://{PUBLIC_LIST_BUCKET}", lab, sample=3, profile={"organisation": american})
    )


async def test_listing_by_folders_matches_the_flat_listing_on_seaweedfs(lab: Seaweed) -> None:
    """Both S3 paths (plain-HTTP anonymous, botocore signed) list by folders in parallel and by pages flat
    with the same objects."""
    from phileak.lab import Runtime
    from phileak.lab.storage_services import SEAWEEDFS, _create, owner_client
    from phileak.probes.storage.access import open_access
    from phileak.probes.storage.enumerate import ListingStats, list_objects
    from phileak.probes.storage.location import parse_location

    runtime = Runtime(SEAWEEDFS.name, lab.status.ports, lab.lab.data_root / SEAWEEDFS.name)
    client = owner_client(runtime)
    bucket = "lgh-folder-layout"
    _create(client, bucket)
    keys = ["index.csv"] + [f"{year}/{month:02d}/r-{i}.pdf" for year in (2025, 2026) for month in (1, 2, 3)
                            for i in range(4)] + [f"scans/s-{i}.dcm" for i in range(3)]  # fmt: skip
    for key in keys:
        client.put_object(Bucket=bucket, Key=key, Body=b"x")

    async def listing(ref: str, owner: bool, parallel: int) -> list[str]:
        options: dict[str, Any] = {"endpoint": lab.endpoint, **(lab.owner_options if owner else {})}
        access = await open_access(parse_location(ref, lab.endpoint), options, context(RULES))
        store = access.owner if owner and access.owner is not None else access.anonymous
        stats = ListingStats()
        try:
            found = [item.key async for item in list_objects(store, "", stats, parallel=parallel, page_size=5)]
        finally:
            await access.aclose()
        assert stats.complete
        return found

    signed_planned = await listing(f"s3://{bucket}", True, 4)
    assert sorted(signed_planned) == sorted(keys)
    assert sorted(await listing(f"s3://{bucket}", True, 1)) == sorted(keys)
    assert signed_planned[0] == "index.csv"
    public = f"s3://{PUBLIC_LIST_BUCKET}"
    anonymous_planned = await listing(public, False, 4)
    assert sorted(anonymous_planned) == sorted(await listing(public, False, 1))
    assert len(anonymous_planned) == LAB_PATIENTS * REPORTS_PER_PATIENT


async def test_a_table_past_the_extraction_limit_is_analysed_on_the_rows_read(
    lab: Seaweed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A public export larger than a document may give is not an unreadable object: the rows read before the
    limit are analysed and the listing's evidence counts the object as read in part."""
    from functools import partial

    from phileak.lab import Runtime
    from phileak.lab.storage_services import SEAWEEDFS, _create, owner_client, public_policy
    from phileak.phi.extract.limits import ExtractLimits
    from phileak.probes.storage import probe as probe_module

    runtime = Runtime(SEAWEEDFS.name, lab.status.ports, lab.lab.data_root / SEAWEEDFS.name)
    client = owner_client(runtime)
    bucket = "lgh-large-export"
    _create(client, bucket)
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_policy(bucket)))
    rows = "".join(f"{48_100_000 + i},Patient{i:03d},HIV\n" for i in range(300))
    client.put_object(Bucket=bucket, Key="exports/patients.csv", Body=("mrn,last_name,diagnosis\n" + rows).encode())
    monkeypatch.setattr(probe_module, "ExtractLimits", partial(ExtractLimits, max_segments=150))
    kinds = by_kind(await scan(f"s3://{bucket}", lab))
    content = kinds["bucket-public-list"][0].evidence.model_extra["content"]
    assert (content["objects_analysed"], content["read_in_part"], content["unreadable"]) == (1, 1, {})
    [hit] = kinds["phi-in-object"]
    assert hit.severity.value == "critical" and hit.evidence.model_extra["counts"]["mrn"] == 49  # rows 2-50
    monkeypatch.undo()
    kinds = by_kind(await scan(f"s3://{bucket}", lab, max_object_bytes=2048))  # a ranged read of its first 2 kB
    content = kinds["bucket-public-list"][0].evidence.model_extra["content"]
    assert (content["objects_analysed"], content["read_in_part"], content["bytes_read"]) == (1, 1, 2048)
    assert 50 < kinds["phi-in-object"][0].evidence.model_extra["counts"]["mrn"] < 300


async def test_a_policy_opening_one_folder_is_found_past_a_private_first_object(lab: Seaweed) -> None:
    """The first key listed is private, the folder after it public (a policy on `public/*`): the bucket is
    readable, the public objects are read, and the people count covers exactly what a stranger can read."""
    from phileak.lab import Runtime
    from phileak.lab.storage_services import SEAWEEDFS, _create, owner_client

    runtime = Runtime(SEAWEEDFS.name, lab.status.ports, lab.lab.data_root / SEAWEEDFS.name)
    client = owner_client(runtime)
    bucket = "lgh-one-open-folder"
    _create(client, bucket)
    for i in range(7):  # more refusals than close a folder
        client.put_object(Bucket=bucket, Key=f"internal/{i}.txt", Body=b"staff rota")
    for i in range(4):
        body = f"Patient: Maria Garcia{'abcd'[i]}\nDate of birth: 03/1{i}/1961\nMRN: LGH-70010{i}\nDiagnosis: HIV"
        client.put_object(Bucket=bucket, Key=f"public/report{i}.txt", Body=body.encode())
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": ["s3:ListBucket"], "Resource": [f"arn:aws:s3:::{bucket}"]},
        {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
         "Resource": [f"arn:aws:s3:::{bucket}/public/*"]},
    ]}))  # fmt: skip
    kinds = by_kind(await scan(f"s3://{bucket}", lab, owner=False))
    assert {"bucket-public-list", "bucket-public-read", "phi-in-object"} <= set(kinds)
    listing = kinds["bucket-public-list"][0]
    content = listing.evidence.model_extra["content"]
    assert content["objects_read"] == 4
    assert content["refused"] + content["skipped_in_refused_folders"] == 7
    assert content["refused"] <= 5 + 16  # a folder closes after 5 refusals (plus the reads already in flight)
    assert listing.affected_individuals == 4 and listing.estimate is None  # the exposure, counted exactly
    assert listing.severity.value == "critical"


async def test_keys_with_spaces_and_a_folder_target_on_seaweedfs(lab: Seaweed) -> None:
    """SeaweedFS writes a space in a URL-encoded listing as "+": those objects are read, not lost to a 404.
    `s3://bucket/reports/` is the folder, not every key that starts with "reports"."""
    from phileak.lab import Runtime
    from phileak.lab.storage_services import SEAWEEDFS, _create, owner_client, public_policy

    runtime = Runtime(SEAWEEDFS.name, lab.status.ports, lab.lab.data_root / SEAWEEDFS.name)
    client = owner_client(runtime)
    bucket = "lgh-spaced-keys"
    _create(client, bucket)
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_policy(bucket)))
    reports = {"Lab Results/report one.txt": "Aisha Okafor", "Lab Results/a+b.txt": "Robert Chen",
               "reports/a.txt": "Maria Garcia", "reports-archive/b.txt": "Jonas Weber", "reports.txt": "Lena Roth"}
    for i, (key, name) in enumerate(reports.items()):
        body = f"Patient: {name}\nDate of birth: 05/0{i + 1}/1950\nMRN: LGH-7002{i}\nDiagnosis: Type 2 diabetes"
        client.put_object(Bucket=bucket, Key=key, Body=body.encode())
    listing = by_kind(await scan(f"s3://{bucket}", lab, owner=False))["bucket-public-list"][0]
    content = listing.evidence.model_extra["content"]
    assert (content["objects_read"], content["unreadable"]) == (5, {})
    assert listing.affected_individuals == 5
    folder = by_kind(await scan(f"s3://{bucket}/reports/", lab, owner=False))["bucket-public-list"][0]
    assert folder.target == f"s3://{bucket}/reports/"
    assert (folder.evidence.model_extra["objects"], folder.affected_individuals) == (1, 1)
    assert "(1 object," in folder.title and "1 person" in folder.title


async def test_scanned_pdfs_in_a_bucket_are_counted_as_without_text(lab: Seaweed) -> None:
    from phileak.lab import Runtime
    from phileak.lab.storage_services import SEAWEEDFS, _create, owner_client, public_policy
    from test_extract_formats import scanned_pdf

    runtime = Runtime(SEAWEEDFS.name, lab.status.ports, lab.lab.data_root / SEAWEEDFS.name)
    client = owner_client(runtime)
    bucket = "lgh-scanned-reports"
    _create(client, bucket)
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_policy(bucket)))
    for i in range(3):
        client.put_object(Bucket=bucket, Key=f"scans/{i}.pdf", Body=scanned_pdf(1))
    listing = by_kind(await scan(f"s3://{bucket}", lab, owner=False))["bucket-public-list"][0]
    content = listing.evidence.model_extra["content"]
    assert (content["objects_read"], content["without_text_layer"]) == (3, 3)
