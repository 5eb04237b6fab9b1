"""Listing and reading objects, one module per provider, behind one Protocol (ObjectStore)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Protocol

from phileak.errors import PhileakError
from phileak.probes.storage.location import BucketLocation

PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One listed object. `key` may itself be patient data: it never goes into a message or a finding raw."""

    key: str
    size: int | None
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    objects: list[ObjectInfo]
    next_token: str | None
    folders: tuple[str, ...] = ()  # common prefixes, when the page was asked for with a delimiter


@dataclass(frozen=True, slots=True)
class ReadResult:
    """The bytes of one ranged read and what the server says the whole object measures."""

    data: bytes
    status: int
    total_size: int | None


class StoreError(PhileakError):
    """The provider refused or could not find something; `status` and `code` say which (no key inside)."""

    def __init__(self, what: str, status: int, code: str | None = None) -> None:
        super().__init__(f"{what}: HTTP {status}" + (f" {code}" if code else ""))
        self.status = status
        self.code = code or ""

    @property
    def summary(self) -> str:
        return f"HTTP {self.status}" + (f" {self.code}" if self.code else "")


class ObjectStore(Protocol):
    """One bucket or container, seen with one set of credentials (or none)."""

    location: BucketLocation

    async def list_page(self, prefix: str, token: str | None, page_size: int = PAGE_SIZE) -> Page: ...

    # A store that also lists one level at a time (`list_page(..., delimiter="/")` answering Page.folders)
    # says so with a class attribute `lists_folders = True`; the listing then reads folders in parallel.

    async def read(self, key: str, start: int, end: int, max_bytes: int) -> ReadResult:
        """Bytes start..end (inclusive) of `key` through a Range request; at most max_bytes are accepted."""
        ...


def parse_total_size(content_range: str | None, fallback: int | None) -> int | None:
    """The total of a `Content-Range: bytes a-b/TOTAL` header, else `fallback`."""
    if content_range and "/" in content_range:
        total = content_range.rsplit("/", 1)[1].strip()
        if total.isdigit():
            return int(total)
    return fallback


def parse_xml(body: bytes, what: str, status: int) -> ET.Element:
    """A provider's XML answer. A document declaring a DTD or entities (the vehicle of entity-expansion bombs)
    is refused; ElementTree resolves no external entity, so nothing else needs defusing."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise StoreError(f"{what}: XML with a DTD refused", status)
    try:
        return ET.fromstring(body)  # noqa: S314
    except ET.ParseError:
        raise StoreError(f"{what}: unreadable XML", status) from None
