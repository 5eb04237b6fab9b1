"""The stranger's view of a GCS bucket: `iam/testPermissions` (what allUsers may do), objects.list, a ranged GET.

testPermissions answers for any existing bucket, with the subset of the asked permissions granted to the caller;
404 means no such bucket."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from phileak.errors import PhileakError
from phileak.probes.storage.anonymous import READ_TEST_PAGE, TRANSIENT, AnonymousView, read_test_keys
from phileak.probes.storage.stores import StoreError
from phileak.probes.storage.stores.gcs import TEST_PERMISSIONS, GcsStore, bucket_api, parse_json


async def probe(store: GcsStore, probe_keys: Sequence[str] = ()) -> AnonymousView:
    location = store.location
    checks: dict[str, str] = {}
    notes: list[str] = []
    exists: bool | None = None
    granted: set[str] | None = None
    query = urlencode([("permissions", permission) for permission in TEST_PERMISSIONS])
    response = await store.http.get(f"{bucket_api(location)}/iam/testPermissions?{query}", max_bytes=256 * 1024)
    checks["testPermissions"] = f"HTTP {response.status}"
    if response.status == 200:
        exists = True
        try:
            permissions = parse_json(response, "testPermissions").get("permissions") or []
            granted = {str(p) for p in permissions if isinstance(p, str)}
        except PhileakError:
            notes.append("testPermissions answered unreadable JSON")
    elif response.status == 404:
        exists = False
    listable: bool | None = None
    listed: list[str] = []
    if exists is not False:
        try:
            page = await store.list_page(location.prefix, None, page_size=READ_TEST_PAGE)
            listable, exists = True, True
            checks["list"] = "HTTP 200"
            listed = [item.key for item in page.objects]
        except StoreError as exc:
            checks["list"] = exc.summary
            listable = False if exc.status in (401, 403) else None
            if exc.status == 404:
                exists, listable = False, False
    readable: bool | None = False if exists is False else None
    for key in read_test_keys(probe_keys, listed, location.prefix):
        try:
            await store.read(key, 0, 0, max_bytes=64 * 1024)
        except StoreError as exc:
            checks["read"] = exc.summary
            if exc.status == 416:
                readable = True
                break
            if exc.status in (401, 403):
                readable = False
            continue
        except TRANSIENT as exc:  # unknown, and the rest of the probe goes on
            checks["read"] = f"failed: {type(exc).__name__}"
            continue
        checks["read"] = "HTTP 206"
        readable = True
        break
    if readable is None and granted is not None:
        readable = "storage.objects.get" in granted
    acl_readable = ("storage.buckets.getIamPolicy" in granted) if granted is not None else None
    writable = bool(granted & {"storage.objects.create", "storage.objects.delete"}) if granted is not None else None
    return AnonymousView(
        provider="gcs",
        exists=exists,
        listable=listable,
        readable=readable,
        acl_readable=acl_readable,
        writable_by_config=writable,
        public_grants=tuple(sorted(f"allUsers:{p}" for p in granted)) if granted is not None else None,
        checks=checks,
        notes=tuple(notes),
    )
