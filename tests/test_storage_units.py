"""Storage probe parts that need no server: target parsing, implied scope, listing guards, sampling, names,
key display."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from phileak.errors import InputError, ScopeViolation
from phileak.model import Severity
from phileak.probes.storage import scanning
from phileak.probes.storage.content import PhiResult, readable_key, shown_key
from phileak.probes.storage.enumerate import ListingError, ListingStats, list_objects
from phileak.probes.storage.location import canonical_ref, implied_rules, parse_location
from phileak.probes.storage.names import as_targets, candidates, read_name_list, stems
from phileak.probes.storage.sample import MAX_STRATA, StratifiedSampler
from phileak.probes.storage.scanning import KeyScan, chunked, name_shape
from phileak.probes.storage.stores import ObjectInfo, Page
from phileak.scope import Scope


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("https://exh-reports.s3.amazonaws.com/2017/a.pdf", "s3://exh-reports/2017/a.pdf"),
        ("https://exh-reports.s3.eu-west-3.amazonaws.com", "s3://exh-reports"),
        ("https://s3.us-east-2.amazonaws.com/exh-reports/x", "s3://exh-reports/x"),
        ("https://s3.amazonaws.com/exh-reports/", "s3://exh-reports"),
        ("https://s3.amazonaws.com/exh-reports/2017/", "s3://exh-reports/2017/"),
        ("https://exhacct.blob.core.windows.net/reports/", "azure://exhacct/reports"),
        ("https://storage.googleapis.com/exh-bucket/o.txt", "gs://exh-bucket/o.txt"),
        ("https://storage.googleapis.com/storage/v1/b/exh-bucket/o/o.txt", "gs://exh-bucket/o.txt"),
        ("https://exhacct.blob.core.windows.net/reports/a.pdf", "azure://exhacct/reports/a.pdf"),
        ("s3://exh-reports/p", "s3://exh-reports/p"),
    ],
)
def test_https_forms_become_storage_urls(text: str, canonical: str) -> None:
    assert canonical_ref(text) == canonical


def test_locations_parse_and_reject_bad_names() -> None:
    location = parse_location("azure://exhacct/reports/2026/")
    assert (location.provider, location.account, location.bucket, location.prefix) == (
        "azure",
        "exhacct",
        "reports",
        "2026/",
    )
    assert parse_location("s3://exh-reports/a/b").scope_url == "s3://exh-reports"
    for bad in ("s3://Bad_Name", "gs://a", "azure://exhacct", "ftp://x", "s3://a..b"):
        with pytest.raises(InputError):
            parse_location(bad)
    with pytest.raises(InputError):
        parse_location("s3://exh-reports", "ftp://127.0.0.1")


def test_an_authorised_bucket_implies_only_its_own_paths_on_the_provider() -> None:
    location = parse_location("s3://exh-reports")
    scope = Scope.from_rules(["s3://exh-*"]).merged(Scope.from_rules(implied_rules(location, "eu-west-3")))
    scope.check_url("https://s3.amazonaws.com/exh-reports?list-type=2")
    scope.check_url("https://exh-reports.s3.eu-west-3.amazonaws.com/key.pdf")
    scope.check_url("https://s3.eu-west-3.amazonaws.com/exh-reports/key.pdf")
    for other in ("https://s3.amazonaws.com/other-bucket", "https://other.s3.amazonaws.com/",
                  "https://sts.amazonaws.com/", "https://s3.amazonaws.com/exh-reports-2/"):  # fmt: skip
        with pytest.raises(ScopeViolation):
            scope.check_url(other)
    assert "https://sts.amazonaws.com/" in implied_rules(location, "eu-west-3", owner=True)
    assert implied_rules(parse_location("s3://exh-reports", "http://127.0.0.1:9000")) == []
    assert implied_rules(parse_location("azure://exhacct/reports")) == [
        "https://exhacct.blob.core.windows.net/reports/"
    ]


class PagedStore:
    """An in-memory ObjectStore (our own seam) serving `pages`, then repeating the last token if asked."""

    def __init__(self, pages: list[Page]) -> None:
        self.location = parse_location("s3://paged-bucket")
        self.pages = pages
        self.calls = 0

    async def list_page(self, prefix: str, token: str | None, page_size: int = 1000) -> Page:
        self.calls += 1
        index = min(int(token or 0), len(self.pages) - 1)
        return self.pages[index]

    async def read(self, key: str, start: int, end: int, max_bytes: int) -> object:
        raise AssertionError("not read")


def run(store: PagedStore, stats: ListingStats, **kw: int) -> list[str]:
    async def main() -> list[str]:
        return [item.key async for item in list_objects(store, "", stats, **kw)]

    return asyncio.run(main())


def test_listing_streams_pages_and_counts() -> None:
    pages = [Page([ObjectInfo(f"k{p}-{i}", 10) for i in range(3)], str(p + 1)) for p in range(4)]
    pages.append(Page([ObjectInfo("last", None)], None))
    stats = ListingStats()
    keys = run(PagedStore(pages), stats)
    assert len(keys) == 13 and stats.complete and stats.total_bytes == 120 and stats.unknown_sizes == 1


def test_a_repeated_token_or_too_many_objects_stops_the_listing() -> None:
    loop = PagedStore([Page([ObjectInfo("a", 1)], "1"), Page([ObjectInfo("b", 1)], "1")])
    stats = ListingStats()
    with pytest.raises(ListingError, match="repeated a continuation token"):
        run(loop, stats)
    assert loop.calls == 2 and not stats.complete and stats.stopped  # the second page repeated "1"
    big = PagedStore([Page([ObjectInfo(f"k{i}", 1) for i in range(10)], None)])
    with pytest.raises(ListingError, match="more than 5 objects"):
        run(big, ListingStats(), max_objects=5)


def test_stratified_sample_is_proportional_and_bounded() -> None:
    sampler = StratifiedSampler(100, seed=7)
    for i in range(9000):
        sampler.offer(ObjectInfo(f"pdf/{i}.pdf", 1))
    for i in range(1000):
        sampler.offer(ObjectInfo(f"csv/{i}.csv", 1))
    sample = sampler.sample()
    assert len(sample) == 100 and len({o.key for o in sample}) == 100
    assert Counter(o.key.split("/")[0] for o in sample) == {"pdf": 90, "csv": 10}


def test_a_folder_per_patient_does_not_grow_the_strata() -> None:
    sampler = StratifiedSampler(5, seed=1)
    for i in range(500):
        sampler.offer(ObjectInfo(f"patient-{i}/report.pdf", 1))
    assert len(list(sampler.strata())) == MAX_STRATA + 1
    assert len(sampler.sample()) == 5
    small = StratifiedSampler(50, seed=1)
    for i in range(7):
        small.offer(ObjectInfo(f"{i}.txt", 1))
    assert len(small.sample()) == 7


def test_name_candidates_are_valid_bounded_and_unique() -> None:
    names = list(candidates("Hôpital Saint-Exemple", limit=150))
    assert len(names) == 150 == len(set(names))
    assert names[0] == "hopital-saint-exemple" and "hse-backup" in names
    assert all(3 <= len(n) <= 63 and n == n.lower() for n in names)
    assert all("." not in n for n in candidates("Example Health", provider="azure", limit=300))
    assert stems("The Example Clinic, Inc.") == ["example-clinic", "exampleclinic", "ec", "example"]
    with pytest.raises(InputError):
        list(candidates("!!!"))
    assert as_targets(["a-bucket", "gs://b-bucket"]) == ["s3://a-bucket", "gs://b-bucket"]


def test_name_lists_skip_comments(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "names.txt"  # type: ignore[operator]
    path.write_text("# ours\nexh-reports\n\nexh-backup  # old\n", encoding="utf-8")
    assert read_name_list(path) == ["exh-reports", "exh-backup"]


def test_keys_are_shown_by_shape_only() -> None:
    result = PhiResult(
        frozenset(), frozenset(), frozenset(), False, (), {}, Severity.INFO, "", ((8, 19, "person-name"),)
    )
    key = "reports/Chloe_Reyes_1961-03-14_MRN-700030.pdf"
    assert readable_key(key) == "reports/Chloe Reyes 1961-03-14 MRN-700030.pdf"
    shown = shown_key(key, result)
    for secret in ("Chloe", "Reyes", "1961", "700030"):
        assert secret not in shown
    assert shown.startswith("reports/") and shown.endswith(".pdf")
    assert shown_key("summaries/summary-LGH-700030.txt", None) == "summaries/summary-L**-******.txt"


def test_listing_xml_is_read_with_or_without_namespaces_and_encoding() -> None:
    from phileak.probes.storage.stores import StoreError
    from phileak.probes.storage.stores.s3 import parse_list_page

    plain = (b'<?xml version="1.0"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
             b"<IsTruncated>true</IsTruncated><NextContinuationToken>t&amp;1</NextContinuationToken>"
             b"<Contents><Key>a&amp;b.txt</Key><Size>3</Size></Contents><Contents><Key>c</Key></Contents>"
             b"</ListBucketResult>")  # fmt: skip
    page = parse_list_page(plain, 200)
    assert [(o.key, o.size) for o in page.objects] == [("a&b.txt", 3), ("c", None)] and page.next_token == "t&1"
    encoded = (
        b"<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
        b"<Contents><Key>r%C3%A9sultats/Jane%20Doe.pdf</Key><Size>9</Size></Contents></ListBucketResult>"
    )
    page = parse_list_page(encoded, 200)
    assert page.objects[0].key == "résultats/Jane Doe.pdf" and page.next_token is None
    # URL encoding as S3 and SeaweedFS write it (botocore reads it with unquote_plus): "+" is a space, "%2B" a plus.
    spaces = (
        b"<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
        b"<Contents><Key>Lab%20Results/John+Smith.txt</Key><Size>9</Size></Contents>"
        b"<Contents><Key>a%2Bb.txt</Key><Size>1</Size></Contents>"
        b"<CommonPrefixes><Prefix>Lab+Results/</Prefix></CommonPrefixes></ListBucketResult>"
    )
    page = parse_list_page(spaces, 200)
    assert [o.key for o in page.objects] == ["Lab Results/John Smith.txt", "a+b.txt"]
    assert page.folders == ("Lab Results/",)
    no_size = spaces.replace(b"<Size>1</Size>", b"")  # the block-by-block reader
    assert [o.key for o in parse_list_page(no_size, 200).objects] == ["Lab Results/John Smith.txt", "a+b.txt"]
    tree = spaces.replace(b"<ListBucketResult>", b'<s3:ListBucketResult xmlns:s3="urn:x">').replace(
        b"</ListBucketResult>", b"</s3:ListBucketResult>"
    )
    tree = tree.replace(b"<Contents>", b"<s3:Contents>").replace(b"</Contents>", b"</s3:Contents>")
    assert [o.key for o in parse_list_page(tree, 200).objects] == ["Lab Results/John Smith.txt", "a+b.txt"]
    prefixed = (b'<s3:ListBucketResult xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/"><s3:IsTruncated>false'
                b"</s3:IsTruncated><s3:Contents><s3:Key>k</s3:Key><s3:Size>1</s3:Size></s3:Contents>"
                b"</s3:ListBucketResult>")  # fmt: skip
    assert [o.key for o in parse_list_page(prefixed, 200).objects] == ["k"]
    with pytest.raises(StoreError):
        parse_list_page(b'<!DOCTYPE x [<!ENTITY a "b">]><ListBucketResult/>', 200)


class _NamesAdapter:
    """A stand-in for the engine: knows some given names; reads anything asked as a name as one."""

    known = ("Sofia", "Omar", "Lena", "Jonas")

    def _result(self, name: bool) -> PhiResult:
        from phileak.model import DataCategory

        categories = frozenset({DataCategory.PERSON_NAME}) if name else frozenset()
        return PhiResult(categories, categories, frozenset(), False, (), {}, Severity.INFO, "")

    async def analyse_keys(self, keys: list[str]) -> list[PhiResult]:
        return [self._result(any(name in key for name in self.known)) for key in keys]

    async def analyse_named(self, names: list[str]) -> list[PhiResult]:
        return [self._result(True) for _ in names]


def _key_scan(keys: list[str]) -> KeyScan:
    from phileak.phi.identity import IdentityHasher
    from phileak.probes.storage.content import PeopleTally

    scan = KeyScan(_NamesAdapter(), PeopleTally(), IdentityHasher(b"k" * 32), "s3://b", "")  # type: ignore[arg-type]

    async def main() -> None:
        for key in keys:
            await scan.offer(ObjectInfo(key, 1))
        await scan.finish()

    asyncio.run(main())
    return scan


def test_name_shapes() -> None:
    assert name_shape("reports/2026-w36/Aisha_Okafor.pdf") == ("W_W", "pdf")
    assert name_shape("Jean-Luc Picard O'Neil.PDF") == ("W W W", "pdf")
    assert name_shape("reports/annual_report.pdf") is None
    assert name_shape("reports/Q3_2026.pdf") is None
    assert name_shape("a/B.pdf") is None


def test_keys_shaped_like_the_bucket_s_patient_names_are_read_as_names() -> None:
    known = [f"r/{w}/{given}_Okafor.pdf" for w in range(3) for given in _NamesAdapter.known]  # 12 named
    unknown = ["r/0/Aisha_Mbeki.pdf", "r/1/Priya_Haddad.pdf"]
    scan = _key_scan(known + unknown)
    assert scan.log.count == 14 and scan.names_by_shape == 2

    # the shape must be the bucket's rule (80 %), not a coincidence
    mostly_other = known[:4] + [f"docs/Board_Minutes_{i}.pdf" for i in range(2)] + [
        f"docs/Annual_Report{i}.pdf" for i in "ABCDEFGH"
    ]  # fmt: skip
    scan = _key_scan(mostly_other)
    assert scan.names_by_shape == 0 and scan.log.count == 4


async def test_objects_are_read_in_chunks_bounded_by_count_and_listed_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanning, "READ_BATCH", 4)
    monkeypatch.setattr(scanning, "READ_BATCH_BYTES", 1000)
    sizes = [100, 100, 100, 100, 100, 900, 5000, None, 10, 10]
    objects = [ObjectInfo(f"k{i}", size) for i, size in enumerate(sizes)]
    chunks = [[o.key for o in chunk] async for chunk in chunked(objects, cap=2000)]
    # four by count; 100 + 900 fits; 5000 is counted as the 2000 read cap, over the budget: alone; an unknown
    # size counts as the cap too
    assert chunks == [["k0", "k1", "k2", "k3"], ["k4", "k5"], ["k6"], ["k7"], ["k8", "k9"]]
    assert [o.key for chunk in chunks for o in objects if o.key in chunk] == [o.key for o in objects]


async def test_the_first_chunks_are_smaller() -> None:
    objects = [ObjectInfo(f"k{i}", 10) for i in range(300)]
    sizes = [len(chunk) async for chunk in chunked(objects, cap=2000)]
    assert scanning.FIRST_READ_BATCH < scanning.READ_BATCH == 128
    assert sizes == [16, 32, 64, 128, 60]
