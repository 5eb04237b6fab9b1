"""Listing a bucket page by page as a stream: nothing but the pages in flight are held, however many keys there are.

A server that repeats a continuation token (a listing that would never end), or keeps answering empty pages,
stops the listing with ListingError; so does the object limit. What was listed until then is kept."""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from phileak.errors import PhileakError
from phileak.probes.storage.stores import PAGE_SIZE, ObjectInfo, ObjectStore, Page

DEFAULT_MAX_OBJECTS = 50_000_000
MAX_EMPTY_PAGES = 50
PARALLEL_LISTINGS = 4
PLAN_PAGE_SIZE = 1000  # the level must fit one page of AWS's largest, or the bucket is listed flat
MAX_FOLDER_DEPTH = 3


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
    parallel: int = PARALLEL_LISTINGS,
) -> AsyncIterator[ObjectInfo]:
    """Every object under `prefix`, counted into `stats` as it streams.

    A store that lists folders (S3) is first asked for one level (delimiter "/"): when that level fits one
    small page and holds at least two folders, the objects at that level come first, then each folder's
    listing, `parallel` folders in flight and their objects yielded folder by folder (the order is
    deterministic; a server answers several listings at once far faster than one after the other). A level
    with a single folder is looked into the same way, a few levels deep. Any other shape (no folders, or too
    many entries for one page, as with a folder per patient) is listed flat, in the server's order."""
    plan = await _folder_plan(store, prefix, stats, parallel)
    if plan is None:
        pages = _pages(store, prefix, stats, page_size)
    else:
        pages = _planned_pages(store, plan, stats, page_size, parallel)
    async for page in pages:
        for item in page.objects:
            stats.objects += 1
            if item.size is None:
                stats.unknown_sizes += 1
            else:
                stats.total_bytes += item.size
            if stats.objects > max_objects:
                raise _stop(stats, f"more than {max_objects} objects: listing stopped (raise max_objects)")
            yield item
    stats.complete = True


async def _pages(store: ObjectStore, prefix: str, stats: ListingStats, page_size: int) -> AsyncIterator[Page]:
    """One flat listing, page by page, stopped when the server loops."""
    seen_tokens: set[bytes] = set()
    token: str | None = None
    empty_pages = 0
    while True:
        page = await store.list_page(prefix, token, page_size)
        stats.pages += 1
        empty_pages = 0 if page.objects else empty_pages + 1
        yield page
        if page.next_token is None:
            return
        digest = hashlib.blake2b(page.next_token.encode(), digest_size=16).digest()
        if digest in seen_tokens:
            raise _stop(stats, f"the server repeated a continuation token after {stats.pages} pages: listing stopped")
        seen_tokens.add(digest)
        if empty_pages >= MAX_EMPTY_PAGES:
            raise _stop(stats, f"{empty_pages} empty pages in a row with a continuation token: listing stopped")
        token = page.next_token


async def _folder_plan(store: ObjectStore, prefix: str, stats: ListingStats, parallel: int) -> _Plan | None:
    """The objects at the first level with several folders, and those folders; None to list flat."""
    if parallel < 2 or not getattr(store, "lists_folders", False):
        return None
    level_objects: list[ObjectInfo] = []
    level = prefix
    for _ in range(MAX_FOLDER_DEPTH):
        try:
            page = await store.list_page(level, None, PLAN_PAGE_SIZE, delimiter="/")  # type: ignore[call-arg]
        except TypeError:  # a store whose list_page takes no delimiter after all
            return None
        stats.pages += 1
        folders = [folder for folder in page.folders if folder.startswith(level) and folder != level]
        if page.next_token is not None or len(folders) != len(page.folders):
            return None  # more than one page at this level, or a folder outside it: flat is simpler and safe
        level_objects.extend(page.objects)
        if len(folders) != 1:
            return _Plan(level_objects, folders)  # several folders, or none: this page was the whole listing
        level = folders[0]
    return None


async def _planned_pages(
    store: ObjectStore, plan: _Plan, stats: ListingStats, page_size: int, parallel: int
) -> AsyncIterator[Page]:
    if plan.objects:
        yield Page(plan.objects, None)
    queues: deque[tuple[asyncio.Queue[Page | BaseException | None], asyncio.Task[None]]] = deque()
    folders = iter(plan.folders)

    async def fill(folder: str, queue: asyncio.Queue[Page | BaseException | None]) -> None:
        try:
            async for page in _pages(store, folder, stats, page_size):
                await queue.put(page)
            await queue.put(None)
        except Exception as exc:  # handed to the consumer, in folder order
            await queue.put(exc)

    def start_next() -> None:
        folder = next(folders, None)
        if folder is not None:
            queue: asyncio.Queue[Page | BaseException | None] = asyncio.Queue(maxsize=2)
            queues.append((queue, asyncio.create_task(fill(folder, queue))))

    try:
        for _ in range(parallel):
            start_next()
        while queues:
            queue, _task = queues[0]
            while (page := await queue.get()) is not None:
                if isinstance(page, BaseException):
                    raise page
                yield page
            queues.popleft()
            start_next()
    finally:
        for _queue, task in queues:
            task.cancel()
        await asyncio.gather(*(task for _queue, task in queues), return_exceptions=True)


@dataclass(frozen=True)
class _Plan:
    objects: list[ObjectInfo]
    folders: list[str]


def _stop(stats: ListingStats, reason: str) -> ListingError:
    stats.stopped = reason
    return ListingError(reason)
