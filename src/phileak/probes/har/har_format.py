"""HAR 1.2 (Chromium DevTools, Playwright, mitmproxy's HAR export, Charles, Fiddler) into capture sessions.

One session per page (`pageref`); entries without a page (service workers, app traffic) form one more. A HAR
without pages is an app capture. Chromium's `_resourceType` and `_webSocketMessages` (one request per message
sent) are read; postData `text` (or `params`) is the body, base64 when `encoding` says so; `redirectURL` links
redirects. A malformed entry is skipped and counted, never fatal; a file that is not HAR is an InputError.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urljoin

from phileak.errors import InputError
from phileak.probes.har.capture import STEP_RECORDED, Capture
from phileak.probes.web.capture_model import CapturedRequest, CapturedResponse, CaptureSession

_SCHEMES = ("http://", "https://", "ws://", "wss://")


def har_capture(document: Any, body_cap: int) -> Capture:
    if not isinstance(document, dict) or not isinstance(document.get("log"), dict):
        raise InputError('not a HAR file: no "log" object')
    log = document["log"]
    entries = log.get("entries")
    if not isinstance(entries, list):
        raise InputError("not a HAR file: no log.entries list")
    raw_pages = log.get("pages")
    pages = {p["id"]: p for p in raw_pages or [] if isinstance(p, dict) and isinstance(p.get("id"), str)}
    grouped: dict[str | None, list[CapturedRequest]] = {}
    redirected_from: dict[str, str] = {}
    skipped = 0
    for entry in entries:
        try:
            requests = list(_entry_requests(entry, body_cap, redirected_from))
        except (KeyError, TypeError, ValueError, AttributeError, binascii.Error):
            skipped += 1
            continue
        pageref = entry.get("pageref")
        grouped.setdefault(pageref if isinstance(pageref, str) and pageref in pages else None, []).extend(requests)
    sessions = []
    for pageref, requests in grouped.items():
        page = pages.get(pageref) if pageref is not None else None
        url, title = _page_identity(page, requests)
        sessions.append(
            CaptureSession(page_url=url, requests=tuple(requests), title=title, step=STEP_RECORDED, app=not pages)
        )
    return Capture("har", tuple(sessions), len(entries), skipped, bool(pages))


def _entry_requests(entry: Any, body_cap: int, redirected_from: dict[str, str]) -> Iterator[CapturedRequest]:
    request = entry["request"]
    url = request["url"]
    if not isinstance(url, str) or not url.lower().startswith(_SCHEMES):
        raise ValueError("entry without an http(s) or ws(s) URL")
    headers = _pairs(request.get("headers"))
    cookies = _pairs(request.get("cookies")) or None
    timestamp = _timestamp(entry.get("startedDateTime"))
    resource_type = entry.get("_resourceType") if isinstance(entry.get("_resourceType"), str) else None
    response = _response(entry.get("response"))
    location = entry.get("response", {}).get("redirectURL") if isinstance(entry.get("response"), dict) else None
    if isinstance(location, str) and location:
        redirected_from[urljoin(url, location)] = url
    yield CapturedRequest.build(
        url,
        method=str(request.get("method") or "GET"),
        headers=headers,
        body=_post_body(request.get("postData")),
        body_cap=body_cap,
        cookies=cookies,
        resource_type=resource_type,
        timestamp=timestamp,
        redirect_from=redirected_from.get(url),
        response=response,
    )
    messages = entry.get("_webSocketMessages")
    if isinstance(messages, list):
        for message in messages:
            yield _websocket_message(url, message, body_cap)


def _websocket_message(url: str, message: Any, body_cap: int) -> CapturedRequest:
    data = message.get("data")
    if not isinstance(data, str):
        raise ValueError("WebSocket message without data")
    body = base64.b64decode(data, validate=True) if message.get("opcode") == 2 else data.encode("utf-8")
    moment = message.get("time")
    return CapturedRequest.build(
        url,
        method="GET",
        body=body,
        body_cap=body_cap,
        resource_type="websocket",
        timestamp=float(moment) if isinstance(moment, int | float) else None,
        is_websocket_message=True,
        direction="sent" if message.get("type") == "send" else "received",
    )


def _pairs(items: Any) -> list[tuple[str, str]]:
    if not isinstance(items, list):
        return []
    return [
        (item["name"], str(item.get("value", "")))
        for item in items
        if isinstance(item, dict) and isinstance(item.get("name"), str)
    ]


def _post_body(post: Any) -> bytes | None:
    if not isinstance(post, dict):
        return None
    text = post.get("text")
    if isinstance(text, str):
        if str(post.get("encoding", "")).lower() == "base64":
            return base64.b64decode(text, validate=False)
        return text.encode("utf-8", "surrogateescape")
    params = _pairs(post.get("params"))
    return urlencode(params).encode() if params else None


def _response(response: Any) -> CapturedResponse | None:
    if not isinstance(response, dict) or not isinstance(response.get("status"), int):
        return None
    headers = _pairs(response.get("headers"))
    set_cookies = [v for k, v in headers if k.lower() == "set-cookie"]
    if not set_cookies:
        set_cookies = [f"{name}={value}" for name, value in _pairs(response.get("cookies"))]
    return CapturedResponse.build(response["status"], headers, set_cookies)


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def _page_identity(page: dict[str, Any] | None, requests: list[CapturedRequest]) -> tuple[str | None, str | None]:
    """The page URL and title: Chromium writes the URL as the page title; Playwright and others the title."""
    title = page.get("title") if page is not None and isinstance(page.get("title"), str) else None
    if page is None:
        return None, None
    if title and title.lower().startswith(("http://", "https://")):
        return title, None
    document = next((r for r in requests if r.resource_type == "document"), None)
    first = document or next((r for r in requests if not r.is_websocket_message), None)
    return (first.url if first else None), (title or None)
