"""Azure Blob containers through the Blob REST API, unsigned: `?restype=container&comp=list` and blob GETs.

Containers cannot be enumerated anonymously (account `?comp=list` needs a key), so a container name is always
given or guessed (names.py). With --endpoint (Azurite), URLs are path-style: ENDPOINT/ACCOUNT/CONTAINER when the
endpoint has no path, else ENDPOINT/CONTAINER.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from phileak.net import HttpResponse
from phileak.probes.storage.location import BucketLocation, object_path
from phileak.probes.storage.stores import (
    PAGE_SIZE,
    ObjectInfo,
    Page,
    ReadResult,
    StoreError,
    parse_total_size,
    parse_xml,
)
from phileak.probes.storage.transport import StorageHttp

API_VERSION = "2021-12-02"
LIST_PAGE_MAX_BYTES = 16 * 1024 * 1024
HEADERS = {"x-ms-version": API_VERSION}


def container_url(location: BucketLocation) -> str:
    if location.endpoint is None:
        return f"https://{location.account}.blob.core.windows.net/{location.bucket}"
    if urlsplit(location.endpoint).path.strip("/"):
        return f"{location.endpoint}/{location.bucket}"
    return f"{location.endpoint}/{location.account}/{location.bucket}"


def error_code(response: HttpResponse) -> str:
    header = response.headers.get("x-ms-error-code")
    if header:
        return str(header)
    if not response.body.lstrip().startswith(b"<"):
        return ""
    try:
        root = parse_xml(response.body, "error", response.status)
    except StoreError:
        return ""
    return root.findtext("Code") or ""


class AzureStore:
    """ObjectStore for one Azure Blob container, anonymous."""

    def __init__(self, location: BucketLocation, http: StorageHttp) -> None:
        self.location = location
        self.http = http

    async def list_page(self, prefix: str, token: str | None, page_size: int = PAGE_SIZE) -> Page:
        query: dict[str, Any] = {"restype": "container", "comp": "list", "maxresults": page_size}
        if prefix:
            query["prefix"] = prefix
        if token:
            query["marker"] = token
        url = f"{container_url(self.location)}?{urlencode(query)}"
        response = await self.http.get(url, headers=HEADERS, max_bytes=LIST_PAGE_MAX_BYTES)
        if response.status != 200:
            raise StoreError("List Blobs", response.status, error_code(response))
        root = parse_xml(response.body, "List Blobs", response.status)
        objects = []
        for blob in root.iter("Blob"):
            name = blob.findtext("Name")
            if name is None:
                continue
            properties = blob.find("Properties")
            size = properties.findtext("Content-Length") if properties is not None else None
            kind = properties.findtext("Content-Type") if properties is not None else None
            objects.append(ObjectInfo(name, int(size) if size and size.isdigit() else None, kind or None))
        marker = (root.findtext("NextMarker") or "").strip()
        return Page(objects, marker or None)

    async def read(self, key: str, start: int, end: int, max_bytes: int) -> ReadResult:
        url = f"{container_url(self.location)}/{object_path(key)}"
        headers = {**HEADERS, "Range": f"bytes={start}-{end}"}
        response = await self.http.get(url, headers=headers, max_bytes=max_bytes, quick=True)
        if response.status not in (200, 206):
            raise StoreError("Get Blob", response.status, error_code(response))
        total = parse_total_size(response.headers.get("content-range"), None)
        return ReadResult(response.body, response.status, total)
