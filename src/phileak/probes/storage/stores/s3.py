"""S3 and S3-compatible servers through botocore (UNSIGNED for the stranger's view, SigV4 with the owner's keys),
every request sent by phileak's scoped client (transport.BotoBridge). Path-style addressing on custom endpoints."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, unquote_plus, urlencode

from phileak.probes.storage.location import AWS_DEFAULT_REGION, BucketLocation, object_path
from phileak.probes.storage.stores import (
    PAGE_SIZE,
    ObjectInfo,
    Page,
    ReadResult,
    StoreError,
    parse_total_size,
    parse_xml,
)
from phileak.probes.storage.transport import DEFAULT_MAX_BYTES, BotoBridge

T = TypeVar("T")

LIST_PAGE_MAX_BYTES = 32 * 1024 * 1024
# AWS answers at most 1,000 keys a page whatever is asked; S3-compatible servers may give more (fewer round trips).
BULK_PAGE_SIZE = 10_000
_session: Any = None


@dataclass(frozen=True)
class AwsKeys:
    """The owner's credentials. repr never shows the secret."""

    access_key: str
    secret_key: str
    session_token: str | None = None
    source: str = ""

    def __repr__(self) -> str:
        return f"AwsKeys(source={self.source!r})"


def _botocore_session() -> Any:
    global _session
    if _session is None:
        import botocore.session

        _session = botocore.session.Session()
    return _session


def make_client(
    service: str,
    location: BucketLocation,
    bridge: BotoBridge,
    *,
    region: str | None,
    keys: AwsKeys | None,
) -> Any:
    """A botocore client whose requests all go through `bridge`. No credential chain is ever consulted: the
    client is UNSIGNED, or signs with `keys`."""
    from botocore import UNSIGNED
    from botocore.config import Config

    config = Config(
        signature_version=UNSIGNED if keys is None else None,
        s3={"addressing_style": "path" if location.custom_endpoint else "auto"},
        retries={"total_max_attempts": 1},
        ignore_configured_endpoint_urls=True,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        user_agent_extra="phileak",
    )
    kwargs: dict[str, Any] = {"region_name": region or AWS_DEFAULT_REGION, "config": config}
    if location.endpoint is not None:
        kwargs["endpoint_url"] = location.endpoint
    if keys is not None:
        kwargs.update(
            aws_access_key_id=keys.access_key,
            aws_secret_access_key=keys.secret_key,
            aws_session_token=keys.session_token,
        )
    return bridge.attach(_botocore_session().create_client(service, **kwargs))


async def aws_call(
    bridge: BotoBridge, what: str, fn: Callable[..., T], /, *args: Any, max_bytes: int = DEFAULT_MAX_BYTES, **kw: Any
) -> T:
    """A botocore call; a service error becomes StoreError(what, status, code)."""
    from botocore.exceptions import ClientError

    try:
        return await bridge.call(fn, *args, max_bytes=max_bytes, **kw)
    except ClientError as exc:
        raise store_error(what, exc) from None


def store_error(what: str, exc: Any) -> StoreError:
    response = getattr(exc, "response", {}) or {}
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    code = str(response.get("Error", {}).get("Code") or "")
    return StoreError(what, status, code if code != str(status) else "")


class S3Store:
    """ObjectStore for one S3 bucket. The signed (owner) store goes through botocore for everything; the
    unsigned one uses botocore for the anonymous probe (`probe_list`, `probe_read`, the ACL) and plain HTTP for
    bulk listing and reads, where botocore's per-request cost (endpoint rules, XML parsing into dicts) would be
    most of the time: ListObjectsV2 pages are parsed straight from the XML."""

    def __init__(
        self, location: BucketLocation, client: Any, bridge: BotoBridge, *, unsigned: bool = False,
        region: str | None = None,
    ) -> None:  # fmt: skip
        self.location = location
        self.client = client
        self.bridge = bridge
        self.unsigned = unsigned
        self.region = region

    def call(self, what: str, fn: Callable[..., T], /, *args: Any, **kw: Any) -> Coroutine[Any, Any, T]:
        return aws_call(self.bridge, what, fn, *args, **kw)

    @property
    def bucket_url(self) -> str:
        location = self.location
        if location.endpoint is not None:
            return f"{location.endpoint}/{quote(location.bucket, safe='')}"
        host = f"s3.{self.region}.amazonaws.com" if self.region else "s3.amazonaws.com"
        if "." in location.bucket:
            return f"https://{host}/{location.bucket}"
        return f"https://{location.bucket}.{host}"

    lists_folders = True

    async def list_page(
        self, prefix: str, token: str | None, page_size: int = PAGE_SIZE, delimiter: str | None = None
    ) -> Page:
        if not self.unsigned:
            return await self.probe_list(prefix, token, page_size, delimiter)
        query: dict[str, Any] = {"list-type": "2", "max-keys": max(page_size, BULK_PAGE_SIZE), "encoding-type": "url"}
        if delimiter:
            query["max-keys"] = page_size
            query["delimiter"] = delimiter
        if prefix:
            query["prefix"] = prefix
        if token:
            query["continuation-token"] = token
        response = await self.bridge.http.get(
            f"{self.bucket_url}?{urlencode(query)}", max_bytes=LIST_PAGE_MAX_BYTES, quick=True
        )
        if response.status != 200:
            raise StoreError("ListObjectsV2", response.status, _xml_code(response.body, response.status))
        return parse_list_page(response.body, response.status)

    async def probe_list(
        self, prefix: str, token: str | None, page_size: int = PAGE_SIZE, delimiter: str | None = None
    ) -> Page:
        kwargs: dict[str, Any] = {"Bucket": self.location.bucket, "MaxKeys": page_size}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        if prefix:
            kwargs["Prefix"] = prefix
        if token:
            kwargs["ContinuationToken"] = token
        answer = await self.call("ListObjectsV2", self.client.list_objects_v2, max_bytes=LIST_PAGE_MAX_BYTES, **kwargs)
        objects = [
            ObjectInfo(str(item["Key"]), _size(item.get("Size")))
            for item in answer.get("Contents", ())
            if "Key" in item
        ]
        next_token = answer.get("NextContinuationToken") if answer.get("IsTruncated") else None
        folders = tuple(str(item["Prefix"]) for item in answer.get("CommonPrefixes", ()) if item.get("Prefix"))
        return Page(objects, str(next_token) if next_token else None, folders)

    async def read(self, key: str, start: int, end: int, max_bytes: int) -> ReadResult:
        if not self.unsigned:
            return await self.probe_read(key, start, end, max_bytes)
        url = f"{self.bucket_url}/{object_path(key)}"
        response = await self.bridge.http.get(
            url, headers={"Range": f"bytes={start}-{end}"}, max_bytes=max_bytes, quick=True
        )
        if response.status not in (200, 206):
            raise StoreError("GetObject", response.status, _xml_code(response.body, response.status))
        total = parse_total_size(response.headers.get("content-range"), None)
        return ReadResult(response.body, response.status, total)

    async def probe_read(self, key: str, start: int, end: int, max_bytes: int) -> ReadResult:
        answer = await self.call(
            "GetObject",
            self.client.get_object,
            Bucket=self.location.bucket,
            Key=key,
            Range=f"bytes={start}-{end}",
            max_bytes=max_bytes,
        )
        body = answer["Body"]
        try:
            data = body.read()
        finally:
            body.close()
        status = int(answer.get("ResponseMetadata", {}).get("HTTPStatusCode") or 200)
        return ReadResult(
            data, status, parse_total_size(answer.get("ContentRange"), _size(answer.get("ContentLength")))
        )


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


_CONTENTS = re.compile(rb"<Contents>(.*?)</Contents>", re.DOTALL)
_KEY = re.compile(rb"<Key>(.*?)</Key>", re.DOTALL)
_SIZE = re.compile(rb"<Size>\s*(\d+)\s*</Size>")
_TRUNCATED = re.compile(rb"<IsTruncated>\s*true\s*</IsTruncated>", re.IGNORECASE)
_TOKEN = re.compile(rb"<NextContinuationToken>(.*?)</NextContinuationToken>", re.DOTALL)
_URL_ENCODED = re.compile(rb"<EncodingType>\s*url\s*</EncodingType>", re.IGNORECASE)
_KEY_ANYWHERE = re.compile(rb"<Key>([^<]*)</Key>")
_SIZE_ANYWHERE = re.compile(rb"<Size>\s*(\d+)\s*</Size>")
_FOLDER = re.compile(rb"<CommonPrefixes>\s*<Prefix>(.*?)</Prefix>\s*</CommonPrefixes>", re.DOTALL)


def parse_list_page(body: bytes, status: int) -> Page:
    """A ListObjectsV2 answer: keys and sizes, and the continuation token if truncated. S3's listing XML is
    flat and machine-made, so its few elements are read with regular expressions (a tree of every element of
    a 10,000-key page costs more than the request); anything else goes through the XML parser."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise StoreError("ListObjectsV2: XML with a DTD refused", status)
    if b"<Contents>" not in body and b"Contents" in body:  # prefixed element names: the XML parser's job
        return _parse_list_tree(body, status)
    if not body.lstrip().startswith(b"<") or b"ListBucketResult" not in body[:1024]:
        raise StoreError("ListObjectsV2: not a listing", status)
    encoded = bool(_URL_ENCODED.search(body))
    objects = _flat_contents(body, encoded)
    if objects is None:
        objects = _contents_by_block(body, encoded)
    token_match = _TOKEN.search(body)
    token = html.unescape(token_match[1].decode("utf-8", "replace")).strip() if token_match else None
    folders = []
    if b"<CommonPrefixes>" in body:
        for match in _FOLDER.finditer(body):
            folder = html.unescape(match[1].decode("utf-8", "replace"))
            folders.append(unquote_plus(folder) if encoded else folder)
    return Page(objects, token if _TRUNCATED.search(body) and token else None, tuple(folders))


def _flat_contents(body: bytes, encoded: bool) -> list[ObjectInfo] | None:
    """Keys and sizes in two passes over the page, when every <Contents> has exactly one <Key> and one <Size>
    (as S3 writes them: nothing else in a listing has a Key); None otherwise."""
    keys = _KEY_ANYWHERE.findall(body)
    sizes = _SIZE_ANYWHERE.findall(body)
    if not (len(keys) == len(sizes) == body.count(b"<Contents>")):
        return None
    objects = []
    for raw_key, raw_size in zip(keys, sizes, strict=True):
        key = raw_key.decode("utf-8", "replace")
        if "&" in key:
            key = html.unescape(key)
        if encoded and ("%" in key or "+" in key):
            key = unquote_plus(key)
        objects.append(ObjectInfo(key, int(raw_size)))
    return objects


def _contents_by_block(body: bytes, encoded: bool) -> list[ObjectInfo]:
    objects = []
    for block in _CONTENTS.finditer(body):
        key_match = _KEY.search(block[1])
        if key_match is None:
            continue
        key = html.unescape(key_match[1].decode("utf-8", "replace"))
        size_match = _SIZE.search(block[1])
        objects.append(ObjectInfo(unquote_plus(key) if encoded else key, int(size_match[1]) if size_match else None))
    return objects


def _parse_list_tree(body: bytes, status: int) -> Page:
    root = parse_xml(body, "ListObjectsV2", status)
    encoded = False
    truncated = False
    token: str | None = None
    raw: list[tuple[str, str | None]] = []
    folders: list[str] = []
    for child in root:
        name = _local(child.tag)
        if name == "CommonPrefixes":
            folders.extend(field.text for field in child if _local(field.tag) == "Prefix" and field.text)
        if name == "Contents":
            key: str | None = None
            size: str | None = None
            for field in child:
                field_name = _local(field.tag)
                if field_name == "Key":
                    key = field.text or ""
                elif field_name == "Size":
                    size = field.text
            if key is not None:
                raw.append((key, size))
        elif name == "IsTruncated":
            truncated = (child.text or "").strip().lower() == "true"
        elif name == "NextContinuationToken":
            token = child.text or None
        elif name == "EncodingType":
            encoded = (child.text or "").strip().lower() == "url"
    objects = [ObjectInfo(unquote_plus(key) if encoded else key, _size(size)) for key, size in raw]
    shown = tuple(unquote_plus(folder) if encoded else folder for folder in folders)
    return Page(objects, token if truncated and token else None, shown)


def _xml_code(body: bytes, status: int) -> str:
    if not body.lstrip().startswith(b"<"):
        return ""
    try:
        root = parse_xml(body, "error", status)
    except StoreError:
        return ""
    return next((child.text or "" for child in root if _local(child.tag) == "Code"), "")


def _size(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
