"""The scoped HTTP client against real loopback servers: pinning, redirects, byte caps, TLS, failures."""

from __future__ import annotations

import asyncio
import gzip
import shutil
import socket
import ssl
import subprocess
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from phileak.errors import LimitExceeded, ScopeViolation, TransientError
from phileak.net import MAX_REDIRECTS, PeerError, ScopedHttpClient
from phileak.net_quick import QuickHttp
from phileak.probes.storage.transport import StorageHttp
from phileak.scope import Resolver, Scope

TLS_NAME = "portal.example-health.test"


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Handler = Callable[[SeenRequest, asyncio.StreamWriter], Awaitable[None]]


def respond(status: int = 200, body: bytes = b"ok", headers: dict[str, str] | None = None) -> Handler:
    async def handler(request: SeenRequest, writer: asyncio.StreamWriter) -> None:
        fields = {"Content-Length": str(len(body)), "Connection": "close", **(headers or {})}
        head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
        writer.write(head.encode() + (b"" if request.method == "HEAD" else body))
        await writer.drain()

    return handler


def redirect(location: str, status: int = 302) -> Handler:
    return respond(status, b"", {"Location": location})


@dataclass
class LoopbackServer:
    """A tiny HTTP/1.1 server on a loopback address; records every connection, request and TLS SNI name."""

    host: str
    routes: dict[str, Handler] = field(default_factory=dict)
    tls: ssl.SSLContext | None = None
    connections: int = 0
    requests: list[SeenRequest] = field(default_factory=list)
    sni_names: list[str | None] = field(default_factory=list)
    keep_alive: bool = False  # serve requests one after another on a connection until the client closes it
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> LoopbackServer:
        if self.tls is not None:
            self.tls.sni_callback = lambda _sock, name, _ctx: self.sni_names.append(name)  # type: ignore[assignment,func-returns-value]
        self._server = await asyncio.start_server(self._serve, self.host, 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def url(self, path: str = "/", host: str | None = None) -> str:
        name = host or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"{'https' if self.tls else 'http'}://{name}:{self.port}{path}"

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                request_line, *lines = head.split("\r\n")
                method, path, _ = request_line.split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                seen = SeenRequest(method, path, headers, body)
                self.requests.append(seen)
                await self.routes.get(path.split("?")[0], respond(404, b"not found"))(seen, writer)
                if not self.keep_alive or writer.is_closing():
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def start_server() -> AsyncIterator[Callable[..., Awaitable[LoopbackServer]]]:
    servers: list[LoopbackServer] = []

    async def start(
        host: str = "127.0.0.1", routes: dict[str, Handler] | None = None, **kw: object
    ) -> LoopbackServer:
        server = await LoopbackServer(host, routes or {}, **kw).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()


def client(scope: list[str], resolve: list[str] = (), **kw: object) -> ScopedHttpClient:  # type: ignore[assignment]
    options: dict[str, object] = {"timeout": 10.0, **kw}
    return ScopedHttpClient(Scope.from_rules(scope), Resolver.parse(resolve), **options)  # type: ignore[arg-type]


async def test_get_connects_to_the_pinned_address_keeping_the_hostname(start_server) -> None:
    server = await start_server(routes={"/hello": respond(200, b"hi there", {"Content-Type": "text/plain"})})
    async with client(
        ["www.example-health.test", "127.0.0.1/32"], ["www.example-health.test=127.0.0.1"]
    ) as http:
        response = await http.get(server.url("/hello?x=1", host="www.example-health.test"))
    assert (response.status, response.body, response.text) == (200, b"hi there", "hi there")
    assert response.peer_address == "127.0.0.1"
    assert response.history == ()
    assert server.requests[0].headers["host"] == f"www.example-health.test:{server.port}"
    assert server.requests[0].headers["user-agent"].startswith("phileak/")


async def test_ipv6_loopback_literal(start_server) -> None:
    server = await start_server("::1", {"/": respond(200, b"v6")})
    async with client(["::1"]) as http:
        response = await http.get(server.url("/"))
    assert (response.body, response.peer_address) == (b"v6", "::1")


@pytest.mark.parametrize("how", ["ip-literal", "name-not-in-scope", "in-scope-name-resolving-out"])
async def test_redirect_out_of_scope_is_never_contacted(start_server, how: str) -> None:
    outside = await start_server("127.0.0.2", {"/": respond(200, b"should never be served")})
    host = {
        "ip-literal": "127.0.0.2",
        "name-not-in-scope": "evil.test",
        "in-scope-name-resolving-out": "cdn.example-health.test",
    }[how]
    inside = await start_server(routes={"/start": redirect(outside.url("/", host=host))})
    resolve = [
        "www.example-health.test=127.0.0.1",
        "evil.test=127.0.0.2",
        "cdn.example-health.test=127.0.0.2",
    ]
    async with client(["*.example-health.test", "127.0.0.1/32"], resolve) as http:
        with pytest.raises(ScopeViolation) as info:
            await http.get(inside.url("/start", host="www.example-health.test"))
    assert host in info.value.subject
    assert len(inside.requests) == 1
    assert outside.connections == 0


async def test_redirect_chain_inside_scope_is_followed(start_server) -> None:
    api = await start_server(routes={"/c": respond(200, b"final")})
    www = await start_server(
        routes={
            "/a": redirect("/b?step=2", 302),
            "/b": redirect(api.url("/c", host="api.example-health.test"), 301),
        }
    )
    resolve = ["*.example-health.test=127.0.0.1"]
    async with client(["*.example-health.test", "127.0.0.1/32"], resolve) as http:
        response = await http.request(
            "POST",
            www.url("/a", host="www.example-health.test"),
            content=b"form=1",
            headers={
                "Authorization": "Bearer test-token",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
    assert (response.status, response.body) == (200, b"final")
    assert response.url == api.url("/c", host="api.example-health.test")
    assert [(hop.status, hop.location) for hop in response.history] == [
        (302, www.url("/b?step=2", host="www.example-health.test")),
        (301, api.url("/c", host="api.example-health.test")),
    ]
    first, second = www.requests
    assert (first.method, first.body, second.method, second.body) == ("POST", b"form=1", "GET", b"")
    assert second.headers["authorization"] == "Bearer test-token"  # same origin keeps it
    assert "content-type" not in second.headers
    assert "authorization" not in api.requests[0].headers  # a new origin does not get credentials


async def test_307_keeps_method_and_body(start_server) -> None:
    server = await start_server(routes={"/old": redirect("/new", 307), "/new": respond(201, b"created")})
    async with client(["127.0.0.1"]) as http:
        response = await http.request("PUT", server.url("/old"), content=b"payload")
    assert response.status == 201
    assert [(r.method, r.body) for r in server.requests] == [("PUT", b"payload"), ("PUT", b"payload")]


async def test_too_many_redirects(start_server) -> None:
    server = await start_server(routes={"/loop": redirect("/loop")})
    async with client(["127.0.0.1"]) as http:
        with pytest.raises(LimitExceeded, match="redirects"):
            await http.get(server.url("/loop"))
    assert len(server.requests) == MAX_REDIRECTS + 1


async def test_url_prefix_scope_checks_every_hop(start_server) -> None:
    server = await start_server(routes={"/api/x": redirect("/admin"), "/api/ok": respond(200, b"fine")})
    async with client([server.url("/api/")]) as http:
        assert (await http.get(server.url("/api/ok"))).body == b"fine"
        with pytest.raises(ScopeViolation, match="/admin"):
            await http.get(server.url("/api/x"))
        with pytest.raises(ScopeViolation):
            await http.get(server.url("/api/../admin"))
    assert [r.path for r in server.requests] == ["/api/ok", "/api/x"]


async def test_resolve_override_to_out_of_scope_address_is_never_contacted(start_server) -> None:
    outside = await start_server("127.0.0.2", {"/": respond()})
    async with client(
        ["www.example-health.test", "127.0.0.1/32"], ["www.example-health.test=127.0.0.2"]
    ) as http:
        with pytest.raises(ScopeViolation, match=r"127\.0\.0\.2"):
            await http.get(outside.url("/", host="www.example-health.test"))
    assert outside.connections == 0


async def test_real_dns_answer_outside_scope_is_never_contacted(start_server) -> None:
    server = await start_server("127.0.0.1", {"/": respond()})  # localhost is 127.0.0.1 in /etc/hosts
    async with client(["localhost", "127.0.0.2/32"]) as http:
        with pytest.raises(ScopeViolation, match="outside the scope"):
            await http.get(server.url("/", host="localhost"))
    assert server.connections == 0


async def test_environment_proxy_is_ignored(start_server, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = await start_server("127.0.0.2", {})
    monkeypatch.setenv("HTTP_PROXY", proxy.url("/"))
    monkeypatch.setenv("ALL_PROXY", proxy.url("/"))
    server = await start_server(routes={"/": respond(200, b"direct")})
    async with client(["127.0.0.1"]) as http:
        assert (await http.get(server.url("/"))).body == b"direct"
    assert proxy.connections == 0


async def test_declared_oversize_body_is_refused(start_server) -> None:
    server = await start_server(
        routes={"/big": respond(200, b"x" * 5000), "/fits": respond(200, b"x" * 1000)}
    )
    async with client(["127.0.0.1"], max_bytes=1000) as http:
        assert len((await http.get(server.url("/fits"))).body) == 1000
        with pytest.raises(LimitExceeded, match="over 1000 bytes"):
            await http.get(server.url("/big"))
        assert len((await http.get(server.url("/big"), max_bytes=5000)).body) == 5000
        head = await http.request("HEAD", server.url("/big"))
    assert (head.status, head.body, head.headers["content-length"]) == (200, b"", "5000")


async def test_endless_stream_is_cut_at_the_cap(start_server) -> None:
    async def endless(_: SeenRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"4000\r\n" + b"y" * 0x4000 + b"\r\n"
        while not writer.is_closing():  # until the client hangs up; buffering it all first would never end
            writer.write(chunk)
            await writer.drain()

    server = await start_server(routes={"/stream": endless})
    async with client(["127.0.0.1"], max_bytes=100_000) as http:
        with pytest.raises(LimitExceeded):
            await asyncio.wait_for(http.get(server.url("/stream")), 60)


async def test_compressed_body_is_capped_after_decoding(start_server) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 100_000
    server = await start_server(routes={"/bomb": respond(200, bomb, {"Content-Encoding": "gzip"})})
    async with client(["127.0.0.1"], max_bytes=100_000) as http:
        with pytest.raises(LimitExceeded):
            await http.get(server.url("/bomb"))


async def test_stalled_server_is_a_transient_error(start_server) -> None:
    release = asyncio.Event()

    async def stall(_: SeenRequest, __: asyncio.StreamWriter) -> None:
        await release.wait()

    server = await start_server(routes={"/stall": stall})
    async with client(["127.0.0.1"], timeout=0.5) as http:
        with pytest.raises(TransientError, match="timed out"):
            await http.get(server.url("/stall"))
    release.set()


async def test_truncated_body_is_a_transient_error(start_server) -> None:
    async def truncated(_: SeenRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a little")
        await writer.drain()

    server = await start_server(routes={"/cut": truncated})
    async with client(["127.0.0.1"]) as http:
        with pytest.raises(TransientError, match="connection failed"):
            await http.get(server.url("/cut"))


async def test_refused_connection_is_a_transient_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with client(["127.0.0.1"]) as http:
        with pytest.raises(TransientError, match="connection failed"):
            await http.get(f"http://127.0.0.1:{port}/")


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            f"/CN={TLS_NAME}",
            "-addext",
            f"subjectAltName=DNS:{TLS_NAME}",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
async def tls_server(start_server, self_signed: tuple[Path, Path]) -> LoopbackServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed)
    server: LoopbackServer = await start_server(routes={"/": respond(200, b"secure")}, tls=context)
    return server


TLS_SCOPE = ["*.example-health.test", "127.0.0.1/32"]
TLS_RESOLVE = ["*.example-health.test=127.0.0.1"]


async def test_self_signed_tls_needs_insecure(tls_server: LoopbackServer) -> None:
    async with client(TLS_SCOPE, TLS_RESOLVE) as http:
        with pytest.raises(PeerError, match="TLS not accepted"):
            await http.get(tls_server.url("/", host=TLS_NAME))
    assert tls_server.requests == []
    async with client(TLS_SCOPE, TLS_RESOLVE, insecure=True) as http:
        response = await http.get(tls_server.url("/", host=TLS_NAME))
    assert (response.body, response.peer_address) == (b"secure", "127.0.0.1")
    assert tls_server.sni_names[-1] == TLS_NAME
    assert tls_server.requests[0].headers["host"] == f"{TLS_NAME}:{tls_server.port}"


async def test_certificate_is_checked_against_the_hostname(
    tls_server: LoopbackServer, self_signed: tuple[Path, Path]
) -> None:
    cert, _ = self_signed
    async with client(TLS_SCOPE, TLS_RESOLVE, ca_file=cert) as http:
        assert (await http.get(tls_server.url("/", host=TLS_NAME))).body == b"secure"
        with pytest.raises(PeerError, match="TLS not accepted"):
            await http.get(tls_server.url("/", host="other.example-health.test"))
    assert tls_server.sni_names == [TLS_NAME, "other.example-health.test"]
    assert len(tls_server.requests) == 1


async def test_for_scan_takes_scope_resolver_tls_and_byte_limit_from_the_context(
    tls_server: LoopbackServer,
) -> None:
    from phileak.phi.identity import IdentityHasher
    from phileak.probes.base import Limits, ScanContext

    tls_server.routes["/big"] = respond(200, b"z" * 2000)
    ctx = ScanContext(
        scan_id="test",
        scope=Scope.from_rules(TLS_SCOPE),
        identity=IdentityHasher(b"k" * 32),
        limits=Limits(max_bytes=1000),
        resolver=Resolver.parse(TLS_RESOLVE),
        insecure=True,
    )
    async with ScopedHttpClient.for_scan(ctx) as http:
        assert (await http.get(tls_server.url("/", host=TLS_NAME))).body == b"secure"
        with pytest.raises(LimitExceeded):
            await http.get(tls_server.url("/big", host=TLS_NAME))
        with pytest.raises(ScopeViolation):
            await http.get(tls_server.url("/", host="portal.elsewhere.test"))


# --- the quick HTTP/1.1 client (phileak.net_quick): same guarantees, kept-alive connections ---------------------


def kept(status: int = 200, body: bytes = b"ok", headers: dict[str, str] | None = None) -> Handler:
    """An answer that leaves the connection open."""
    return respond(status, body, {"Connection": "keep-alive", **(headers or {})})


async def test_quick_get_reuses_one_pinned_connection(start_server) -> None:
    server = await start_server(routes={"/obj": kept(206, b"%PDF-1.7", {"Content-Range": "bytes 0-7/8"})},
                                keep_alive=True)  # fmt: skip
    async with client(["www.example-health.test", "127.0.0.1/32"], ["www.example-health.test=127.0.0.1"]) as http:
        quick = QuickHttp.beside(http)
        url = server.url("/obj?v=1", host="www.example-health.test")
        answers = [await quick.get(url, headers={"Range": "bytes=0-99"}, max_bytes=100) for _ in range(3)]
        await quick.aclose()
    assert all(a is not None and (a.status, a.body, a.peer_address) == (206, b"%PDF-1.7", "127.0.0.1")
               for a in answers)  # fmt: skip
    assert answers[0] is not None and answers[0].headers["content-range"] == "bytes 0-7/8"
    assert server.connections == 1 and len(server.requests) == 3
    seen = server.requests[0]
    assert (seen.path, seen.headers["range"], seen.headers["accept-encoding"]) == ("/obj?v=1", "bytes=0-99", "identity")
    assert seen.headers["host"] == f"www.example-health.test:{server.port}"
    assert seen.headers["user-agent"].startswith("phileak/")


async def test_quick_hands_redirects_and_encoded_bodies_back(start_server) -> None:
    server = await start_server(routes={
        "/moved": redirect("/here", 307), "/here": respond(200, b"final"),
        "/gz": respond(200, gzip.compress(b"plain"), {"Content-Encoding": "gzip"}),
    })  # fmt: skip
    async with client(["127.0.0.1"]) as http:
        quick = QuickHttp.beside(http)
        assert await quick.get(server.url("/moved"), headers=None, max_bytes=1000) is None
        assert await quick.get(server.url("/gz"), headers=None, max_bytes=1000) is None
        storage = StorageHttp(http, quick=quick)
        followed = await storage.get(server.url("/moved"), quick=True)
        decoded = await storage.get(server.url("/gz"), quick=True)
    assert (followed.status, followed.body, len(followed.history)) == (200, b"final", 1)
    assert decoded.body == b"plain"


async def test_quick_contacts_nothing_outside_the_scope(start_server) -> None:
    outside = await start_server("127.0.0.2", {"/": respond()})
    async with client(["www.example-health.test", "127.0.0.1/32"], ["www.example-health.test=127.0.0.2"]) as http:
        quick = QuickHttp.beside(http)
        with pytest.raises(ScopeViolation, match=r"127\.0\.0\.2"):
            await quick.get(outside.url("/", host="www.example-health.test"), headers=None, max_bytes=100)
        with pytest.raises(ScopeViolation):
            await quick.get(outside.url("/"), headers=None, max_bytes=100)
    assert outside.connections == 0


async def test_quick_caps_bodies_declared_or_streamed(start_server) -> None:
    async def endless(_: SeenRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        while not writer.is_closing():
            writer.write(b"4000\r\n" + b"y" * 0x4000 + b"\r\n")
            await writer.drain()

    server = await start_server(routes={"/big": respond(200, b"x" * 5000), "/stream": endless})
    async with client(["127.0.0.1"]) as http:
        quick = QuickHttp.beside(http)
        with pytest.raises(LimitExceeded, match="over 1000 bytes"):
            await quick.get(server.url("/big"), headers=None, max_bytes=1000)
        with pytest.raises(LimitExceeded):
            await asyncio.wait_for(quick.get(server.url("/stream"), headers=None, max_bytes=100_000), 60)
        answer = await quick.get(server.url("/big"), headers=None, max_bytes=5000)
    assert answer is not None and len(answer.body) == 5000


async def test_quick_failures_are_transient(start_server) -> None:
    release = asyncio.Event()

    async def stall(_: SeenRequest, __: asyncio.StreamWriter) -> None:
        await release.wait()

    async def truncated(_: SeenRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a little")
        await writer.drain()

    async def garbage(_: SeenRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(b"\x16\x03\x01 this is no HTTP\r\n\r\n")
        await writer.drain()

    server = await start_server(routes={"/stall": stall, "/cut": truncated, "/junk": garbage})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    async with client(["127.0.0.1"], timeout=0.5) as http:
        quick = QuickHttp.beside(http)
        with pytest.raises(TransientError, match="timed out"):
            await quick.get(server.url("/stall"), headers=None, max_bytes=100)
        for path in ("/cut", "/junk"):
            with pytest.raises(TransientError, match="connection failed"):
                await quick.get(server.url(path), headers=None, max_bytes=10_000)
        with pytest.raises(TransientError, match="connection failed"):
            await quick.get(f"http://127.0.0.1:{closed_port}/", headers=None, max_bytes=100)
    release.set()


async def test_quick_hands_back_what_h11_will_not_send(start_server) -> None:
    server = await start_server(routes={"/": respond()})
    async with client(["127.0.0.1"]) as http:
        quick = QuickHttp.beside(http)
        assert await quick.get(server.url("/a b"), headers=None, max_bytes=100) is None
        assert await quick.get(server.url("/"), headers={"X-Bad": "line\r\nbreak"}, max_bytes=100) is None
        assert await quick.get("ftp://127.0.0.1/x", headers=None, max_bytes=100) is None
    assert server.connections == 0


async def test_quick_redials_when_a_kept_alive_connection_was_dropped(start_server) -> None:
    answered: weakref.WeakSet[asyncio.StreamWriter] = weakref.WeakSet()  # not ids: a closed writer's is reused

    async def once_per_connection(_: SeenRequest, writer: asyncio.StreamWriter) -> None:
        if writer in answered:  # the server drops the connection instead of answering a second request
            writer.close()
            return
        answered.add(writer)
        await kept(200, b"fresh")(_, writer)

    server = await start_server(routes={"/": once_per_connection}, keep_alive=True)
    async with client(["127.0.0.1"]) as http:
        quick = QuickHttp.beside(http)
        bodies = [(await quick.get(server.url("/"), headers=None, max_bytes=100)) for _ in range(3)]
        await quick.aclose()
    assert [b.body if b else None for b in bodies] == [b"fresh"] * 3
    assert server.connections == 3 and len(server.requests) == 5


async def test_quick_checks_tls_like_the_scoped_client(tls_server: LoopbackServer) -> None:
    async with client(TLS_SCOPE, TLS_RESOLVE) as http:
        with pytest.raises(PeerError, match="TLS not accepted"):
            await QuickHttp.beside(http).get(tls_server.url("/", host=TLS_NAME), headers=None, max_bytes=100)
    assert tls_server.requests == []
    async with client(TLS_SCOPE, TLS_RESOLVE, insecure=True) as http:
        answer = await QuickHttp.beside(http).get(tls_server.url("/", host=TLS_NAME), headers=None, max_bytes=100)
    assert answer is not None and (answer.body, answer.peer_address) == (b"secure", "127.0.0.1")
    assert tls_server.sni_names[-1] == TLS_NAME
