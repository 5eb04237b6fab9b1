"""The gate's side towards an allowed address (gate.py): one kept-alive HTTP/1.1 connection per browser
connection for forwarded requests, and a byte tunnel for forwarded WebSockets. Only a --resolve pin inside a
CIDR rule, or an in-scope name's scope-checked address, is ever dialled."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterable
from typing import Final
from urllib.parse import urlsplit

import h11

from phileak.probes.web.routing import RoutingPolicy

MAX_HEADER_BYTES: Final = 64 * 1024
MAX_ANSWER_BYTES: Final = 32 * 1024 * 1024
TUNNEL_IDLE_TIMEOUT_S: Final = 120.0
READ_SIZE: Final = 64 * 1024
HOP_BY_HOP: Final = frozenset({
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"proxy-connection", b"te",
    b"trailer", b"transfer-encoding", b"upgrade", b"content-length",
})  # fmt: skip


UpstreamKey = tuple[str, int, bool]  # host, port, TLS


def upstream_key(url: str) -> UpstreamKey:
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    return parts.hostname or "", parts.port or (443 if secure else 80), secure


async def connect(
    policy: RoutingPolicy, key: UpstreamKey, context: ssl.SSLContext | None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to the address the policy allows for the name (SNI and certificate check by name)."""
    host, port, secure = key
    address = await allowed_address(policy, host, port)
    return await asyncio.open_connection(
        address, port, ssl=context, server_hostname=host if secure else None, limit=MAX_HEADER_BYTES
    )


class TooLarge(Exception):
    """A body or an answer over its cap."""


class ClosedEarly(ConnectionError):
    """The upstream closed the connection before answering."""


class Upstream:
    """One HTTP/1.1 connection from the gate to an allowed address, for one browser connection."""

    def __init__(self, key: UpstreamKey, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.key = key
        self._reader = reader
        self._writer = writer
        self._conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)

    @classmethod
    async def open(cls, policy: RoutingPolicy, key: UpstreamKey, context: ssl.SSLContext | None) -> Upstream:
        reader, writer = await connect(policy, key, context)
        return cls(key, reader, writer)

    @property
    def reusable(self) -> bool:
        return self._conn.our_state is h11.IDLE and self._conn.their_state is h11.IDLE

    def close(self) -> None:
        self._writer.close()

    async def exchange(self, request: h11.Request, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = self._conn
        headers = [(name, value) for name, value in request.headers.raw_items() if name.lower() not in HOP_BY_HOP]
        if body or request.method in (b"POST", b"PUT", b"PATCH"):
            headers.append((b"content-length", b"%d" % len(body)))
        data = conn.send(h11.Request(method=request.method, target=request.target, headers=headers)) or b""
        if body:
            data += conn.send(h11.Data(data=body)) or b""
        response: h11.Response | None = None
        try:
            self._writer.write(data + (conn.send(h11.EndOfMessage()) or b""))
            await self._writer.drain()
        except ConnectionError as exc:
            raise ClosedEarly() from exc
        content = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                received = await self._reader.read(READ_SIZE)
                if not received and response is None:
                    raise ClosedEarly()
                conn.receive_data(received)
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                content += event.data
                if len(content) > MAX_ANSWER_BYTES:
                    raise TooLarge("answer")
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise ClosedEarly()
        assert response is not None
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
        answer = text_pairs((k, v) for k, v in response.headers.raw_items() if k.lower() not in HOP_BY_HOP)
        if request.method == b"HEAD" and (length := _header(response, b"content-length")) is not None:
            answer.append(("content-length", length))
        return response.status_code, answer, bytes(content)


def _header(response: h11.Response, name: bytes) -> str | None:
    return next((value.decode("latin-1") for key, value in response.headers if key == name), None)


async def allowed_address(policy: RoutingPolicy, host: str, port: int) -> str:
    """The --resolve pin of a name pinned inside a CIDR rule, or an in-scope name's checked address."""
    pinned = policy.resolver.override_for(host)
    if pinned and policy.pinned_inside_scope(host):
        return pinned[0]
    return await policy.scope.resolve_checked(host, port, policy.resolver)


async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while True:
            async with asyncio.timeout(TUNNEL_IDLE_TIMEOUT_S):
                data = await source.read(READ_SIZE)
            if not data:
                break
            sink.write(data)
            await sink.drain()
    except (OSError, TimeoutError):
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            if sink.can_write_eof():
                sink.write_eof()
            else:
                sink.close()


def text_pairs(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
