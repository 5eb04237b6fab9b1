"""The third-party gate (probes/web/gate.py) and the resolver rules that send the browser to it, without a browser:
raw HTTP/1.1 clients and local upstreams on 127.0.0.1 (the suite runs in a network namespace with only `lo`).
The browser's side is in tests/test_web_browser.py (the crawl runs through the gate)."""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from phileak.probes.web import gate as gate_module
from phileak.probes.web import gate_upstream, gate_wire
from phileak.probes.web.gate import Gate
from phileak.probes.web.hostrules import NOT_FOUND, build_host_rules
from phileak.probes.web.routing import ANSWERED_HEADER, RoutingPolicy, ThirdPartyMode, first_party_domains
from phileak.scope import Resolver, Scope

SITE = "www.hospital.test"


def _policy(resolve: list[str], rules: list[str] | None = None, mode: ThirdPartyMode = ThirdPartyMode.BLOCK):
    scope = Scope.from_rules(rules or [SITE, "127.0.0.1/32"])
    return RoutingPolicy(scope, first_party_domains([SITE]), Resolver.parse(resolve), mode)


# ---------------------------------------------------------------- which scopes the gate serves, and its rules


def test_the_gate_applies_to_hostname_and_address_scopes_in_block_mode_only() -> None:
    assert _policy([]).gate_applies()
    assert _policy([], [f"https://{SITE}/", SITE]).gate_applies()  # the URL rule's host is allowed anyway
    assert not _policy([], [f"https://{SITE}/patients/"]).gate_applies()  # each URL needs its own decision
    assert not _policy([], mode=ThirdPartyMode.SCRIPTS).gate_applies()
    assert not _policy([], mode=ThirdPartyMode.ALLOW).gate_applies()


async def test_gated_rules_pin_in_scope_names_and_send_every_other_name_to_the_gate() -> None:
    scope = Scope.from_rules([SITE, "*.cdn.hospital.test", "198.51.100.0/30"])
    resolver = Resolver.parse([f"{SITE}=198.51.100.1", "www.facebook.com=198.51.100.2"])
    rules = await build_host_rules(scope, resolver, start_hosts=[SITE], gate=(8080, 8443))
    text = rules.rules
    assert f"MAP {SITE} 198.51.100.1" in text
    assert "www.facebook.com" not in text  # a pinned third party is forwarded by the gate, not resolved
    order = [text.index(rule) for rule in ("MAP *:80 127.0.0.1:8080", "MAP *:443 127.0.0.1:8443", "MAP * ~NOTFOUND")]
    assert order == sorted(order)
    assert "EXCLUDE *.cdn.hospital.test" in text and "EXCLUDE 198.51.100.1" in text
    assert rules.resolvable(SITE) and rules.resolvable("img.cdn.hospital.test")
    assert not rules.resolvable("www.facebook.com")  # the gate decides (and counts) those requests
    assert not rules.resolvable("staff.hospital.test")


async def test_with_a_catch_all_pin_in_scope_wildcards_map_to_it_and_the_rest_to_the_gate() -> None:
    scope = Scope.from_rules(["*.lab-hospital.test", "127.0.0.1/32"])
    rules = await build_host_rules(scope, Resolver.parse(["*=127.0.0.1"]), start_hosts=["care.lab-hospital.test"],
                                   gate=(1, 2))  # fmt: skip
    assert ("care.lab-hospital.test", "127.0.0.1") in rules.pins
    assert ("*.lab-hospital.test", "127.0.0.1") in rules.pins
    assert rules.catch_all == NOT_FOUND and "MAP *:443 127.0.0.1:2" in rules.rules
    assert "EXCLUDE *.lab-hospital.test" not in rules.rules  # EXCLUDE would bypass the pin


# ---------------------------------------------------------------- the gate over HTTP


@dataclass
class Upstream:
    """A local server standing in for a pinned tracker: records requests, answers with `answer`."""

    answer: Callable[[bytes], Awaitable[bytes]]
    requests: list[bytes] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self) -> Upstream:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)  # fmt: skip
                request = head + (await reader.readexactly(length) if length else b"")
                self.requests.append(request)
                writer.write(await self.answer(request))
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
        return self

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


def _fixed(answer: bytes) -> Callable[[bytes], Awaitable[bytes]]:
    async def reply(_request: bytes) -> bytes:
        return answer

    return reply


@pytest_asyncio.fixture
async def gate() -> AsyncIterator[Gate]:
    async with Gate(_policy(["www.facebook.com=127.0.0.1", "evil.test=192.0.2.1"]), insecure=True) as started:
        yield started


async def _exchange(port: int, raw: bytes, *, tls: bool = False, reads: int = 1) -> list[bytes]:
    """Send `raw` (one or more requests) and read `reads` answers (each up to its body)."""
    context = None
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context,
                                                   server_hostname="www.facebook.com" if tls else None)  # fmt: skip
    writer.write(raw)
    answers = []
    try:
        for _ in range(reads):
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)  # fmt: skip
            answers.append(head + (await reader.readexactly(length) if length else b""))
    finally:
        writer.close()
    return answers


def _headers(answer: bytes) -> dict[str, str]:
    lines = answer.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]
    return {k.decode().lower(): v.decode().strip() for k, v in (line.split(b":", 1) for line in lines)}


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


async def test_an_unpinned_third_party_is_answered_locally_with_cors_on_a_kept_alive_connection(gate: Gate) -> None:
    plain, _ = gate.ports
    preflight = (b"OPTIONS /collect HTTP/1.1\r\nHost: www.google-analytics.com\r\nOrigin: https://www.hospital.test"
                 b"\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n")
    post = (b"POST /collect HTTP/1.1\r\nHost: www.google-analytics.com\r\nOrigin: https://www.hospital.test\r\n"
            b"Content-Length: 11\r\n\r\nem=a%40b.cd")  # fmt: skip
    first, second = await _exchange(plain, preflight + post, reads=2)
    assert _status(first) == 204 and _status(second) == 204
    cors = _headers(first)
    assert cors["access-control-allow-origin"] == "https://www.hospital.test"
    assert cors["access-control-allow-methods"] == "POST"
    assert cors["access-control-allow-headers"] == "content-type"
    assert _headers(second)[ANSWERED_HEADER] == "answered-locally"
    assert gate.answered_locally == 2 and gate.forwarded == 0


async def test_a_first_party_name_outside_the_scope_is_refused_and_counted(gate: Gate) -> None:
    plain, tls = gate.ports
    image = b"GET /logo.png?x=1 HTTP/1.1\r\nHost: staff.hospital.test\r\nSec-Fetch-Dest: image\r\n\r\n"
    [answer] = await _exchange(tls, image, tls=True)
    assert _status(answer) == 403 and _headers(answer)[ANSWERED_HEADER] == "refused"
    page = b"GET /intranet HTTP/1.1\r\nHost: staff.hospital.test\r\nSec-Fetch-Dest: document\r\n\r\n"
    [answer] = await _exchange(tls, page, tls=True)
    assert _status(answer) == 204  # a navigation: the browser stays where it was
    plain_page = (b"GET /old HTTP/1.1\r\nHost: staff.hospital.test\r\nUpgrade-Insecure-Requests: 1\r\n"
                  b"Accept: text/html,*/*\r\n\r\n")  # fmt: skip
    [answer] = await _exchange(plain, plain_page)
    assert _status(answer) == 204
    assert gate.refused == {"https://staff.hospital.test/logo.png": 1, "https://staff.hospital.test/intranet": 1,
                            "http://staff.hospital.test/old": 1}  # fmt: skip


async def test_a_main_frame_navigation_to_a_third_party_is_refused_even_when_pinned(gate: Gate) -> None:
    _, tls = gate.ports
    popup = b"GET /popup HTTP/1.1\r\nHost: www.facebook.com\r\nSec-Fetch-Dest: document\r\n\r\n"
    [answer] = await _exchange(tls, popup, tls=True)
    assert _status(answer) == 204 and gate.refused == {"https://www.facebook.com/popup": 1} and gate.forwarded == 0


async def test_a_pinned_third_party_inside_the_scope_is_forwarded_and_its_answer_relayed(gate: Gate) -> None:
    packed = gzip.compress(b"fbq('init')")
    upstream = await Upstream(_fixed(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/javascript\r\nContent-Encoding: gzip\r\nSet-Cookie: fr=1\r\n"
        b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(packed), packed))).start()  # fmt: skip
    try:
        plain, _ = gate.ports
        request = (b"POST /tr?id=1 HTTP/1.1\r\nHost: www.facebook.com:%d\r\nCookie: fr=0\r\nContent-Length: 9\r\n"
                   b"Connection: keep-alive\r\nSec-Fetch-Dest: empty\r\n\r\nev=Lead&x" % upstream.port)  # fmt: skip
        [answer] = await _exchange(plain, request)
        port = upstream.port
    finally:
        upstream.close()
    assert _status(answer) == 200
    headers = _headers(answer)
    assert headers["content-encoding"] == "gzip" and headers["set-cookie"] == "fr=1"
    assert gzip.decompress(answer.split(b"\r\n\r\n", 1)[1]) == b"fbq('init')"  # relayed as the upstream sent it
    [sent] = upstream.requests
    assert sent.startswith(b"POST /tr?id=1 HTTP/1.1\r\n") and sent.endswith(b"\r\n\r\nev=Lead&x")
    assert b"cookie: fr=0" in sent.lower() and b"host: www.facebook.com:%d" % port in sent.lower()
    assert gate.forwarded == 1


async def test_a_kept_alive_upstream_that_closed_in_between_is_dialled_again(gate: Gate) -> None:
    upstream = await Upstream(_fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")).start()  # then closes
    try:
        one = b"GET /a HTTP/1.1\r\nHost: www.facebook.com:%d\r\n\r\n" % upstream.port
        answers = await _exchange(gate.ports[0], one + one.replace(b"/a", b"/b"), reads=2)
        assert [_status(a) for a in answers] == [200, 200] and all(a.endswith(b"ok") for a in answers)
        assert [r.split(b" ")[1] for r in upstream.requests] == [b"/a", b"/b"]
    finally:
        upstream.close()


async def test_a_name_pinned_outside_the_scope_is_never_contacted(gate: Gate) -> None:
    plain, _ = gate.ports
    [answer] = await _exchange(plain, b"GET /x HTTP/1.1\r\nHost: evil.test\r\n\r\n")
    assert _status(answer) == 204 and _headers(answer)[ANSWERED_HEADER] == "answered-locally"
    assert gate.forwarded == 0


async def test_a_websocket_to_a_pinned_tracker_is_tunnelled_both_ways(gate: Gate) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
        writer.write(b"echo:" + head.split(b"\r\n")[0] + b"|" + await reader.readexactly(5))
        await writer.drain()
        writer.close()

    upstream = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = upstream.sockets[0].getsockname()[1]
    plain, _ = gate.ports
    reader, writer = await asyncio.open_connection("127.0.0.1", plain)
    writer.write(b"GET /ws HTTP/1.1\r\nHost: www.facebook.com:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" % port + b"hello")
    received = await asyncio.wait_for(reader.read(-1), 10)
    writer.close()
    upstream.close()
    assert received.startswith(b"HTTP/1.1 101")
    assert received.endswith(b"echo:GET /ws HTTP/1.1|hello")
    assert gate.forwarded == 1


async def test_the_tls_port_presents_the_key_chromium_is_told_to_accept(gate: Gate) -> None:
    _, tls = gate.ports
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    _, writer = await asyncio.open_connection("127.0.0.1", tls, ssl=context, server_hostname="www.clarity.ms")
    der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    writer.close()
    spki = x509.load_der_x509_certificate(der).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert base64.b64encode(hashlib.sha256(spki).digest()).decode() == gate.spki
    plain, tls = gate.ports
    assert gate.browser_flags() == (
        f"--ignore-certificate-errors-spki-list={gate.spki}",
        f"--ip-address-space-overrides=127.0.0.1:{plain}=public,127.0.0.1:{tls}=public",
    )


# ---------------------------------------------------------------- hostile browsers and upstreams


async def test_garbage_an_oversized_head_and_a_silent_client_each_cost_one_connection(
    gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate_module, "IDLE_TIMEOUT_S", 0.5)
    plain, tls = gate.ports
    oversized = b"GET / HTTP/1.1\r\nHost: a.test\r\nX: " + b"a" * 200_000 + b"\r\n\r\n"
    for raw in (b"\x16\x03\x01garbage\r\n\r\n", oversized):
        reader, writer = await asyncio.open_connection("127.0.0.1", plain)
        writer.write(raw)
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            assert int(head.split(b" ")[1]) >= 400  # h11 may answer 400 before closing
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        writer.close()
    reader, writer = await asyncio.open_connection("127.0.0.1", tls)  # no TLS handshake, nothing at all
    writer.write(b"GET")
    assert await asyncio.wait_for(reader.read(), 15) == b""
    writer.close()
    [answer] = await _exchange(plain, b"GET /still HTTP/1.1\r\nHost: www.tiktok.com\r\n\r\n")
    assert _status(answer) == 204  # the gate goes on serving


async def test_a_hanging_or_huge_upstream_is_a_502_for_that_request_only(
    gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate_module, "FORWARD_TIMEOUT_S", 0.5)
    monkeypatch.setattr(gate_upstream, "MAX_ANSWER_BYTES", 1000)

    async def hang(_request: bytes) -> bytes:
        await asyncio.sleep(30)
        return b""

    async def huge(_request: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000

    plain, _ = gate.ports
    for answer_with in (hang, huge):
        upstream = await Upstream(answer_with).start()
        try:
            request = b"GET /fbevents.js HTTP/1.1\r\nHost: www.facebook.com:%d\r\n\r\n" % upstream.port
            [answer] = await _exchange(plain, request)
        finally:
            upstream.close()
        assert _status(answer) == 502 and _headers(answer)[ANSWERED_HEADER] == "forward-failed"
    [answer] = await _exchange(plain, b"GET /x HTTP/1.1\r\nHost: www.tiktok.com\r\n\r\n")
    assert _status(answer) == 204


async def test_the_gate_keeps_what_it_saw_for_the_capture_to_take_once(
    gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate_module, "MAX_BODY_BYTES", 8)
    plain, _ = gate.ports
    beacon = (b"POST /tr/blob HTTP/1.1\r\nHost: analytics.tiktok.com\r\nCookie: c_user=100001\r\n"
              b"Content-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"ev\":\"Blob\"}   ")  # fmt: skip
    await _exchange(plain, beacon)
    record = gate.take_wire_record("post", "http://analytics.tiktok.com/tr/blob")
    assert record is not None
    assert ("Cookie", "c_user=100001") in record.request_headers  # as on the wire, names as sent
    assert record.body == b'{"ev":"Bl'[:8]  # the capture's body cap
    assert dict(record.answer_headers)[ANSWERED_HEADER] == "answered-locally"
    assert gate.take_wire_record("POST", "http://analytics.tiktok.com/tr/blob") is None  # taken once
    assert gate.wire_records_taken == 1


async def test_records_nobody_takes_are_dropped_oldest_first(gate: Gate, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gate_wire, "MAX_WIRE_RECORDS", 2)
    plain, _ = gate.ports
    for path in (b"/1", b"/2", b"/3"):
        await _exchange(plain, b"GET %s HTTP/1.1\r\nHost: www.tiktok.com\r\n\r\n" % path)
    assert gate.take_wire_record("GET", "http://www.tiktok.com/1") is None
    assert gate.take_wire_record("GET", "http://www.tiktok.com/2") is not None
    assert gate.take_wire_record("GET", "http://www.tiktok.com/3") is not None


async def test_a_record_asked_for_before_it_came_is_never_given_to_a_later_request(
    gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain, _ = gate.ports
    url = "http://www.tiktok.com/pixel?ev=PageView"
    assert gate.take_wire_record("GET", url) is None  # the capture closed its step while the request was on its way
    await _exchange(plain, b"GET /pixel?ev=PageView HTTP/1.1\r\nHost: www.tiktok.com\r\nX-Seq: 1\r\n\r\n")
    await _exchange(plain, b"GET /pixel?ev=PageView HTTP/1.1\r\nHost: www.tiktok.com\r\nX-Seq: 2\r\n\r\n")
    record = gate.take_wire_record("GET", url)
    assert record is not None and ("X-Seq", "2") in record.request_headers  # not the first request's headers
    monkeypatch.setattr(gate_wire, "MAX_WIRE_AGE_S", 0.0)
    await _exchange(plain, b"GET /pixel?ev=PageView HTTP/1.1\r\nHost: www.tiktok.com\r\nX-Seq: 3\r\n\r\n")
    assert gate.take_wire_record("GET", url) is None  # too old to be the request a capture step is asking about
