"""The stranger's view of an S3 bucket: ListObjectsV2, a one-byte ranged GetObject, GetBucketAcl, all UNSIGNED.

Existence: on AWS itself a 403 means the bucket exists (an absent one answers 404 NoSuchBucket). On a custom
endpoint 403 proves nothing (SeaweedFS answers 403 for absent buckets), so existence stays unknown there."""

from __future__ import annotations

from collections.abc import Sequence

from phileak.probes.storage.anonymous import (
    READ_TEST_KEYS,
    READ_TEST_PAGE,
    TRANSIENT,
    AnonymousView,
    grants_write,
    public_grants,
    read_test_keys,
)
from phileak.probes.storage.stores import StoreError
from phileak.probes.storage.stores.s3 import S3Store

_ABSENT = ("NoSuchBucket",)


async def probe(store: S3Store, probe_keys: Sequence[str] = ()) -> AnonymousView:
    location = store.location
    aws = not location.custom_endpoint
    checks: dict[str, str] = {}
    notes: list[str] = []
    exists: bool | None = None
    listable: bool | None
    listed: list[str] = []
    try:
        page = await store.probe_list(location.prefix, None, page_size=READ_TEST_PAGE)
        listable, exists = True, True
        checks["list"] = "HTTP 200"
        listed = [item.key for item in page.objects]
    except StoreError as exc:
        checks["list"] = exc.summary
        listable = False if exc.status in (401, 403) else None
        if exc.code in _ABSENT:
            exists, listable = False, False
        elif exc.status == 403 and aws:
            exists = True
        elif exc.status == 403:
            notes.append("this server answers 403 for absent buckets too: existence unknown")
    readable = (
        await _readable(store, read_test_keys(probe_keys, listed, location.prefix), checks)
        if exists is not False
        else False
    )
    if readable:
        exists = True
    acl_readable, grants = None, None
    if exists is not False:
        try:
            answer = await store.call("GetBucketAcl", store.client.get_bucket_acl, Bucket=location.bucket)
            acl_readable, grants = True, public_grants(answer.get("Grants"))
            checks["acl"] = "HTTP 200"
        except StoreError as exc:
            checks["acl"] = exc.summary
            acl_readable = False if exc.status in (401, 403) else None
        except TRANSIENT as exc:  # unknown, and the rest of the probe goes on
            checks["acl"] = f"failed: {type(exc).__name__}"
    if readable is None and not probe_keys and not listed:
        notes.append("no object name to test an anonymous read with (listing refused or empty)")
    return AnonymousView(
        provider="s3",
        exists=exists,
        listable=listable,
        readable=readable,
        acl_readable=acl_readable,
        writable_by_config=grants_write(grants) if grants is not None else None,
        public_grants=grants,
        checks=checks,
        notes=tuple(notes),
    )


async def _readable(store: S3Store, keys: Sequence[str], checks: dict[str, str]) -> bool | None:
    """True when a one-byte ranged GET of any of `keys` succeeds; False when refused; None untested."""
    verdict: bool | None = None
    for key in keys[:READ_TEST_KEYS]:
        try:
            await store.probe_read(key, 0, 0, max_bytes=64 * 1024)
        except StoreError as exc:
            checks["read"] = exc.summary
            if exc.status == 416:  # an empty object: the read was authorised, the range cannot be served
                return True
            if exc.status in (401, 403):
                verdict = False
            continue
        except TRANSIENT as exc:
            checks["read"] = f"failed: {type(exc).__name__}"
            continue
        checks["read"] = "HTTP 206"
        return True
    return verdict
