"""The storage probe against Azurite (Azure Blob: container, blob and private access levels) and the GCS
emulator (JSON API, testPermissions). The emulator enforces no access control: every bucket it serves is public
and its testPermissions grants whatever is asked, so the private GCS case cannot be tested against it."""

from __future__ import annotations

from typing import Any

import pytest

from phileak.model import Finding
from phileak.probes.storage.probe import StorageProbe
from phileak.targets import parse_target
from storage_peers import AZURITE_ACCOUNT, Azurite, GcsEmulator, azurite, context, gcs


@pytest.fixture
def blob(request: pytest.FixtureRequest) -> Azurite:
    return azurite(request)


@pytest.fixture
def google(request: pytest.FixtureRequest) -> GcsEmulator:
    return gcs(request)


async def scan(ref: str, endpoint: str, rules: list[str], **target_options: Any) -> list[Finding]:
    target = parse_target("storage", ref, {"endpoint": endpoint, **target_options})
    return [finding async for finding in StorageProbe().scan(target, context(rules))]


AZURE_RULES = [f"azure://{AZURITE_ACCOUNT}/*", "127.0.0.1/32"]


def kinds(findings: list[Finding]) -> set[str]:
    return {finding.kind for finding in findings}


async def test_azure_container_access_is_listed_read_and_counted(blob: Azurite) -> None:
    findings = await scan(f"azure://{AZURITE_ACCOUNT}/public-container", blob.endpoint, AZURE_RULES)
    assert {"bucket-public-list", "bucket-public-read", "phi-in-object"} <= kinds(findings)
    [listing] = [f for f in findings if f.kind == "bucket-public-list"]
    assert listing.evidence.model_extra["anonymous"]["access_level"] == "container"
    assert listing.evidence.model_extra["objects"] == 1
    assert listing.affected_individuals == 1
    assert "allowBlobPublicAccess" in listing.remediation


async def test_azure_blob_access_reads_a_named_blob_but_cannot_list(blob: Azurite) -> None:
    ref = f"azure://{AZURITE_ACCOUNT}/blobonly-container"
    [unknown] = await scan(ref, blob.endpoint, AZURE_RULES)
    assert unknown.kind == "bucket-not-public"
    assert unknown.evidence.model_extra["anonymous"]["readable"] is None  # no blob name to try
    # ... which is not "nothing to do": "blob" access is the common misconfiguration, and it is not tested yet
    assert "not tested" in unknown.title and "--probe-key" in unknown.remediation
    assert "Nothing to do" not in unknown.remediation
    findings = await scan(ref, blob.endpoint, AZURE_RULES, probe_key="reports/patient_0001.txt")
    assert kinds(findings) == {"bucket-public-read"}
    [read] = findings
    assert read.evidence.model_extra["anonymous"]["access_level"] == "blob"
    assert "by name" in read.title


async def test_azure_private_container_and_absent_container(blob: Azurite) -> None:
    private = await scan(f"azure://{AZURITE_ACCOUNT}/private-container", blob.endpoint, AZURE_RULES,
                         probe_key="reports/patient_0001.txt")  # fmt: skip
    assert [f.kind for f in private] == ["bucket-not-public"]
    live = private[0].evidence.model_extra["anonymous"]
    assert (live["listable"], live["readable"], live["access_level"]) == (False, False, "none-anonymous")
    assert private[0].remediation.startswith("Nothing to do")  # the read was tried and refused
    [absent] = await scan(f"azure://{AZURITE_ACCOUNT}/no-such-container", blob.endpoint, AZURE_RULES)
    assert absent.kind == "bucket-not-public"
    assert absent.evidence.model_extra["anonymous"]["exists"] is None  # Azurite: 403, not ContainerNotFound


async def test_gcs_bucket_permissions_listing_and_people(google: GcsEmulator) -> None:
    findings = await scan("gs://lgh-gcs-reports", google.endpoint, ["gs://lgh-*", "127.0.0.1/32"])
    assert {"bucket-public-list", "bucket-public-read", "phi-in-object"} <= kinds(findings)
    [listing] = [f for f in findings if f.kind == "bucket-public-list"]
    live = listing.evidence.model_extra["anonymous"]
    assert live["checks"]["testPermissions"] == "HTTP 200"
    assert "allUsers:storage.objects.list" in live["public_grants"]
    assert live["writable_by_config"] is True  # the emulator's testPermissions grants everything asked
    assert listing.affected_individuals == 1
    assert "public access prevention" in listing.remediation


async def test_gcs_absent_bucket_is_known_absent(google: GcsEmulator) -> None:
    [finding] = await scan("gs://lgh-gcs-absent", google.endpoint, ["gs://lgh-*", "127.0.0.1/32"])
    assert finding.kind == "bucket-not-public"
    assert finding.evidence.model_extra["anonymous"]["exists"] is False
    assert "does not exist" in finding.title
