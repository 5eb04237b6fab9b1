"""The stranger's view of an Azure Blob container: List Blobs, a ranged Get Blob, Get Container ACL, unsigned.

Access levels: "container" lets anyone list and read; "blob" lets anyone read a blob whose name they know, but not
list; private allows neither. Without a blob name, "blob" access cannot be told from private (probe_key option).
ContainerNotFound is definite; Azurite and Azure also answer 403/404 without that code, which stays unknown."""

from __future__ import annotations

from collections.abc import Sequence

from phileak.probes.storage.anonymous import READ_TEST_PAGE, TRANSIENT, AnonymousView, read_test_keys
from phileak.probes.storage.stores import StoreError
from phileak.probes.storage.stores.azure import HEADERS, AzureStore, container_url, error_code

_ABSENT = ("ContainerNotFound",)


async def probe(store: AzureStore, probe_keys: Sequence[str] = ()) -> AnonymousView:
    location = store.location
    checks: dict[str, str] = {}
    notes: list[str] = []
    exists: bool | None = None
    listable: bool | None
    listed: list[str] = []
    try:
        page = await store.list_page(location.prefix, None, page_size=READ_TEST_PAGE)
        listable, exists = True, True
        checks["list"] = "HTTP 200"
        listed = [item.key for item in page.objects]
    except StoreError as exc:
        checks["list"] = exc.summary
        listable = False if exc.status in (401, 403, 404) else None
        if exc.code in _ABSENT:
            exists = False
    readable: bool | None = False if exists is False else None
    for key in read_test_keys(probe_keys, listed, location.prefix):
        try:
            await store.read(key, 0, 0, max_bytes=64 * 1024)
        except StoreError as exc:
            checks["read"] = exc.summary
            if exc.status == 416:
                readable = True
                break
            if exc.status in (401, 403) or (exc.status == 404 and exc.code != "BlobNotFound"):
                readable = False
            continue
        except TRANSIENT as exc:  # unknown, and the rest of the probe goes on
            checks["read"] = f"failed: {type(exc).__name__}"
            continue
        checks["read"] = "HTTP 206"
        readable = True
        break
    if readable:
        exists = True
    response = await store.http.get(
        f"{container_url(location)}?restype=container&comp=acl", headers=HEADERS, max_bytes=256 * 1024
    )
    checks["acl"] = f"HTTP {response.status}" + (f" {error_code(response)}" if response.status != 200 else "")
    acl_readable = response.status == 200 if response.status in (200, 401, 403, 404) else None
    level = "container" if listable else "blob" if readable else "none-anonymous" if readable is False else None
    if readable is None and not listable:
        notes.append("not listable; blob-level public access needs a blob name to test (probe_key)")
    return AnonymousView(
        provider="azure",
        exists=exists,
        listable=listable,
        readable=readable,
        acl_readable=acl_readable,
        access_level=level,
        checks=checks,
        notes=tuple(notes),
    )
