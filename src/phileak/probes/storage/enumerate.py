"""Listing a bucket page by page as a stream: nothing but the current page is held, however many keys there are.

A server that repeats a continuation token (a listing that would never end), or keeps answering empty pages,
stops the listing with ListingError; so does the object limit. What was listed until then is kept."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from phileak.errors import PhileakError
from phileak.probes.storage.stores import PAGE_SIZE, ObjectInfo, ObjectStore

DEFAULT_MAX_OBJECTS = 50_000_000
MAX_EMPTY_PAGES = 50


class ListingError(PhileakError):
    """The listing could not go on (a repeated continuation token, endless empty pages, the object limit)."""


@dataclass
class ListingStats:
    objects: int = 0
    total_bytes: int = 0
    unknown_sizes: int = 0
    pages: int = 0
    complete: bool = False
    stopped: str | None = None
    by_extension: dict[str, int] = field(default_factory=dict)


async def list_objects(
    store: ObjectStore,
    prefix: str,
    stats: ListingStats,
    *,
    max_objects: int = DEFAULT_MAX_OBJECTS,
    page_size: int = PAGE_SIZE,
) -> AsyncIterator[ObjectInfo]:
    """Every object under `prefix`, in the server's order, counted into `stats` as it streams."""
    seen_tokens: set[bytes] = set()
    token: str | None = None
    empty_pages = 0
    while True:
        page = await store.list_page(prefix, token, page_size)
        stats.pages += 1
        empty_pages = 0 if page.objects else empty_pages + 1
        for item in page.objects:
            stats.objects += 1
            if item.size is None:
                stats.unknown_sizes += 1
            else:
                stats.total_bytes += item.size
            if stats.objects > max_objects:
                raise _stop(stats, f"more than {max_objects} objects: listing stopped (raise max_objects)")
            yield item
        if page.next_token is None:
            stats.complete = True
            return
        digest = hashlib.blake2b(page.next_token.encode(), digest_size=16).digest()
        if digest in seen_tokens:
            raise _stop(stats, f"the server repeated a continuation token after {stats.pages} pages: listing stopped")
        seen_tokens.add(digest)
        if empty_pages >= MAX_EMPTY_PAGES:
            raise _stop(stats, f"{empty_pages} empty pages in a row with a continuation token: listing stopped")
        token = page.next_token


def _stop(stats: ListingStats, reason: str) -> ListingError:
    stats.stopped = reason
    return ListingError(reason)
