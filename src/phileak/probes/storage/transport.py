"""Every request the storage probe sends: through phileak's scoped HTTP client, with bounded retries for
throttling (503 SlowDown, 429) and transient failures, and botocore's requests routed through the same client.

botocore builds, signs and parses S3 requests; its own HTTP stack is never used. A `before-send` handler hands
each prepared request to the scoped client (scope check of every URL and DNS answer, byte caps) on the event
loop, and gives botocore the answer back. So boto3 calls run in worker threads (`BotoBridge.call`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from phileak.errors import PhileakError, ScopeViolation, TransientError
from phileak.net import HttpResponse, ScopedHttpClient
from phileak.net_quick import QuickHttp
from phileak.scope import display_url

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF_S = 8.0
DEFAULT_MAX_BYTES = 32 * 1024 * 1024


class ThrottledError(PhileakError):
    """The server kept answering 503/429 (SlowDown) after phileak's bounded retries."""


def server_of(url: str) -> str:
    """`url` reduced to its server, for messages: the path holds the bucket and the object's key."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if parts.scheme and parts.netloc else "the server"


def _without_object_name(exc: PhileakError, url: str) -> PhileakError:
    """`exc` again, with the request's URL in its message cut to the server (the key is withheld)."""
    shown = display_url(url)
    message = str(exc)
    if shown not in message and url not in message:
        return exc
    withheld = f"{server_of(url)}/… (object name withheld)"
    text = message.replace(url, withheld).replace(shown, withheld)
    if isinstance(exc, ScopeViolation):
        return ScopeViolation(withheld, exc.reason)
    try:
        return type(exc)(text)
    except TypeError:  # an error class with another signature: its plain message
        return PhileakError(text)


class StorageHttp:
    """The scoped client plus phileak's retry policy for storage APIs."""

    def __init__(
        self,
        client: ScopedHttpClient,
        *,
        quick: QuickHttp | None = None,
        retries: int = 3,
        backoff_s: float = 0.5,
        max_backoff_s: float = MAX_BACKOFF_S,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._client = client
        self._quick = quick
        self._retries = max(0, retries)
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._sleep = sleep
        self.requests = 0
        self.retried = 0

    async def aclose(self) -> None:
        if self._quick is not None:
            await self._quick.aclose()
        await self._client.aclose()

    async def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        quick: bool = False,
    ) -> HttpResponse:
        """A GET; `quick` (reading objects) sends it on the lean HTTP/1.1 client when there is one."""
        return await self.request("GET", url, headers=headers, max_bytes=max_bytes, quick=quick)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        quick: bool = False,
    ) -> HttpResponse:
        """One request, retried at most `retries` times on a throttling status or a transient failure, with
        exponential backoff (a server's Retry-After is honoured up to the backoff cap). ThrottledError when the
        server still throttles after that; the last TransientError when it still fails. An error names the
        server, never the object: a key is often a patient's name."""
        attempt = 0
        while True:
            self.requests += 1
            try:
                response = await self._send(method, url, headers, content, max_bytes, quick)
            except TransientError:
                if attempt >= self._retries:
                    raise
                await self._pause(attempt, None)
                attempt += 1
                self.retried += 1
                continue
            if response.status not in RETRY_STATUSES:
                return response
            if attempt >= self._retries:
                raise ThrottledError(
                    f"{server_of(url)}/… (object name withheld) still answered HTTP {response.status} after "
                    f"{attempt + 1} attempts"
                )
            await self._pause(attempt, response.headers.get("retry-after"))
            attempt += 1
            self.retried += 1

    async def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        content: bytes | None,
        max_bytes: int,
        quick: bool,
    ) -> HttpResponse:
        try:
            if quick and self._quick is not None and method == "GET" and content is None:
                answer = await self._quick.get(url, headers=headers, max_bytes=max_bytes)
                if answer is not None:
                    return answer
            return await self._client.request(method, url, headers=headers, content=content, max_bytes=max_bytes)
        except PhileakError as exc:
            raise _without_object_name(exc, url) from None

    async def _pause(self, attempt: int, retry_after: str | None) -> None:
        delay = self._backoff_s * 2**attempt
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after.strip()))
        await self._sleep(min(delay, self._max_backoff_s))


class _Body:
    """A response body as botocore reads it: `stream()` for parsed responses, `read()` for streaming ones."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._offset = 0

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data

    def read(self, amt: int | None = None) -> bytes:
        end = len(self._data) if amt is None else min(len(self._data), self._offset + amt)
        chunk = self._data[self._offset : end]
        self._offset = end
        return chunk

    def close(self) -> None:
        self._data = b""

    def release_conn(self) -> None:
        self.close()


class BotoBridge:
    """Sends botocore's prepared requests through StorageHttp on `loop`. `rewrite_host` maps a host botocore
    invented to the one to contact (S3 Control puts the account id in front of a custom endpoint's host)."""

    def __init__(
        self, http: StorageHttp, loop: asyncio.AbstractEventLoop, rewrite_host: Mapping[str, str] | None = None
    ) -> None:
        self.http = http
        self._loop = loop
        self._rewrite = dict(rewrite_host or {})
        self._local = threading.local()

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-send", self._send)
        return client

    async def call(self, fn: Callable[..., T], /, *args: Any, max_bytes: int = DEFAULT_MAX_BYTES, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` (a botocore client method) in a worker thread, bodies capped at max_bytes."""
        return await asyncio.to_thread(self._in_thread, fn, args, kwargs, max_bytes)

    def _in_thread(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any], max_bytes: int) -> T:
        self._local.max_bytes = max_bytes
        return fn(*args, **kwargs)

    def _send(self, request: Any, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        url = self._rewritten(str(request.url))
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode()
        headers = {str(k): v.decode() if isinstance(v, bytes) else str(v) for k, v in request.headers.items()}
        headers.pop("Host", None)
        cap = getattr(self._local, "max_bytes", DEFAULT_MAX_BYTES)
        future = asyncio.run_coroutine_threadsafe(
            self.http.request(request.method, url, headers=headers, content=body or None, max_bytes=cap),
            self._loop,
        )
        response = future.result()
        return AWSResponse(url, response.status, dict(response.headers.items()), _Body(response.body))

    def _rewritten(self, url: str) -> str:
        for invented, real in self._rewrite.items():
            marker = f"://{invented}"
            if marker in url:
                return url.replace(marker, f"://{real}", 1)
        return url
