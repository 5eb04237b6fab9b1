"""Google Cloud Storage through its JSON API (listing, testPermissions) and public object URLs, unsigned."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from phileak.net import HttpResponse
from phileak.probes.storage.location import BucketLocation, object_path
from phileak.probes.storage.stores import PAGE_SIZE, ObjectInfo, Page, ReadResult, StoreError, parse_total_size
from phileak.probes.storage.transport import StorageHttp

GCS_BASE = "https://storage.googleapis.com"
LIST_PAGE_MAX_BYTES = 16 * 1024 * 1024
TEST_PERMISSIONS = (
    "storage.buckets.get",
    "storage.buckets.getIamPolicy",
    "storage.objects.list",
    "storage.objects.get",
    "storage.objects.create",
    "storage.objects.delete",
)


def base_url(location: BucketLocation) -> str:
    return location.endpoint or GCS_BASE


def bucket_api(location: BucketLocation) -> str:
    return f"{base_url(location)}/storage/v1/b/{quote(location.bucket, safe='')}"


def error_code(response: HttpResponse) -> str:
    try:
        payload = json.loads(response.body or b"{}")
        error = payload.get("error", {}) if isinstance(payload, dict) else {}
        errors = error.get("errors") or [{}]
        return str(errors[0].get("reason") or error.get("status") or "")
    except (ValueError, AttributeError, TypeError, IndexError):
        return ""


def parse_json(response: HttpResponse, what: str) -> dict[str, Any]:
    try:
        payload = json.loads(response.body)
    except ValueError:
        raise StoreError(f"{what}: unreadable JSON", response.status) from None
    if not isinstance(payload, dict):
        raise StoreError(f"{what}: unexpected JSON", response.status)
    return payload


class GcsStore:
    """ObjectStore for one GCS bucket, anonymous."""

    def __init__(self, location: BucketLocation, http: StorageHttp) -> None:
        self.location = location
        self.http = http

    async def list_page(self, prefix: str, token: str | None, page_size: int = PAGE_SIZE) -> Page:
        query: dict[str, Any] = {"maxResults": page_size}
        if prefix:
            query["prefix"] = prefix
        if token:
            query["pageToken"] = token
        response = await self.http.get(
            f"{bucket_api(self.location)}/o?{urlencode(query)}", max_bytes=LIST_PAGE_MAX_BYTES
        )
        if response.status != 200:
            raise StoreError("objects.list", response.status, error_code(response))
        payload = parse_json(response, "objects.list")
        objects = []
        for item in payload.get("items") or ():
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                objects.append(ObjectInfo(item["name"], _size(item.get("size")), item.get("contentType")))
        next_token = payload.get("nextPageToken")
        return Page(objects, str(next_token) if next_token else None)

    async def read(self, key: str, start: int, end: int, max_bytes: int) -> ReadResult:
        url = f"{base_url(self.location)}/{quote(self.location.bucket, safe='')}/{object_path(key)}"
        response = await self.http.get(
            url, headers={"Range": f"bytes={start}-{end}"}, max_bytes=max_bytes, quick=True
        )
        if response.status not in (200, 206):
            raise StoreError("object read", response.status, error_code(response))
        total = parse_total_size(response.headers.get("content-range"), None)
        return ReadResult(response.body, response.status, total)


def _size(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
