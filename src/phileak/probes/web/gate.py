"""The third-party gate: the network-level way to apply the routing policy, which keeps the browser's HTTP cache.

Playwright's request interception (`context.route`) turns Chromium's HTTP cache off and pauses every request of
the context for its driver, in-scope ones included; the page loads about 1.5x slower. In the default mode (third
parties answered locally) with a scope of hostnames and addresses, the same decisions can be made below the
browser instead: the resolver rules (hostrules.py) send every name outside the scope, ports 80 and 443, to this
gate on 127.0.0.1, and in-scope names straight to their checked addresses, so in-scope requests never wait.

The gate speaks HTTP/1.1 (h11), plain on one port and TLS on the other, with a certificate made for the session
that Chromium accepts by its key (`--ignore-certificate-errors-spki-list`), for that key only. Each request is
decided by RoutingPolicy.decide, as the router would:

  answer-empty  an empty 204 with the headers a CORS caller needs, as the router answers it (routing.py)
  refuse        a main-frame navigation gets a 204 (the browser stays where it was), anything else a 403;
                counted per URL for the `out-of-scope-refused` finding
  forward       a name pinned by --resolve to an address a CIDR rule allows (the lab's and the tests' local
                trackers): the request is made again to that address, and the answer relayed
                (gate_upstream.py: one kept-alive connection per browser connection; WebSockets tunnelled)

What the page sent is captured from the browser (capture.py), as with the router. The gate keeps each answered
request's wire headers and first MAX_BODY_BYTES of body until the capture takes them (gate_wire.py): third-party
headers then need no round trip to the browser, and a Blob beacon's body, which Chromium's network events leave
out when nothing intercepts, is still captured. Its two ports count as public addresses for Chromium's Local
Network Access, which otherwise blocks a public site's requests to loopback. A name outside the scope on a port
other than 80 or 443 does not resolve (the request is captured, and fails).

Every connection has an idle timeout, headers and bodies have caps, a forwarded request has a wall clock and an
answer cap: a browser that misbehaves, or a local tracker that hangs, costs one request, never the scan.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import functools
import hashlib
import logging
import ssl
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import h11

from phileak.errors import ScopeViolation
from phileak.probes.web.capture_model import MAX_BODY_BYTES, WireRecord
from phileak.probes.web.gate_upstream import (
    MAX_HEADER_BYTES,
    READ_SIZE,
    ClosedEarly,
    TooLarge,
    Upstream,
    UpstreamKey,
    connect,
    pipe,
    text_pairs,
    upstream_key,
)
from phileak.probes.web.gate_wire import WireLog
from phileak.probes.web.hostrules import GATE_ADDRESS
from phileak.probes.web.routing import ANSWERED_HEADER, Decision, RoutingPolicy, local_answer_headers
from phileak.scope import display_url

log = logging.getLogger(__name__)

IDLE_TIMEOUT_S: Final = 30.0
MAX_FORWARDED_BODY_BYTES: Final = 16 * 1024 * 1024
FORWARD_TIMEOUT_S: Final = 30.0
REFUSED: Final = "refused"
_RESOURCE_TYPES: Final = {"script": "script", "style": "stylesheet", "font": "font", "image": "image",
                          "document": "document", "iframe": "document", "frame": "document"}  # fmt: skip


class Gate:
    """Start with `await gate.start()`; `ports` (plain, TLS) go into the resolver rules and `spki` into
    Chromium's flags; `await gate.close()` stops it. `refused` and `answered_locally` count as the router's do."""

    def __init__(self, policy: RoutingPolicy, *, insecure: bool = False) -> None:
        self.policy = policy
        self.insecure = insecure  # certificates of forwarded-to local trackers are not checked
        self.refused: dict[str, int] = {}  # display URL (no query) -> times
        self.answered_locally = 0
        self.forwarded = 0
        self._servers: list[asyncio.Server] = []
        self._connections: set[asyncio.Task[None]] = set()
        self._tls, self.spki = _session_tls()
        self._upstream_tls: ssl.SSLContext | None = None  # made once: loading the CA store takes milliseconds
        self.wire = WireLog()

    @property
    def ports(self) -> tuple[int, int]:
        plain, tls = (server.sockets[0].getsockname()[1] for server in self._servers)
        return plain, tls

    def take_wire_record(self, method: str, url: str) -> WireRecord | None:
        """What the gate saw of the oldest untaken request (method, URL): see gate_wire.WireLog."""
        return self.wire.take(method, url)

    @property
    def wire_records_taken(self) -> int:
        return self.wire.taken

    def browser_flags(self, public: Iterable[str] = ()) -> tuple[str, ...]:
        """Chromium's flags for the gate: accept its session key, and count its two ports as public addresses.
        Without the latter, Local Network Access blocks every request a site on a public address makes to the
        gate (it is on loopback), and the capture sees them fail. `public`: more `address:port`s to count so
        (tests make the local test site look like a public one)."""
        plain, tls = self.ports
        spaces = ",".join(f"{where}=public" for where in (f"{GATE_ADDRESS}:{plain}", f"{GATE_ADDRESS}:{tls}", *public))
        return (f"--ignore-certificate-errors-spki-list={self.spki}", f"--ip-address-space-overrides={spaces}")

    async def start(self) -> Gate:
        for scheme, tls in (("http", None), ("https", self._tls)):
            server = await asyncio.start_server(
                functools.partial(self._accept, scheme=scheme), GATE_ADDRESS, 0, ssl=tls,
                ssl_handshake_timeout=10.0 if tls else None, limit=MAX_HEADER_BYTES,
            )  # fmt: skip
            self._servers.append(server)
        return self

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5.0)

    async def __aenter__(self) -> Gate:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, scheme: str) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            await self._serve(reader, writer, scheme)
        except (OSError, h11.ProtocolError, TimeoutError, TooLarge, ssl.SSLError) as exc:
            log.debug("web gate: connection ended: %s", type(exc).__name__)
        except asyncio.CancelledError:
            pass  # the gate is closing; asyncio's server callback would log a cancelled connection as an error
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 2.0)
            if task is not None:
                self._connections.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, scheme: str) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
        upstream: Upstream | None = None  # this browser connection's forwarding connection, kept alive
        try:
            while True:
                event = await _next_event(conn, reader)
                if not isinstance(event, h11.Request):
                    return  # the browser closed the connection (or sent nothing usable)
                headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in event.headers}
                method = event.method.decode("ascii", "replace").upper()
                url = f"{scheme}://{headers.get('host', '')}{event.target.decode('latin-1')}"
                navigation = _main_frame_navigation(headers)
                decision = self.policy.decide(
                    url,
                    method=method,
                    resource_type=_RESOURCE_TYPES.get(headers.get("sec-fetch-dest", ""), "other"),
                    main_frame_navigation=navigation,
                )
                forward = decision is Decision.FORWARD
                if forward and headers.get("upgrade", "").lower() == "websocket":
                    await self._tunnel(event, url, conn.trailing_data[0], reader, writer)
                    return
                body = await _read_body(conn, reader, keep=MAX_FORWARDED_BODY_BYTES if forward else MAX_BODY_BYTES,
                                        refuse_beyond=forward)  # fmt: skip
                answer: dict[str, str] | list[tuple[str, str]]
                if forward:
                    (status, answer, content), upstream = await self._forward(event, url, body, upstream)
                elif decision is Decision.ANSWER_EMPTY:
                    self.answered_locally += 1
                    status, answer, content = 204, local_answer_headers(method, headers), b""
                else:
                    shown = display_url(url)
                    self.refused[shown] = self.refused.get(shown, 0) + 1
                    status, answer, content = (204 if navigation else 403), {ANSWERED_HEADER: REFUSED}, b""
                pairs = _answer_headers(method, status, answer, content)
                # Kept before the browser can see the answer, so a capture step that has the answer finds it.
                request_headers = tuple(text_pairs(event.headers.raw_items()))
                self.wire.keep(method, url, WireRecord(request_headers, tuple(pairs), body[:MAX_BODY_BYTES]))
                await _respond(conn, writer, method, status, pairs, content)
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        finally:
            if upstream is not None:
                upstream.close()

    async def _forward(
        self, request: h11.Request, url: str, body: bytes, upstream: Upstream | None
    ) -> tuple[tuple[int, list[tuple[str, str]], bytes], Upstream | None]:
        """Make the request again to the address the policy allows, on this browser connection's own upstream
        connection (kept alive); a failure is a 502 for this request. Returns the answer and the upstream."""
        key = upstream_key(url)
        try:
            async with asyncio.timeout(FORWARD_TIMEOUT_S):
                for attempt in range(2):
                    reused = upstream is not None and upstream.key == key and upstream.reusable
                    if not reused:
                        if upstream is not None:
                            upstream.close()
                        upstream = await Upstream.open(self.policy, key, self._upstream_context(key))
                    assert upstream is not None
                    try:
                        answer = await upstream.exchange(request, body)
                        break
                    except ClosedEarly:
                        upstream.close()
                        upstream = None
                        if not reused or attempt:  # only a kept-alive connection the peer had closed is retried
                            raise
        except (OSError, TimeoutError, ScopeViolation, ssl.SSLError, h11.ProtocolError, TooLarge) as exc:
            log.info("web gate: forwarding to %s failed: %s", display_url(url), type(exc).__name__)
            if upstream is not None:
                upstream.close()
            return (502, [(ANSWERED_HEADER, "forward-failed")], b""), None
        self.forwarded += 1
        return answer, upstream

    def _upstream_context(self, key: UpstreamKey) -> ssl.SSLContext | None:
        if not key[2]:
            return None
        if self._upstream_tls is None:
            from phileak.net import tls_context

            self._upstream_tls = tls_context(self.insecure, None)
        return self._upstream_tls

    async def _tunnel(
        self,
        request: h11.Request,
        url: str,
        early: bytes,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        """A forwarded WebSocket: the upgrade request is sent on to the allowed address as it came, and the two
        connections are joined until either side closes or stays idle (the router records the messages)."""
        key = upstream_key(url)
        try:
            async with asyncio.timeout(FORWARD_TIMEOUT_S):
                upstream_reader, upstream_writer = await connect(self.policy, key, self._upstream_context(key))
        except (OSError, TimeoutError, ScopeViolation, ssl.SSLError) as exc:
            log.info("web gate: forwarding a WebSocket to %s failed: %s", display_url(url), type(exc).__name__)
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            return
        self.forwarded += 1
        head = b"%s %s HTTP/1.1\r\n" % (request.method, request.target)
        head += b"".join(b"%s: %s\r\n" % (name, value) for name, value in request.headers.raw_items())
        upstream_writer.write(head + b"\r\n" + early)
        try:
            await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        finally:
            upstream_writer.close()


def _main_frame_navigation(headers: dict[str, str]) -> bool:
    """Chromium's fetch metadata says so; over plain HTTP (no metadata) a navigation asks for HTML upgrades."""
    dest = headers.get("sec-fetch-dest")
    if dest is not None:
        return dest == "document"
    return headers.get("upgrade-insecure-requests") == "1" and "text/html" in headers.get("accept", "")


async def _next_event(conn: h11.Connection, reader: asyncio.StreamReader) -> object:
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        async with asyncio.timeout(IDLE_TIMEOUT_S):
            data = await reader.read(READ_SIZE)
        conn.receive_data(data)
        if not data and conn.their_state is h11.IDLE:
            return h11.ConnectionClosed()


async def _read_body(conn: h11.Connection, reader: asyncio.StreamReader, *, keep: int, refuse_beyond: bool) -> bytes:
    """The request body's first `keep` bytes; more is an error with `refuse_beyond`, else read and dropped."""
    body = bytearray()
    while True:
        event = await _next_event(conn, reader)
        if isinstance(event, h11.Data):
            room = keep - len(body)
            if len(event.data) > room and refuse_beyond:
                raise TooLarge("request body")
            if room > 0:
                body += event.data[:room]
        elif isinstance(event, h11.EndOfMessage):
            return bytes(body)
        else:
            raise h11.RemoteProtocolError("the request ended early")


def _answer_headers(
    method: str, status: int, headers: dict[str, str] | list[tuple[str, str]], content: bytes
) -> list[tuple[str, str]]:
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers)
    if _with_body(method, status):
        pairs.append(("content-length", str(len(content))))
    return pairs


def _with_body(method: str, status: int) -> bool:
    return status not in (204, 304) and method != "HEAD"


async def _respond(
    conn: h11.Connection,
    writer: asyncio.StreamWriter,
    method: str,
    status: int,
    pairs: list[tuple[str, str]],
    content: bytes,
) -> None:
    data = conn.send(h11.Response(status_code=status, headers=pairs)) or b""
    if content and _with_body(method, status):
        data += conn.send(h11.Data(data=content)) or b""
    writer.write(data + (conn.send(h11.EndOfMessage()) or b""))  # one write: one TLS record, not three
    await writer.drain()


def _session_tls() -> tuple[ssl.SSLContext, str]:
    """A TLS server context with a key made now, and that key's SPKI SHA-256 (base64) for Chromium."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "phileak third-party gate")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=7)).sign(key, hashes.SHA256())
    )  # fmt: skip
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_alpn_protocols(["http/1.1"])
    with tempfile.TemporaryDirectory(prefix="phileak-gate-") as folder:
        cert_path, key_path = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_path.touch(mode=0o600)
        pem = serialization.Encoding.PEM
        key_path.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        context.load_cert_chain(str(cert_path), str(key_path))
    return context, base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")
