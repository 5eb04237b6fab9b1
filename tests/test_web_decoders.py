"""Vendor decoders on their catalogue samples and on realistic payloads (shared/reference/web-trackers.md):
GET and POST pixels, FormData beacons, batched GA4 lines, gzip bodies, Clarity chunks, JSON inside parameters."""

from __future__ import annotations

import gzip
import hashlib
import json
from urllib.parse import quote, urlencode

import pytest

from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.catalogue import default_catalogue
from phileak.probes.web.decoders import DecodedField, Meaning, decode_request, load_decoder

EMAIL_HASH = hashlib.sha256(b"jane.doe@example.com").hexdigest()
PHONE_HASH = hashlib.sha256(b"15550100123").hexdigest()
PAGE = "https://www.example-health.test/conditions/type-2-diabetes"


def by_name(fields: list[DecodedField]) -> dict[str, DecodedField]:
    return {f.name: f for f in fields}


def decode(vendor_id: str, req: CapturedRequest) -> dict[str, DecodedField]:
    vendor = default_catalogue()[vendor_id]
    return by_name(decode_request(req, vendor.decoder))


@pytest.mark.parametrize("vendor_id", [v.id for v in default_catalogue()])
def test_each_decoder_reads_its_catalogue_sample(vendor_id: str) -> None:
    vendor = default_catalogue()[vendor_id]
    fields = by_name(decode_request(vendor.sample.request(), vendor.decoder))
    for name, meaning in vendor.sample.expect.items():
        assert name in fields, f"{vendor_id}: {name} not decoded"
        assert fields[name].meaning is meaning, f"{vendor_id}: {name} is {fields[name].meaning}"
        assert fields[name].decoder == vendor.decoder


def test_meta_pixel_get_with_advanced_matching_and_custom_data() -> None:
    query = urlencode(
        {
            "id": "1",
            "ev": "Lead",
            "dl": PAGE,
            "rl": "https://www.example-health.test/",
            "ud[em]": EMAIL_HASH,
            "ud[ph]": PHONE_HASH,
            "ud[fn]": hashlib.sha256(b"jane").hexdigest(),
            "udff[db]": hashlib.sha256(b"19800131").hexdigest(),
            "cd[search_string]": "insulin pump",
            "cd[content_name]": "Diabetes care",
        }
    )
    fields = decode("meta-pixel", CapturedRequest.build(f"https://www.facebook.com/tr/?{query}"))
    assert fields["ud[em]"].meaning is Meaning.EMAIL and fields["ud[em]"].hashed
    assert fields["ud[em]"].value == EMAIL_HASH
    assert fields["ud[ph]"].meaning is Meaning.PHONE
    assert fields["ud[fn]"].meaning is Meaning.FIRST_NAME
    assert fields["udff[db]"].meaning is Meaning.DATE_OF_BIRTH
    assert fields["cd[search_string]"].meaning is Meaning.SEARCH_TERM and not fields["cd[search_string]"].hashed
    assert fields["cd[content_name]"].meaning is Meaning.CONTENT
    assert fields["dl"].value == PAGE and fields["dl"].location == "query"


def test_meta_pixel_post_form_body() -> None:
    body = urlencode({"id": "1", "ev": "SubmitApplication", "dl": PAGE, "ud[em]": EMAIL_HASH})
    req = CapturedRequest.build(
        "https://www.facebook.com/tr/",
        method="POST",
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=body,
    )
    fields = decode("meta-pixel", req)
    assert fields["ud[em]"].location == "body" and fields["ud[em]"].hashed
    assert fields["ev"].meaning is Meaning.EVENT


def test_meta_pixel_formdata_beacon() -> None:
    boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
    parts = [("id", "1"), ("ev", "Schedule"), ("dl", PAGE), ("ud[em]", EMAIL_HASH)]
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in parts)
    body += f"--{boundary}--\r\n"
    req = CapturedRequest.build(
        "https://www.facebook.com/tr/",
        method="POST",
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        body=body,
    )
    fields = decode("meta-pixel", req)
    assert fields["ud[em]"].value == EMAIL_HASH and fields["ud[em]"].meaning is Meaning.EMAIL
    assert fields["dl"].value == PAGE


def test_meta_pixel_batched_lines_and_json_batch() -> None:
    lines = "\n".join(urlencode({"ev": ev, "dl": PAGE, "ud[em]": EMAIL_HASH}) for ev in ("PageView", "Lead"))
    req = CapturedRequest.build("https://www.facebook.com/tr/", method="POST", body=lines)
    assert decode("meta-pixel", req)["ud[em]"].meaning is Meaning.EMAIL
    capi = {
        "data": [
            {
                "event_name": "Lead",
                "event_source_url": PAGE,
                "user_data": {"em": [EMAIL_HASH]},
                "custom_data": {"content_name": "IVF consult"},
            }
        ]
    }
    req = CapturedRequest.build(
        "https://graph.facebook.com/v19.0/1/events",
        method="POST",
        headers={"content-type": "application/json"},
        body=json.dumps(capi),
    )
    fields = decode("meta-pixel", req)
    assert fields["user_data.em[0]"].meaning is Meaning.EMAIL and fields["user_data.em[0]"].hashed
    assert fields["event_source_url"].meaning is Meaning.PAGE_URL
    assert fields["custom_data.content_name"].meaning is Meaning.CONTENT


def test_ga4_batched_post_lines_and_user_provided_data() -> None:
    query = urlencode(
        {
            "v": "2",
            "tid": "G-X",
            "cid": "1.2",
            "dl": PAGE,
            "dt": "Type 2 diabetes",
            "em": f"tv.1~em.{EMAIL_HASH}~pn.{PHONE_HASH}~fn0.abc~pc0.94110~co0.us",
        }
    )
    body = "en=page_view&_et=10\nen=search&ep.search_term=metformin%20dose&epn.value=3\nen=login&up.plan=gold"
    req = CapturedRequest.build(f"https://region1.google-analytics.com/g/collect?{query}", method="POST", body=body)
    fields = decode("google-analytics", req)
    assert fields["em.em"].meaning is Meaning.EMAIL and fields["em.em"].hashed
    assert fields["em.pn"].meaning is Meaning.PHONE
    assert fields["em.pc0"].meaning is Meaning.ZIP and not fields["em.pc0"].hashed
    assert fields["dl"].meaning is Meaning.PAGE_URL and fields["dt"].meaning is Meaning.PAGE_TITLE
    assert fields["ep.search_term"].value == "metformin dose"
    assert fields["ep.search_term"].location == "body"
    assert fields["epn.value"].meaning is Meaning.EVENT_PARAM
    assert fields["up.plan"].meaning is Meaning.USER_PROPERTY
    events = [f.value for f in decode_request(req, "ga4") if f.name == "en"]
    assert events == ["page_view", "search", "login"]


def test_ga4_on_any_host_through_a_tagging_server() -> None:
    vendor = default_catalogue().lookup("sgtm.other-vendor.test", "/g/collect")
    assert vendor is not None and vendor.id == "google-analytics"


def test_ga4_gzip_post_body() -> None:
    body = gzip.compress(b"en=view_item&ep.item_name=HIV%20self-test%20kit")
    req = CapturedRequest.build(
        "https://www.google-analytics.com/g/collect?v=2&tid=G-X",
        method="POST",
        headers={"content-encoding": "gzip"},
        body=body,
    )
    fields = decode("google-analytics", req)
    assert fields["ep.item_name"].value == "HIV self-test kit"


def test_universal_analytics_hit() -> None:
    query = urlencode(
        {
            "v": "1",
            "t": "event",
            "ec": "appointment",
            "ea": "booked",
            "el": "oncology",
            "dp": "/book/confirm",
            "cd3": "new-patient",
        }
    )
    fields = decode("google-analytics", CapturedRequest.build(f"https://www.google-analytics.com/collect?{query}"))
    assert fields["ea"].meaning is Meaning.EVENT and fields["el"].meaning is Meaning.EVENT_PARAM
    assert fields["cd3"].meaning is Meaning.CUSTOM_DATA


def test_floodlight_path_parameters() -> None:
    url = (
        "https://123.fls.doubleclick.net/activityi;src=123;type=book;cat=appt0;u2=psychiatry;ord=9;"
        f"~oref={quote(PAGE, safe='')}?"
    )
    fields = decode("google-floodlight", CapturedRequest.build(url))
    assert fields["u2"].value == "psychiatry" and fields["u2"].meaning is Meaning.CUSTOM_DATA
    assert fields["~oref"].value == PAGE and fields["~oref"].meaning is Meaning.PAGE_URL


def test_bing_uet_page_fields() -> None:
    query = urlencode(
        {
            "ti": "1",
            "evt": "custom",
            "ea": "search",
            "el": "hiv clinic",
            "p": PAGE,
            "tl": "HIV",
            "kw": "hiv,prep",
            "r": "https://www.example-health.test/",
            "page_path": "/conditions/hiv",
        }
    )
    fields = decode("microsoft-uet", CapturedRequest.build(f"https://bat.bing.com/action/0?{query}"))
    assert fields["p"].meaning is Meaning.PAGE_URL and fields["page_path"].meaning is Meaning.PAGE_URL
    assert fields["tl"].meaning is Meaning.PAGE_TITLE and fields["kw"].meaning is Meaning.KEYWORDS
    assert fields["r"].meaning is Meaning.REFERRER and fields["evt"].meaning is Meaning.EVENT


def test_x_pixel_events_json_and_document_href() -> None:
    events = json.dumps([["pageview", {}], ["lead", {"email": EMAIL_HASH, "phone_number": PHONE_HASH}]])
    query = urlencode({"txn_id": "o1", "tw_document_href": PAGE, "tw_iframe_status": "0", "events": events})
    fields = decode("x-pixel", CapturedRequest.build(f"https://analytics.twitter.com/i/adsct?{query}"))
    assert fields["tw_document_href"].meaning is Meaning.PAGE_URL
    assert fields["events[1][1].email"].meaning is Meaning.EMAIL and fields["events[1][1].email"].hashed
    assert fields["events[1][1].phone_number"].meaning is Meaning.PHONE
    assert fields["events[0][0]"].meaning is Meaning.EVENT


def test_tiktok_batch_keeps_per_event_names() -> None:
    event = {
        "event": "SubmitForm",
        "context": {"page": {"url": PAGE}, "user": {"email": EMAIL_HASH}},
        "properties": {"query": "ozempic"},
    }
    req = CapturedRequest.build(
        "https://analytics.tiktok.com/api/v2/pixel/batch",
        method="POST",
        headers={"content-type": "application/json"},
        body=json.dumps({"batch": [event]}),
    )
    fields = decode("tiktok-pixel", req)
    assert fields["context.user.email"].meaning is Meaning.EMAIL and fields["context.user.email"].hashed
    assert fields["context.page.url"].value == PAGE
    assert fields["properties.query"].meaning is Meaning.SEARCH_TERM


def test_linkedin_json_post() -> None:
    body = json.dumps({"pids": [1], "pageUrl": PAGE, "referrer": "", "email_sha256": EMAIL_HASH})
    req = CapturedRequest.build(
        "https://px.ads.linkedin.com/wa/", method="POST", headers={"content-type": "application/json"}, body=body
    )
    fields = decode("linkedin-insight", req)
    assert fields["pageUrl"].meaning is Meaning.PAGE_URL
    assert fields["email_sha256"].meaning is Meaning.EMAIL and fields["email_sha256"].hashed


def test_clarity_gzip_chunk_and_final_beacon() -> None:
    payload = {
        "e": ["0.7", 3, 0, 900, "proj", "user", "sess", 1, 0, 0, 0, PAGE],
        "a": [[10, 1, 1, [PAGE], 3, ["Type 2 diabetes"]]],
        "p": [[20, 27, 44, "my metformin dose is 500mg"], [30, 6, 45, "DIV", "Your lab results"]],
    }
    raw = json.dumps(payload).encode()
    chunk = CapturedRequest.build(
        "https://x.clarity.ms/collect",
        method="POST",
        headers={"accept": "application/x-clarity-gzip"},
        body=gzip.compress(raw),
    )
    beacon = CapturedRequest.build("https://x.clarity.ms/collect", method="POST", resource_type="ping", body=raw)
    for req in (chunk, beacon):
        fields = decode("microsoft-clarity", req)
        assert fields["e[11]"].meaning is Meaning.PAGE_URL
        assert fields["a[0][3][0]"].meaning is Meaning.PAGE_URL
        assert fields["a[0][5][0]"].meaning is Meaning.PAGE_TITLE
        assert fields["p[0][3]"].meaning is Meaning.KEYSTROKES and "metformin" in fields["p[0][3]"].value
        assert fields["p[1][4]"].meaning is Meaning.DOM


def test_hotjar_websocket_message() -> None:
    message = json.dumps({"type": "recording", "data": {"input": {"value": "sertraline 50mg"}, "url": PAGE}})
    req = CapturedRequest.build(
        "wss://ws.hotjar.com/api/v2/client/ws", body=message, is_websocket_message=True, direction="sent"
    )
    fields = decode("hotjar", req)
    assert fields["data.input.value"].meaning is Meaning.KEYSTROKES
    assert fields["data.input.value"].location == "websocket"
    assert fields["data.url"].meaning is Meaning.PAGE_URL


def test_fullstory_gzip_bundle() -> None:
    bundle = {"Seq": 2, "Evts": [{"When": 1, "Kind": 3, "Args": ["input#dob", "1980-01-31"]}], "PageUrl": PAGE}
    req = CapturedRequest.build(
        "https://rs.fullstory.com/rec/bundle?OrgId=o-1&UserId=2",
        method="POST",
        body=gzip.compress(json.dumps(bundle).encode()),
    )
    fields = decode("fullstory", req)
    assert fields["Evts[0].Args[1]"].meaning is Meaning.DOM and fields["Evts[0].Args[1]"].value == "1980-01-31"
    assert fields["PageUrl"].meaning is Meaning.PAGE_URL


def test_snap_and_pinterest_identity_fields() -> None:
    snap = CapturedRequest.build(
        "https://tr.snapchat.com/p", method="POST", body=urlencode({"ev": "PURCHASE", "pl": PAGE, "u_hem": EMAIL_HASH})
    )
    assert decode("snap-pixel", snap)["u_hem"].meaning is Meaning.EMAIL
    pd = quote(json.dumps({"em": EMAIL_HASH}))
    pinterest = CapturedRequest.build(f"https://ct.pinterest.com/v3/?event=checkout&tid=1&pd={pd}")
    assert decode("pinterest-tag", pinterest)["pd.em"].hashed


def test_generic_decoder_reads_unknown_third_parties() -> None:
    body = json.dumps({"visitor": {"contact": {"email": "jane.doe@example.com"}}, "page": {"url": PAGE}})
    req = CapturedRequest.build(
        "https://collect.unknown-vendor.test/v1/t?meta=%7B%22title%22%3A%22HIV%20testing%22%7D&sid=9",
        method="POST",
        headers={
            "content-type": "application/json",
            "referer": PAGE,
            "x-visitor-id": "v-77",
            "cookie": "vid=123",
            "user-agent": "Mozilla/5.0",
        },
        body=body,
    )
    fields = by_name(decode_request(req))
    assert fields["visitor.contact.email"].meaning is Meaning.EMAIL
    assert fields["page.url"].meaning is Meaning.PAGE_URL
    assert fields["meta.title"].meaning is Meaning.PAGE_TITLE and fields["meta.title"].value == "HIV testing"
    assert fields["referer"].location == "header" and fields["referer"].meaning is Meaning.REFERRER
    assert fields["x-visitor-id"].meaning is Meaning.HEADER
    assert fields["vid"].location == "cookie"
    assert "user-agent" not in fields
    assert all(f.decoder == "generic" for f in fields.values())


def test_vendor_fields_win_over_generic_duplicates() -> None:
    req = CapturedRequest.build(f"https://www.facebook.com/tr/?ev=Lead&ud%5Bem%5D={EMAIL_HASH}")
    fields = decode_request(req, "meta_pixel")
    assert [f.decoder for f in fields if f.name == "ud[em]"] == ["meta_pixel"]


def test_unstructured_and_binary_bodies() -> None:
    text = CapturedRequest.build(
        "https://x.test/", method="POST", headers={"content-type": "text/plain"}, body="free text with spaces"
    )
    assert by_name(decode_request(text))["body"].value == "free text with spaces"
    binary = CapturedRequest.build("https://x.test/", method="POST", body=bytes(range(256)))
    assert [f for f in decode_request(binary) if f.location == "body"] == []


def test_decoded_field_repr_hides_the_value() -> None:
    field = DecodedField("ud[em]", Meaning.EMAIL, EMAIL_HASH, "query", hashed=True)
    assert EMAIL_HASH not in repr(field)


def test_load_decoder_refuses_unknown_names() -> None:
    with pytest.raises(ValueError, match="no decoder module"):
        load_decoder("no_such_vendor")
    with pytest.raises(ValueError, match="not a decoder name"):
        load_decoder("../etc")
