"""Listing by folders in parallel (storage/enumerate.py) against an in-memory store with S3's delimiter
semantics: the same objects as a flat listing, in a deterministic order, with bounded parallelism, and the
flat listing whenever a level does not fit one page."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from phileak.probes.storage.enumerate import PLAN_PAGE_SIZE, ListingError, ListingStats, list_objects
from phileak.probes.storage.location import parse_location
from phileak.probes.storage.stores import ObjectInfo, Page


class FolderStore:
    """Keys in S3 order; `delimiter` groups keys into common prefixes as ListObjectsV2 does; tokens are indexes."""

    lists_folders = True

    def __init__(self, keys: list[str], *, loop_in: str | None = None) -> None:
        self.location = parse_location("s3://folder-bucket")
        self.keys = sorted(keys)
        self.calls: list[tuple[str, str | None]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.loop_in = loop_in  # a folder whose listing repeats its continuation token

    async def list_page(
        self, prefix: str, token: str | None, page_size: int = 1000, delimiter: str | None = None
    ) -> Page:
        self.calls.append((prefix, delimiter))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.001)
            entries: list[tuple[str, bool]] = []  # (key or folder, is_folder), in key order
            for key in self.keys:
                if not key.startswith(prefix):
                    continue
                rest = key[len(prefix) :]
                if delimiter and delimiter in rest:
                    folder = prefix + rest.split(delimiter, 1)[0] + delimiter
                    if not entries or entries[-1] != (folder, True):
                        entries.append((folder, True))
                else:
                    entries.append((key, False))
            start = int(token or 0)
            chunk = entries[start : start + page_size]
            end = start + len(chunk)
            next_token = str(end) if end < len(entries) else None
            if prefix == self.loop_in and next_token is not None:
                next_token = "1"
            objects = [ObjectInfo(name, 1) for name, folder in chunk if not folder]
            return Page(objects, next_token, tuple(name for name, folder in chunk if folder))
        finally:
            self.in_flight -= 1

    async def read(self, key: str, start: int, end: int, max_bytes: int) -> object:
        raise AssertionError("not read")


def listed(store: FolderStore, parallel: int, page_size: int = 7, **kw: int) -> tuple[list[str], ListingStats]:
    stats = ListingStats()

    async def main() -> list[str]:
        return [item.key async for item in list_objects(store, "", stats, page_size=page_size, parallel=parallel, **kw)]

    return asyncio.run(main()), stats


def folder_keys() -> list[str]:
    keys = [f"root-{i}.pdf" for i in range(3)]
    keys += [f"p{f:02d}/obj-{i:03d}.txt" for f in range(12) for i in range(20)]
    keys += [f"p03/deeper/x-{i}.txt" for i in range(5)]
    return keys


def test_folders_in_parallel_give_every_object_once_in_a_fixed_order() -> None:
    keys = folder_keys()
    flat, flat_stats = listed(FolderStore(keys), parallel=1)
    store = FolderStore(keys)
    planned, stats = listed(store, parallel=4)

    assert Counter(planned) == Counter(flat) == Counter(keys)
    assert planned[:3] == ["root-0.pdf", "root-1.pdf", "root-2.pdf"]  # the level's own objects first
    folders = [key.split("/")[0] for key in planned[3:]]
    assert folders == sorted(folders)  # then folder by folder
    assert planned == listed(FolderStore(keys), parallel=4)[0]  # the same order every time
    assert stats.complete and flat_stats.complete and stats.objects == len(keys) and stats.total_bytes == len(keys)
    assert 1 < store.most_in_flight <= 4
    assert store.calls[0] == ("", "/")
    assert all(delimiter is None for _, delimiter in store.calls[1:])


def test_a_single_folder_is_looked_into() -> None:
    keys = [f"reports/{year}/r-{i}.pdf" for year in (2024, 2025, 2026) for i in range(10)] + ["reports/index.csv"]
    store = FolderStore(keys)
    planned, _ = listed(store, parallel=3)
    assert Counter(planned) == Counter(keys)
    assert store.calls[:2] == [("", "/"), ("reports/", "/")]
    assert {prefix for prefix, delimiter in store.calls if delimiter is None} == {
        "reports/2024/",
        "reports/2025/",
        "reports/2026/",
    }


def test_a_level_larger_than_one_page_is_listed_flat() -> None:
    keys = [f"patient-{i:05d}/report.pdf" for i in range(PLAN_PAGE_SIZE + 1)]  # a folder per patient
    store = FolderStore(keys)
    planned, stats = listed(store, parallel=4, page_size=500)
    assert planned == sorted(keys)  # the server's order
    assert stats.complete
    assert [call for call in store.calls if call[1] == "/"] == [("", "/")]
    assert {prefix for prefix, _ in store.calls} == {""}


def test_stores_without_folders_list_flat() -> None:
    class FlatStore(FolderStore):
        lists_folders = False

    store = FlatStore(folder_keys())
    planned, _ = listed(store, parallel=4)
    assert planned == sorted(folder_keys())
    assert all(delimiter is None for _, delimiter in store.calls)


def test_a_looping_folder_stops_the_listing_and_the_other_folders_are_cancelled() -> None:
    store = FolderStore(folder_keys(), loop_in="p05/")
    stats = ListingStats()

    async def main() -> list[str]:
        return [item.key async for item in list_objects(store, "", stats, page_size=7, parallel=4)]

    with pytest.raises(ListingError, match="repeated a continuation token"):
        asyncio.run(main())
    assert not stats.complete and stats.stopped


def test_the_object_limit_counts_across_folders() -> None:
    with pytest.raises(ListingError, match="more than 50 objects"):
        listed(FolderStore(folder_keys()), parallel=4, max_objects=50)
