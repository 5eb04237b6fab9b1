"""The capture model every capture fills: header names, body decoding under a cap, cookies, registrable domains."""

from __future__ import annotations

import ctypes
import gzip
import zlib

import pytest

from phileak.probes.web.body_codec import brotli_available, decode_body
from phileak.probes.web.capture_model import CapturedRequest, CapturedResponse, CaptureSession, parse_cookie_header
from phileak.probes.web.domains import registrable_domain, same_site

BODY = b'{"event":"SubmitForm","context":{"page":{"url":"https://www.example-health.test/book"}}}'


def brotli_compress(data: bytes) -> bytes:
    encoder = ctypes.CDLL("libbrotlienc.so.1")
    out = ctypes.create_string_buffer(len(data) + 1024)
    size = ctypes.c_size_t(len(out))
    assert encoder.BrotliEncoderCompress(11, 22, 0, ctypes.c_size_t(len(data)), data, ctypes.byref(size), out)
    return out.raw[: size.value]


def test_build_lowercases_headers_and_reads_cookies_from_the_cookie_header() -> None:
    req = CapturedRequest.build(
        "https://www.facebook.com/tr/?id=1&ev=PageView",
        method="post",
        headers={"Content-Type": "text/plain; charset=utf-8", "Cookie": "c_user=100; xs=abc%3D; fr=x=y"},
    )
    assert req.method == "POST"
    assert req.header("content-type") == "text/plain; charset=utf-8"
    assert req.content_type == "text/plain"
    assert req.cookies == (("c_user", "100"), ("xs", "abc%3D"), ("fr", "x=y"))
    assert req.host == "www.facebook.com"
    assert req.path == "/tr/"
    assert req.query_pairs == [("id", "1"), ("ev", "PageView")]


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", lambda b: gzip.compress(b)),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b, wbits=-15)),  # raw deflate, as some servers send
        ("gzip, identity", lambda b: gzip.compress(b)),
    ],
)
def test_body_is_decoded_by_its_content_encoding(encoding: str, encode: object) -> None:
    raw = encode(BODY)  # type: ignore[operator]
    req = CapturedRequest.build("https://x.test/", method="POST", headers={"content-encoding": encoding}, body=raw)
    assert req.body == BODY
    assert req.body_text() is not None and "SubmitForm" in req.body_text()  # type: ignore[operator]


@pytest.mark.skipif(not brotli_available(), reason="libbrotlidec is not installed")
def test_brotli_body_is_decoded_through_the_system_library() -> None:
    req = CapturedRequest.build(
        "https://x.test/", method="POST", headers={"content-encoding": "br"}, body=brotli_compress(BODY)
    )
    assert req.body == BODY
    assert req.body_undecodable is None


def test_gzip_without_a_content_encoding_header_is_decoded_by_its_magic() -> None:
    # Microsoft Clarity's CompressionStream chunks announce themselves only with an Accept header.
    req = CapturedRequest.build(
        "https://k.clarity.ms/collect",
        method="POST",
        headers={"accept": "application/x-clarity-gzip"},
        body=gzip.compress(BODY),
    )
    assert req.body == BODY


def test_decompression_stops_at_the_cap() -> None:
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024))
    req = CapturedRequest.build(
        "https://x.test/", method="POST", headers={"content-encoding": "gzip"}, body=bomb, body_cap=64 * 1024
    )
    assert len(req.body) == 64 * 1024
    assert req.body_truncated


def test_undecodable_body_is_kept_as_sent_and_flagged() -> None:
    result = decode_body(b"not gzip at all", "gzip", 1024)
    assert result.data == b"not gzip at all"
    assert result.undecodable == "gzip"
    unknown = decode_body(b"abc", "zstd", 1024)
    assert unknown.undecodable == "zstd" and unknown.data == b"abc"


def test_repr_never_shows_url_or_body() -> None:
    req = CapturedRequest.build("https://www.facebook.com/tr/?ud[em]=secretvalue", method="POST", body=b"secretbody")
    session = CaptureSession("https://www.example-health.test/?q=secretquery", (req,))
    assert "secret" not in repr(req) and "secret" not in repr(session)
    assert "secret" not in repr(CapturedResponse.build(200, {"set-cookie": "sid=secret"}))


def test_response_set_cookie_names() -> None:
    response = CapturedResponse.build(200, [("Set-Cookie", "_fbp=fb.1.2; Path=/"), ("set-cookie", "fr=abc; Secure")])
    assert response.cookie_names() == ["_fbp", "fr"]


def test_cookie_header_parsing_tolerates_odd_values() -> None:
    assert parse_cookie_header('a=1; b="x y"; ;c; d=') == (("a", "1"), ("b", '"x y"'), ("d", ""))
    assert parse_cookie_header(None) == ()


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("www.facebook.com", "facebook.com"),
        ("region1.google-analytics.com", "google-analytics.com"),
        ("portal.example-health.test", "example-health.test"),
        ("www.nhs-trust.nhs.uk", "nhs-trust.nhs.uk"),
        ("clinic.example.co.uk", "example.co.uk"),
        ("hospital-a.github.io", "hospital-a.github.io"),
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("WWW.Example-Health.TEST.", "example-health.test"),
    ],
)
def test_registrable_domain(host: str, site: str) -> None:
    assert registrable_domain(host) == site


def test_same_site_is_by_registrable_domain() -> None:
    assert same_site("www.example-health.test", "analytics.example-health.test")
    assert not same_site("hospital-a.github.io", "hospital-b.github.io")
    assert not same_site("www.example-health.test", "www.facebook.com")
