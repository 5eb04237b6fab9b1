"""The flow model every capture fills: the browser (Playwright), HAR files and mitmproxy dumps.

A `CapturedRequest` is one thing that left the browser or app: an HTTP request (beacons, keepalive fetches and
service-worker requests included) or one WebSocket message. A `CaptureSession` is the page it left from, with
the page context that decides what a leak means legally (authenticated, identity collected, condition page).

Header names are lower-case; the body is decoded from its content coding (gzip, deflate, br, or bare gzip
magic) and capped. Bodies and URLs hold raw captured data in memory only: `repr` shows neither.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import parse_qsl, urlsplit

from phileak.probes.web.body_codec import decode_body

MAX_BODY_BYTES: Final = 2 * 1024 * 1024
"""Decoded request bodies are cut at this size (and flagged `body_truncated`)."""

STEP_LANDING: Final = "landing"
STEP_SEARCH: Final = "search"
STEP_FORM_FILLED: Final = "form-filled"
STEP_FORM_SUBMITTED: Final = "form-submitted"
STEP_LOGGED_IN: Final = "logged-in"
STEPS: Final = (STEP_LANDING, STEP_SEARCH, STEP_FORM_FILLED, STEP_FORM_SUBMITTED, STEP_LOGGED_IN)
"""The usual step labels; flows may use their own."""

Direction = Literal["sent", "received"]
HeaderPairs = Iterable[tuple[str, str]] | Mapping[str, str]


@dataclass(frozen=True, slots=True, repr=False)
class CapturedResponse:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    set_cookies: tuple[str, ...] = ()  # each Set-Cookie header value, as received

    @classmethod
    def build(
        cls, status: int, headers: HeaderPairs = (), set_cookies: Iterable[str] | None = None
    ) -> CapturedResponse:
        pairs = lower_header_names(headers)
        cookies = tuple(set_cookies) if set_cookies is not None else tuple(v for k, v in pairs if k == "set-cookie")
        return cls(status=status, headers=pairs, set_cookies=cookies)

    def cookie_names(self) -> list[str]:
        """Names of the cookies this response set, in order, without their values."""
        return [c.split("=", 1)[0].strip() for c in self.set_cookies if "=" in c]

    def __repr__(self) -> str:
        return f"CapturedResponse({self.status}, {len(self.headers)} headers)"


@dataclass(frozen=True, slots=True, repr=False)
class CapturedRequest:
    """One request (or WebSocket message) as sent. Build it with `CapturedRequest.build`."""

    url: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    body_truncated: bool = False
    body_undecodable: str | None = None  # a content coding left in place ("br" with no brotli library)
    resource_type: str | None = None  # Playwright/CDP: document, script, xhr, fetch, ping, image, websocket, ...
    frame_url: str | None = None
    page_url: str | None = None
    step: str | None = None  # the step label of whatever triggered it ("form-filled", "search", a flow's label)
    timestamp: float | None = None  # seconds since the epoch
    cookies: tuple[tuple[str, str], ...] = ()  # cookies sent with it
    is_websocket_message: bool = False
    direction: Direction | None = None  # WebSocket messages only
    redirect_from: str | None = None
    response: CapturedResponse | None = None

    @classmethod
    def build(
        cls,
        url: str,
        *,
        method: str = "GET",
        headers: HeaderPairs = (),
        body: bytes | str | None = None,
        body_cap: int = MAX_BODY_BYTES,
        cookies: Iterable[tuple[str, str]] | None = None,
        resource_type: str | None = None,
        frame_url: str | None = None,
        page_url: str | None = None,
        step: str | None = None,
        timestamp: float | None = None,
        is_websocket_message: bool = False,
        direction: Direction | None = None,
        redirect_from: str | None = None,
        response: CapturedResponse | None = None,
    ) -> CapturedRequest:
        """Lower-cases header names, decodes the body by its Content-Encoding (or gzip magic) up to
        `body_cap` bytes, and reads the cookies from the Cookie header when `cookies` is not given."""
        pairs = lower_header_names(headers)
        raw = body.encode("utf-8", "surrogateescape") if isinstance(body, str) else (body or b"")
        content_encoding = None if is_websocket_message else _first(pairs, "content-encoding")
        decoded = decode_body(raw, content_encoding, body_cap)
        sent_cookies = tuple(cookies) if cookies is not None else parse_cookie_header(_first(pairs, "cookie"))
        return cls(
            url=url,
            method=method.upper(),
            headers=pairs,
            body=decoded.data,
            body_truncated=decoded.truncated,
            body_undecodable=decoded.undecodable,
            resource_type=resource_type.lower() if resource_type else None,
            frame_url=frame_url,
            page_url=page_url,
            step=step,
            timestamp=timestamp,
            cookies=sent_cookies,
            is_websocket_message=is_websocket_message,
            direction=direction,
            redirect_from=redirect_from,
            response=response,
        )

    def __repr__(self) -> str:
        kind = f"ws-{self.direction or '?'}" if self.is_websocket_message else self.method
        return f"CapturedRequest({kind} {self.host or '?'}, {len(self.body)} body bytes)"

    @property
    def host(self) -> str | None:
        try:
            host = urlsplit(self.url).hostname
        except ValueError:
            return None
        return host.lower() if host else None

    @property
    def path(self) -> str:
        try:
            return urlsplit(self.url).path or "/"
        except ValueError:
            return "/"

    @property
    def query_pairs(self) -> list[tuple[str, str]]:
        try:
            query = urlsplit(self.url).query
        except ValueError:
            return []
        return parse_qsl(query, keep_blank_values=True)

    @property
    def content_type(self) -> str:
        """The media type of the body, lower-case, without parameters ("" when not given)."""
        value = self.header("content-type") or ""
        return value.split(";", 1)[0].strip().lower()

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        return _first(self.headers, name.lower())

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [v for k, v in self.headers if k == wanted]

    def body_text(self) -> str | None:
        """The body as UTF-8 text; None when it is empty or not text."""
        if not self.body:
            return None
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def cookie_names(self) -> list[str]:
        return [name for name, _ in self.cookies]


@dataclass(frozen=True, slots=True, repr=False)
class CaptureSession:
    """The requests one page sent during one step, with the page context leaks are judged by.

    `authenticated`: the page was reached after logging in (portal). `identity_collected`: identifying data was
    typed into the page (booking, symptom checker, sign-up). `condition_page`: the crawler classified the page as
    about a health condition or provider (leak detection also tells by the condition vocabulary). `app`: traffic
    from a mobile or desktop app, not a web page (HAR/mitmproxy imports)."""

    page_url: str | None
    requests: tuple[CapturedRequest, ...] = ()
    title: str | None = None
    step: str = STEP_LANDING
    authenticated: bool = False
    identity_collected: bool = False
    condition_page: bool = False
    app: bool = False

    def __repr__(self) -> str:
        return f"CaptureSession(step={self.step!r}, {len(self.requests)} requests)"


def lower_header_names(headers: HeaderPairs) -> tuple[tuple[str, str], ...]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return tuple((str(name).strip().lower(), str(value)) for name, value in items)


def parse_cookie_header(value: str | None) -> tuple[tuple[str, str], ...]:
    """The (name, value) pairs of a Cookie request header; tolerant of values SimpleCookie refuses."""
    if not value:
        return ()
    pairs = []
    for part in value.split(";"):
        name, sep, cookie_value = part.strip().partition("=")
        if sep and name:
            pairs.append((name.strip(), cookie_value.strip()))
    return tuple(pairs)


def _first(pairs: tuple[tuple[str, str], ...], name: str) -> str | None:
    return next((v for k, v in pairs if k == name), None)


@dataclass(frozen=True, slots=True, repr=False)
class WireRecord:
    """A request as the third-party gate (gate.py) received and answered it: headers as on the wire (Cookie and
    Set-Cookie included) and the body (up to MAX_BODY_BYTES), which the browser's events may lack (a Blob
    beacon's)."""

    request_headers: tuple[tuple[str, str], ...]
    answer_headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    received: float = field(default_factory=time.monotonic)

    def __repr__(self) -> str:
        return f"WireRecord({len(self.request_headers)} headers, {len(self.body)} bytes)"
