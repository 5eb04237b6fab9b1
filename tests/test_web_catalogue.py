"""Contract of the tracker catalogue (trackers.toml): every row valid, with a decoder module and a sample the
decoder reads; host lookup by subdomain and path; a broken catalogue is a one-line error."""

from __future__ import annotations

import pytest

from phileak.errors import InputError
from phileak.probes.web.catalogue import Catalogue, default_catalogue
from phileak.probes.web.decoders import load_decoder

REQUIRED_VENDORS = {
    "meta-pixel",
    "google-analytics",
    "google-ads",
    "google-floodlight",
    "microsoft-uet",
    "x-pixel",
    "tiktok-pixel",
    "linkedin-insight",
    "snap-pixel",
    "pinterest-tag",
    "hotjar",
    "fullstory",
    "microsoft-clarity",
}


def test_catalogue_covers_the_vendors_of_the_issue() -> None:
    assert {v.id for v in default_catalogue()} >= REQUIRED_VENDORS


@pytest.mark.parametrize("vendor", list(default_catalogue()), ids=lambda v: v.id)
def test_every_row_has_a_decoder_a_sample_and_expectations(vendor: object) -> None:
    from phileak.probes.web.catalogue import Vendor

    assert isinstance(vendor, Vendor)
    assert callable(load_decoder(vendor.decoder))
    assert vendor.sample.expect, f"{vendor.id}: the sample names no field to expect"
    assert vendor.docs.startswith("https://")
    sample = vendor.sample.request()
    assert default_catalogue().lookup(sample.host or "", sample.path) == vendor, "the sample is not the vendor's"


def test_session_replay_rows_say_what_they_capture() -> None:
    replay = [v for v in default_catalogue() if v.category == "session-replay"]
    assert {v.id for v in replay} == {"hotjar", "fullstory", "microsoft-clarity"}
    assert all(set(v.captures) == {"keystrokes", "dom"} for v in replay)


@pytest.mark.parametrize(
    ("host", "path", "vendor_id"),
    [
        ("www.facebook.com", "/tr/", "meta-pixel"),
        ("connect.facebook.net", "/en_US/fbevents.js", "meta-pixel"),
        ("region1.google-analytics.com", "/g/collect", "google-analytics"),
        ("metrics.example-health.test", "/g/collect", "google-analytics"),
        ("www.google.com", "/pagead/1p-conversion/123/", "google-ads"),
        ("4321.fls.doubleclick.net", "/activityi;src=1", "google-floodlight"),
        ("bat.bing.com", "/action/0", "microsoft-uet"),
        ("y.clarity.ms", "/collect", "microsoft-clarity"),
        ("analytics.tiktok.com", "/api/v2/pixel", "tiktok-pixel"),
    ],
)
def test_lookup_by_subdomain_and_path(host: str, path: str, vendor_id: str) -> None:
    vendor = default_catalogue().lookup(host, path)
    assert vendor is not None and vendor.id == vendor_id


@pytest.mark.parametrize(
    ("host", "path"),
    [("www.google.com", "/search"), ("notfacebook.com", "/tr/"), ("fonts.gstatic.com", "/s/roboto.woff2")],
)
def test_lookup_misses(host: str, path: str) -> None:
    assert default_catalogue().lookup(host, path) is None


def test_hostnames_list_concrete_hosts_for_a_lab() -> None:
    names = default_catalogue().hostnames()
    assert "facebook.com" in names and "bat.bing.com" in names
    assert not any(name.startswith("*") for name in names)


ROW = """
[[vendor]]
id = "{id}"
name = "X"
vendor = "X"
category = "{category}"
hosts = ["x.test"]
decoder = "generic"
docs = "https://x.test/docs"
[vendor.sample]
url = "https://x.test/p?a=1"
[vendor.sample.expect]
a = "other"
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not = [toml", "not valid TOML"),
        ("title = 'no vendors'", r"no \[\[vendor\]\] rows"),
        (ROW.format(id="x", category="nonsense"), "vendor x: category"),
        (ROW.format(id="x", category="analytics") * 2, "duplicate vendor ids x"),
        (ROW.format(id="Bad Id", category="analytics"), "vendor Bad Id: id"),
    ],
)
def test_broken_catalogue_is_a_one_line_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        Catalogue.from_toml(text, "test.toml")
    assert "\n" not in str(caught.value)


def test_a_valid_custom_catalogue_loads() -> None:
    catalogue = Catalogue.from_toml(ROW.format(id="x", category="analytics"))
    assert len(catalogue) == 1 and catalogue.lookup("a.x.test") == catalogue["x"]
