"""Plain GETs on kept-alive HTTP/1.1 connections, for reading many small objects (a bucket's PDFs).

The scoped client (phileak.net) spends about a millisecond of CPU per request in httpx and httpcore; reading
2,000 objects, that was most of the probe's own CPU. This client does one thing: a GET, over h11 and asyncio
streams, to the one address `Scope.resolve_checked` authorised, with the same checks (URL scope before the
request, TLS by hostname), the same wall clock per request and a byte cap read as the body streams in.

It answers None for what it does not take, and the caller sends that request with the scoped client: a
redirect (that client checks and follows each hop), an encoded body (that client decodes it).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import h11
import httpx

from phileak.errors import LimitExceeded, PhileakError, TransientError
from phileak.net import REDIRECT_STATUSES, HttpResponse, ScopedHttpClient, socket_readable, tls_not_accepted
from phileak.scope import Resolver, Scope, display_url

_READ_CHUNK = 256 * 1024
_IDLE_PER_ORIGIN = 32
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    protocol: h11.Connection = field(default_factory=lambda: h11.Connection(h11.CLIENT))
    peer: str | None = None

    def stale(self) -> bool:
        """A pooled connection the server closed (or sent stray bytes on) is not reused."""
        return self.writer.is_closing() or socket_readable(self.writer.get_extra_info("socket"))

    def close(self) -> None:
        self.writer.close()


class QuickHttp:
    """GETs through pooled HTTP/1.1 connections to scope-checked addresses. Use from one event loop."""

    def __init__(
        self, scope: Scope, resolver: Resolver, ssl_context: ssl.SSLContext, *, timeout: float, user_agent: str
    ) -> None:
        self._scope = scope
        self._resolver = resolver
        self._ssl = ssl_context
        self._timeout = timeout
        self._user_agent = user_agent
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}

    @classmethod
    def beside(cls, client: ScopedHttpClient) -> QuickHttp:
        """A quick client with `client`'s scope, resolver, TLS settings, timeout and User-Agent."""
        return cls(client.scope, client.resolver, client.ssl_context, timeout=client.timeout,
                   user_agent=client.user_agent)  # fmt: skip

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    async def get(self, url: str, *, headers: Mapping[str, str] | None, max_bytes: int) -> HttpResponse | None:
        """The response, its body capped at `max_bytes` (LimitExceeded past it); None when the scoped client
        should send this request instead. Raises as ScopedHttpClient.request does."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username or parts.password:
            return None
        self._scope.check_url(url)
        try:
            port = parts.port or _DEFAULT_PORTS[scheme]
        except ValueError:
            return None
        host = parts.hostname.rstrip(".")
        origin = (scheme, host, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default_port = port == _DEFAULT_PORTS[scheme]
        authority = host if default_port else f"{host}:{port}"
        if ":" in host:
            authority = f"[{host}]" if default_port else f"[{host}]:{port}"
        try:
            request = h11.Request(
                method="GET",
                target=target,
                headers=[
                    ("Host", authority),
                    ("User-Agent", self._user_agent),
                    ("Accept-Encoding", "identity"),
                    *((name, value) for name, value in (headers or {}).items() if name.lower() != "host"),
                ],
            )
        except h11.LocalProtocolError:  # a target or header h11 will not send: the scoped client says why
            return None
        try:
            async with asyncio.timeout(self._timeout):
                return await self._exchange(origin, request, url, max_bytes)
        except TimeoutError as exc:
            raise TransientError(f"timed out: {display_url(url)}") from exc

    async def _exchange(
        self, origin: tuple[str, str, int], request: h11.Request, url: str, max_bytes: int
    ) -> HttpResponse | None:
        pooled = self._pooled(origin)
        if pooled is not None:
            try:
                return await self._on(pooled, origin, request, url, max_bytes)
            except _NothingReceived:
                pass  # the server closed the kept-alive connection as we wrote: once more on a new one
        try:
            return await self._on(await self._connect(origin, url), origin, request, url, max_bytes)
        except _NothingReceived as exc:
            raise TransientError(f"connection failed: {display_url(url)} (closed before an answer)") from exc

    def _pooled(self, origin: tuple[str, str, int]) -> _Connection | None:
        connections = self._idle.get(origin)
        while connections:
            connection = connections.pop()
            if not connection.stale():
                return connection
            connection.close()
        return None

    async def _connect(self, origin: tuple[str, str, int], url: str) -> _Connection:
        scheme, host, port = origin
        address = await self._scope.resolve_checked(host, port, self._resolver)
        tls = scheme == "https"
        try:
            reader, writer = await asyncio.open_connection(
                address, port, ssl=self._ssl if tls else None, server_hostname=host if tls else None,
                limit=_READ_CHUNK,
            )  # fmt: skip
        except OSError as exc:
            raise _failure(exc, url) from exc
        peer = writer.get_extra_info("peername")
        return _Connection(reader, writer, peer=str(peer[0]) if peer else address)

    async def _on(
        self, connection: _Connection, origin: tuple[str, str, int], request: h11.Request, url: str, max_bytes: int
    ) -> HttpResponse | None:
        protocol = connection.protocol
        received = reusable = False
        too_big = f"response body over {max_bytes} bytes from {display_url(url)}"
        try:
            connection.writer.write(protocol.send(request) + (protocol.send(h11.EndOfMessage()) or b""))
            await connection.writer.drain()
            response: h11.Response | None = None
            body = bytearray()
            while True:
                event = protocol.next_event()
                if event is h11.NEED_DATA:
                    data = await connection.reader.read(_READ_CHUNK)
                    if not data and not received:
                        raise _NothingReceived
                    received = True
                    protocol.receive_data(data)
                elif isinstance(event, h11.Response):
                    response = event
                    if not _takes(event):
                        return None
                    declared = _header(event, b"content-length")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise LimitExceeded(too_big)
                elif isinstance(event, h11.Data):
                    body += event.data
                    if len(body) > max_bytes:
                        raise LimitExceeded(too_big)
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif not isinstance(event, h11.InformationalResponse):  # ConnectionClosed
                    raise TransientError(f"connection failed: {display_url(url)} (closed mid-answer)")
            assert response is not None
            reusable = protocol.our_state is h11.DONE and protocol.their_state is h11.DONE
            if reusable:
                protocol.start_next_cycle()
            return HttpResponse(
                status=response.status_code,
                headers=httpx.Headers([(name, value) for name, value in response.headers]),
                body=bytes(body),
                url=url,
                peer_address=connection.peer,
            )
        except h11.RemoteProtocolError as exc:
            raise TransientError(f"connection failed: {display_url(url)} ({exc})") from exc
        except OSError as exc:
            if not received and not isinstance(exc, ssl.SSLError):
                raise _NothingReceived from exc
            raise _failure(exc, url) from exc
        finally:
            if reusable and len(idle := self._idle.setdefault(origin, [])) < _IDLE_PER_ORIGIN:
                idle.append(connection)
            else:
                connection.close()


class _NothingReceived(Exception):
    """The connection ended before any byte of an answer (a kept-alive connection the server had closed)."""


def _failure(exc: OSError, url: str) -> PhileakError:
    """A socket or TLS failure as the scoped client reports it."""
    where = display_url(url)
    if isinstance(exc, ssl.SSLError):
        return tls_not_accepted(exc, where)
    return TransientError(f"connection failed: {where} ({type(exc).__name__})")


def _header(response: h11.Response, name: bytes) -> str:
    for key, value in response.headers:
        if key == name:
            return value.decode("latin-1").strip()
    return ""


def _takes(response: h11.Response) -> bool:
    """Whether this client keeps the answer: not a redirect, and a body sent as it is stored."""
    if response.status_code in REDIRECT_STATUSES:
        return False
    return _header(response, b"content-encoding").lower() in ("", "identity")
