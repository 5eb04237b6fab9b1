"""Everything a browser context sends, cut into steps: the Playwright side of the capture seam.

Context-level `request` and `response` events see every request of every page, frame, worker and service worker
(beacons, keepalive fetches and redirect hops included: a redirect hop is its own request with
`redirected_from`); WebSocket messages come from the router (routing.py), which sees both directions. A step is
what one action on one page caused ("landing", "search", "form-filled"...): a request belongs to the open step
of its page, or, with no page (service workers), to the latest step. A request that arrives after its step was
closed is delivered with the next closed step, keeping its own step label.

Third-party requests and responses get all their headers with `headers_array()` (Cookie and Set-Cookie included:
`request.headers` has only a few) when the step closes, each under a short timeout, so a request that never
completed cannot hold the crawl; first-party ones keep Playwright's provisional headers (leak detection looks at
third parties only, and each lookup is a round trip to the driver). The cookie jar is read after a step only when
a third party could have set a cookie in it (a Set-Cookie answer, a third-party frame).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from phileak.probes.web.capture_model import MAX_BODY_BYTES, CapturedRequest, CapturedResponse, WireRecord

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page, Request, Response

log = logging.getLogger(__name__)

WireRecordSource = Callable[[str, str], WireRecord | None]  # (method, URL) -> the gate's record, taken once

HEADER_TIMEOUT_S: Final = 2.0
TITLE_TIMEOUT_S: Final = 2.0
MAX_REQUESTS_PER_STEP: Final = 5000
MAX_BINARY_BODY_BYTES: Final = 64 * 1024 * 1024
MAX_LOGGED_WEBSOCKET_MESSAGES: Final = 20_000


@dataclass(frozen=True, slots=True, repr=False)
class CookieRecord:
    """A cookie in the browser's jar for a third-party domain (set by a response or by a vendor's script)."""

    domain: str
    name: str
    value: str
    path: str = "/"
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None

    def __repr__(self) -> str:
        return f"CookieRecord({self.domain} {self.name})"


@dataclass(frozen=True, slots=True, repr=False)
class WebSocketMessage:
    url: str
    direction: str  # "sent" | "received"
    data: str | bytes
    timestamp: float
    answered_locally: bool

    def __repr__(self) -> str:
        return f"WebSocketMessage({self.direction} {len(self.data)} bytes)"


@dataclass(frozen=True, slots=True, repr=False)
class StepCapture:
    """What one step sent. `cookies`: third-party cookies that appeared in the jar during the step."""

    label: str
    page_url: str | None
    title: str | None
    requests: tuple[CapturedRequest, ...]
    cookies: tuple[CookieRecord, ...] = ()
    dropped: int = 0  # requests beyond MAX_REQUESTS_PER_STEP, counted, not kept

    def __repr__(self) -> str:
        return f"StepCapture({self.label!r}, {len(self.requests)} requests)"


@dataclass(slots=True, eq=False)
class _Entry:
    request: Request
    label: str
    timestamp: float
    page_url: str | None
    frame_url: str | None
    response: Response | None = None


@dataclass(slots=True, eq=False)
class _Message:
    message: WebSocketMessage
    label: str
    page_url: str | None


@dataclass(eq=False)
class Step:
    label: str
    page: Page | None
    entries: list[_Entry] = field(default_factory=list)
    messages: list[_Message] = field(default_factory=list)
    closed: bool = False
    dropped: int = 0


class Capture:
    """Records a browser context's traffic. `attach()` once; then `begin(page, label)` / `await end(step)`."""

    def __init__(
        self,
        context: BrowserContext,
        *,
        is_first_party: Callable[[str], bool],
        body_cap: int = MAX_BODY_BYTES,
        keep_binary_bodies: bool = False,  # a HAR is recorded: keep what it lacks (binary bodies, WebSocket log)
        wire_records: WireRecordSource | None = None,  # the third-party gate's records (gate.py), if there is one
    ) -> None:
        self._wire_records = wire_records
        self._context = context
        self._keep_binary = keep_binary_bodies
        self._is_first_party = is_first_party
        self._body_cap = body_cap
        self._open: dict[Page, Step] = {}
        self._latest: Step | None = None
        self._late_entries: list[_Entry] = []
        self._late_messages: list[_Message] = []
        self._by_request: dict[Request, _Entry] = {}
        self._cookies_seen: set[tuple[str, str, str, str]] = set()
        self.websocket_log: list[WebSocketMessage] = []
        # Raw bodies that are not UTF-8 (gzip chunks...), which Playwright's HAR leaves empty; har_export puts
        # them back. Only kept when a HAR is recorded, up to MAX_BINARY_BODY_BYTES in all.
        self.binary_bodies: dict[tuple[str, str], list[bytes]] = {}
        self._binary_bytes = 0
        self.requests_seen = 0
        self.on_redirect: Callable[[str], None] | None = None  # called with each redirect hop's URL

    def attach(self) -> None:
        self._context.on("request", self._on_request)
        self._context.on("response", self._on_response)

    def begin(self, page: Page | None, label: str) -> Step:
        """Open a step; a step still open on the same page is closed (its later requests go to the next)."""
        previous = self._open.pop(page, None) if page is not None else None
        if previous is not None:
            previous.closed = True
        step = Step(label, page)
        if page is not None:
            self._open[page] = step
        self._latest = step
        return step

    def open_step(self, page: Page) -> Step | None:
        return self._open.get(page)

    async def end(self, step: Step, *, title: bool = True, page_url: str | None = None) -> StepCapture:
        """Close `step` and turn what it saw (plus late arrivals of closed steps) into captured requests.
        `page_url` overrides the page's current URL (a navigation that failed leaves the previous one)."""
        step.closed = True
        if step.page is not None and self._open.get(step.page) is step:
            del self._open[step.page]
        entries = self._late_entries + step.entries
        messages = self._late_messages + step.messages
        self._late_entries, self._late_messages = [], []
        for entry in entries:
            self._by_request.pop(entry.request, None)
        requests = await asyncio.gather(*(self._convert(entry) for entry in entries))
        captured = [r for r in requests if r is not None]
        jar_may_have_changed = any(self._third_party_cookie_source(r) for r in captured)
        captured += [self._convert_message(m) for m in messages]
        captured.sort(key=lambda r: r.timestamp or 0.0)
        page_title = await _page_title(step.page) if title and page_url is None else None
        page_url = page_url or _page_url(step.page)
        cookies = await self._new_third_party_cookies() if jar_may_have_changed else ()
        return StepCapture(step.label, page_url, page_title, tuple(captured), cookies, step.dropped)

    def record_websocket(self, url: str, direction: str, data: str | bytes, *, answered_locally: bool) -> None:
        message = WebSocketMessage(url, direction, data, time.time(), answered_locally)
        if self._keep_binary and len(self.websocket_log) < MAX_LOGGED_WEBSOCKET_MESSAGES:
            self.websocket_log.append(message)  # for the HAR
        step = self._latest
        if step is None or step.closed:
            self._late_messages.append(_Message(message, step.label if step else "landing", _page_url(None)))
            return
        step.messages.append(_Message(message, step.label, _page_url(step.page)))

    def _on_request(self, request: Request) -> None:
        self.requests_seen += 1
        if self.on_redirect is not None and request.redirected_from is not None:
            self.on_redirect(request.url)
        page, frame_url = _origin_of(request)
        step = self._open.get(page) if page is not None else None
        if step is None:
            step = self._latest
        entry = _Entry(request, step.label if step else "landing", time.time(), _page_url(page), frame_url)
        if step is None or step.closed:
            self._late_entries.append(entry)
        elif len(step.entries) >= MAX_REQUESTS_PER_STEP:
            step.dropped += 1
            return
        else:
            step.entries.append(entry)
        self._by_request[request] = entry

    def _on_response(self, response: Response) -> None:
        entry = self._by_request.get(response.request)
        if entry is not None:
            entry.response = response

    def _third_party_cookie_source(self, request: CapturedRequest) -> bool:
        host = request.host
        if host is None or self._is_first_party(host):
            return False
        return request.resource_type == "document" or bool(request.response and request.response.set_cookies)

    async def _convert(self, entry: _Entry) -> CapturedRequest | None:
        request = entry.request
        host = urlsplit(request.url).hostname or ""
        full = not self._is_first_party(host)
        pairs = list(request.headers.items())
        wire = self._wire_records(request.method, request.url) if full and self._wire_records is not None else None
        if wire is not None:
            pairs = list(wire.request_headers)
        elif full:
            with contextlib.suppress(Exception):
                headers = await _bounded(request.headers_array(), HEADER_TIMEOUT_S)
                pairs = [(h["name"], h["value"]) for h in headers]
        try:
            body = request.post_data_buffer
        except Exception:
            body = None
        if wire is not None and wire.body and not body:  # Chromium's events leave a Blob beacon's body out
            body = wire.body
        if body and self._keep_binary:
            self._keep_if_binary(request.method, request.url, body)
        redirected = request.redirected_from
        return CapturedRequest.build(
            request.url,
            method=request.method,
            headers=pairs,
            body=body,
            body_cap=self._body_cap,
            resource_type=request.resource_type,
            frame_url=entry.frame_url,
            page_url=entry.page_url,
            step=entry.label,
            timestamp=entry.timestamp,
            redirect_from=redirected.url if redirected is not None else None,
            response=await _response(entry.response, full=full, wire=wire.answer_headers if wire is not None else None),
        )

    def _keep_if_binary(self, method: str, url: str, body: bytes) -> None:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            if self._binary_bytes + len(body) <= MAX_BINARY_BODY_BYTES:
                self._binary_bytes += len(body)
                self.binary_bodies.setdefault((method.upper(), url), []).append(body)

    def _convert_message(self, item: _Message) -> CapturedRequest:
        message = item.message
        return CapturedRequest.build(
            message.url,
            body=message.data,
            body_cap=self._body_cap,
            resource_type="websocket",
            page_url=item.page_url,
            step=item.label,
            timestamp=message.timestamp,
            is_websocket_message=True,
            direction="sent" if message.direction == "sent" else "received",
        )

    async def _new_third_party_cookies(self) -> tuple[CookieRecord, ...]:
        try:
            jar = await _bounded(self._context.cookies(), HEADER_TIMEOUT_S)
        except Exception:
            return ()
        fresh = []
        for cookie in jar:
            domain = str(cookie.get("domain", "")).lstrip(".")
            key = (domain, str(cookie.get("name", "")), str(cookie.get("value", "")), str(cookie.get("path", "/")))
            if not domain or self._is_first_party(domain) or key in self._cookies_seen:
                continue
            self._cookies_seen.add(key)
            fresh.append(
                CookieRecord(
                    domain=domain,
                    name=key[1],
                    value=key[2],
                    path=key[3],
                    secure=bool(cookie.get("secure")),
                    http_only=bool(cookie.get("httpOnly")),
                    same_site=str(cookie["sameSite"]) if cookie.get("sameSite") else None,
                )
            )
        return tuple(fresh)


def _origin_of(request: Request) -> tuple[Page | None, str | None]:
    try:
        frame = request.frame
    except Exception:  # service-worker and some worker requests have no frame
        return None, None
    try:
        return frame.page, frame.url
    except Exception:
        return None, None


def _page_url(page: Page | None) -> str | None:
    if page is None:
        return None
    try:
        url = page.url
    except Exception:
        return None
    return url if url and url.startswith(("http://", "https://")) else None


async def _page_title(page: Page | None) -> str | None:
    if page is None or page.is_closed():
        return None
    try:
        title = await _bounded(page.title(), TITLE_TIMEOUT_S)
    except Exception:
        return None
    return str(title).strip()[:500] or None


async def _response(
    response: Response | None, *, full: bool, wire: tuple[tuple[str, str], ...] | None = None
) -> CapturedResponse | None:
    if response is None:
        return None
    if wire is not None:
        return CapturedResponse.build(response.status, wire)
    pairs = list(response.headers.items())
    if full:
        with contextlib.suppress(Exception):
            headers = await _bounded(response.headers_array(), HEADER_TIMEOUT_S)
            pairs = [(h["name"], h["value"]) for h in headers]
    return CapturedResponse.build(response.status, pairs)


async def _bounded(awaitable: Any, seconds: float) -> Any:
    return await asyncio.wait_for(awaitable, seconds)
