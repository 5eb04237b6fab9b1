"""The scoped HTTP client every probe uses: each hop is checked against the scope before it is contacted.

The URL (scheme, host, port, path) is checked before each request and each redirect hop. The TCP connection
itself is made by a network backend that asks the scope for one authorised address (`Scope.resolve_checked`)
and connects to exactly that address; the URL keeps the hostname, so the Host header, TLS SNI and the
certificate check all use the name, and pooled connections are keyed by name.
"""

from __future__ import annotations

import asyncio
import re
import select
import ssl
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpcore
import httpx

from phileak import __version__
from phileak.errors import LimitExceeded, PhileakError, ScopeViolation, TransientError
from phileak.scope import Resolver, Scope, display_url

if TYPE_CHECKING:
    from phileak.probes.base import ScanContext

MAX_REDIRECTS = 10
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CREDENTIAL_HEADERS = ("authorization", "cookie", "proxy-authorization")
_BODY_HEADERS = ("content-type", "content-length", "content-encoding", "transfer-encoding")
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)


class PeerError(PhileakError):
    """The peer answered in a way phileak does not accept: untrusted TLS, an undecodable body."""


@dataclass(frozen=True)
class Redirect:
    status: int
    url: str
    location: str


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: httpx.Headers
    body: bytes
    url: str
    history: tuple[Redirect, ...] = ()
    peer_address: str | None = None

    @property
    def text(self) -> str:
        match = _CHARSET.search(self.headers.get("content-type", ""))
        try:
            return self.body.decode(match.group(1) if match else "utf-8", errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class _ScopedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Connects only to the address the scope authorised for the host, resolved once per connection."""

    def __init__(self, scope: Scope, resolver: Resolver) -> None:
        self._scope = scope
        self._resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await self._scope.resolve_checked(host, port, self._resolver)
        return _QuickInfoStream(await self._inner.connect_tcp(address, port, timeout, local_address, socket_options))

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise ScopeViolation(path, "unix sockets are never in scope")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _QuickInfoStream(httpcore.AsyncNetworkStream):
    """An anyio stream whose socket is looked up once. httpcore asks every pooled connection whether its socket
    is readable before each request, and anyio answers each such question by building all of the stream's
    attributes (system calls included): with 16 connections that was most of a ranged read's CPU."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _QuickInfoStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "socket":
            return self._socket
        if info == "is_readable":
            return socket_readable(self._socket)
        return self._inner.get_extra_info(info)


def socket_readable(sock: Any) -> bool:
    """Whether reading the socket would return at once (data, or the end): a pooled connection the server
    closed, or one with stray bytes, is not reused. No socket counts as readable, as in httpcore."""
    fd = sock.fileno() if sock is not None else -1
    if fd < 0:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _CoreStream(httpx.AsyncByteStream):
    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._response.aiter_stream():
            yield part

    async def aclose(self) -> None:
        await self._response.aclose()


class _ScopedTransport(httpx.AsyncBaseTransport):
    """httpx's default transport minus proxies and system DNS: an httpcore pool on the scoped backend."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend, ssl_context: ssl.SSLContext) -> None:
        self._pool = httpcore.AsyncConnectionPool(ssl_context=ssl_context, network_backend=backend)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        url = httpcore.URL(
            scheme=request.url.raw_scheme,
            host=request.url.raw_host,
            port=request.url.port,
            target=request.url.raw_path,
        )
        core_request = httpcore.Request(
            method=request.method,
            url=url,
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        core_response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_CoreStream(core_response),
            extensions=core_response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


def tls_context(insecure: bool, ca_file: str | Path | None) -> ssl.SSLContext:
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_file is not None:
        return ssl.create_default_context(cafile=str(ca_file))
    return httpx.create_ssl_context(trust_env=False)


def _ssl_failure(exc: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def tls_not_accepted(failure: ssl.SSLError, where: str) -> PeerError:
    reason = getattr(failure, "verify_message", None) or failure.reason or "handshake failed"
    return PeerError(f"TLS not accepted for {where}: {reason} (--insecure accepts it)")


@contextmanager
def _network_errors(url: httpx.URL) -> Iterator[None]:
    """Map the transport's failures to phileak's: retryable, or not accepted."""
    where = display_url(str(url))
    try:
        yield
    except (TimeoutError, httpcore.TimeoutException, httpx.TimeoutException) as exc:
        raise TransientError(f"timed out: {where}") from exc
    except httpx.DecodingError as exc:
        raise PeerError(f"undecodable response body from {where}") from exc
    except (httpcore.NetworkError, httpcore.RemoteProtocolError, httpx.TransportError, OSError) as exc:
        tls_failure = _ssl_failure(exc)
        if tls_failure is not None:
            raise tls_not_accepted(tls_failure, where) from exc
        raise TransientError(f"connection failed: {where} ({type(exc).__name__})") from exc


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def _without(headers: httpx.Headers, names: Iterable[str]) -> httpx.Headers:
    kept = httpx.Headers(headers)
    for name in names:
        kept.pop(name, None)
    return kept


def _normalised_url(url: str | httpx.URL) -> httpx.URL:
    parsed = httpx.URL(url)
    host = parsed.host.rstrip(".")
    return parsed.copy_with(host=host) if host != parsed.host else parsed


class ScopedHttpClient:
    """An async HTTP client that contacts nothing outside `scope`. Use as `async with`, or call aclose()."""

    def __init__(
        self,
        scope: Scope,
        resolver: Resolver | None = None,
        *,
        insecure: bool = False,
        timeout: float = DEFAULT_TIMEOUT_S,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ca_file: str | Path | None = None,
        user_agent: str = f"phileak/{__version__} (health-data exposure audit)",
    ) -> None:
        self._scope = scope
        self._timeout = timeout
        self._max_bytes = max_bytes
        self.resolver = resolver or Resolver()
        self.ssl_context = tls_context(insecure, ca_file)
        self.user_agent = user_agent
        backend = _ScopedNetworkBackend(scope, self.resolver)
        self._client = httpx.AsyncClient(
            transport=_ScopedTransport(backend, self.ssl_context),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": user_agent},
        )

    @classmethod
    def for_scan(cls, ctx: ScanContext, *, timeout: float = DEFAULT_TIMEOUT_S) -> ScopedHttpClient:
        """The client a probe uses: the scan's scope, resolver, --insecure and byte limit."""
        return cls(
            ctx.scope, ctx.resolver, insecure=ctx.insecure, timeout=timeout, max_bytes=ctx.limits.max_bytes
        )

    @property
    def scope(self) -> Scope:
        return self._scope

    @property
    def timeout(self) -> float:
        return self._timeout

    async def __aenter__(self) -> ScopedHttpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(
        self, url: str, *, headers: Mapping[str, str] | None = None, max_bytes: int | None = None
    ) -> HttpResponse:
        return await self.request("GET", url, headers=headers, max_bytes=max_bytes)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        max_bytes: int | None = None,
    ) -> HttpResponse:
        """Send, following up to MAX_REDIRECTS redirects, each checked before it is contacted.

        Raises ScopeViolation, LimitExceeded (body over max_bytes, too many redirects), TransientError
        (timeouts, refused or reset connections) or PeerError (TLS not accepted, undecodable body)."""
        limit = self._max_bytes if max_bytes is None else max_bytes
        method = method.upper()
        try:
            current = _normalised_url(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise ScopeViolation(display_url(url), "not a valid URL") from exc
        sent_headers = httpx.Headers(headers or {})
        history: list[Redirect] = []
        while True:
            self._scope.check_url(str(current))
            async with self._exchange(method, current, sent_headers, content) as response:
                peer_address = _peer_address(response)  # before the body: a closed stream forgets its peer
                location = response.headers.get("location")
                if response.status_code not in REDIRECT_STATUSES or location is None:
                    return HttpResponse(
                        status=response.status_code,
                        headers=response.headers,
                        body=await _read_capped(response, limit, current),
                        url=str(current),
                        history=tuple(history),
                        peer_address=peer_address,
                    )
            if len(history) == MAX_REDIRECTS:
                raise LimitExceeded(f"more than {MAX_REDIRECTS} redirects from {display_url(url)}")
            try:
                target = _normalised_url(current.join(location))
            except httpx.InvalidURL as exc:
                raise PeerError(f"unreadable redirect location from {display_url(str(current))}") from exc
            history.append(Redirect(response.status_code, str(current), str(target)))
            if (response.status_code == 303 and method != "HEAD") or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method, content = "GET", None
                sent_headers = _without(sent_headers, _BODY_HEADERS)
            if not _same_origin(current, target):
                sent_headers = _without(sent_headers, _CREDENTIAL_HEADERS)
            current = target

    @asynccontextmanager
    async def _exchange(
        self, method: str, url: httpx.URL, headers: httpx.Headers, content: bytes | None
    ) -> AsyncIterator[httpx.Response]:
        request = self._client.build_request(method, url, headers=headers, content=content)
        with _network_errors(url):
            async with asyncio.timeout(self._timeout):
                response = await self._client.send(request, stream=True)
            try:
                yield response
            finally:
                await response.aclose()


async def _read_capped(response: httpx.Response, limit: int, url: httpx.URL) -> bytes:
    """The decoded body, read as it streams in; LimitExceeded as soon as it passes `limit` bytes."""
    too_big = LimitExceeded(f"response body over {limit} bytes from {display_url(str(url))}")
    declared = response.headers.get("content-length", "")
    if response.request.method != "HEAD" and declared.isdigit() and int(declared) > limit:
        raise too_big
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise too_big
    return bytes(body)


def _peer_address(response: httpx.Response) -> str | None:
    stream = response.extensions.get("network_stream")
    server = stream.get_extra_info("server_addr") if stream is not None else None
    return str(server[0]) if server else None
