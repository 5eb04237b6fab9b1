"""`scan web --har FILE`: Playwright's HAR of each browser session, completed, redacted, merged into one file.

Completed: Playwright writes `_webSocketMessages` with times in milliseconds, Chromium DevTools in seconds, so
times are converted to seconds; WebSockets answered locally (routing.py) have no Playwright entry and get one
(status 101, header `x-phileak: answered-locally`); binary request bodies (a gzip Clarity chunk), which
Playwright's HAR leaves empty, are put back from the capture, base64-encoded.

Redacted, everywhere a value can hide (URL, query, headers, cookies, bodies, redirect targets, response text,
WebSocket messages, page titles): canary values in any encoding and registered or pattern-shaped identifiers
(redaction.RequestRedactor). A compressed body is decompressed, redacted and compressed again; a binary body
that carries a canary value is dropped. Binary response bodies (images, fonts) and text responses above 256 KiB
are omitted. The file is written atomically with mode 0600; every target of one scan adds to the same file.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import os
import tempfile
import threading
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from phileak.phi.canary import CanaryMatcher
from phileak.probes.web.body_codec import decode_body
from phileak.probes.web.capture import WebSocketMessage
from phileak.probes.web.redaction import RequestRedactor
from phileak.probes.web.routing import ANSWERED_HEADER, ANSWERED_LOCALLY

MAX_RESPONSE_TEXT: Final = 256 * 1024
MAX_BODY_BYTES: Final = 4 * 1024 * 1024
OMITTED: Final = "omitted by phileak"
_MS_THRESHOLD: Final = 1e11  # a Unix time above this is in milliseconds
_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


class HarRedactor:
    def __init__(self, canary: CanaryMatcher | None) -> None:
        self._canary = canary
        self._text = RequestRedactor(canary)

    def text(self, value: str) -> str:
        return self._text.text(value) if value else value

    def bytes_carry_canary(self, data: bytes) -> bool:
        return bool(self._canary is not None and self._canary.find(data))


def export_har(
    raw_har: Path,
    out: Path,
    *,
    scan_id: str,
    redactor: HarRedactor,
    websockets: Sequence[WebSocketMessage] = (),
    binary_bodies: Mapping[tuple[str, str], Sequence[bytes]] | None = None,
) -> int:
    """Complete and redact the HAR at `raw_har` and add it to `out`; the number of entries added."""
    document = json.loads(raw_har.read_text(encoding="utf-8"))
    log = document.setdefault("log", {})
    entries: list[dict[str, Any]] = [e for e in log.get("entries", []) if isinstance(e, dict)]
    pages: list[dict[str, Any]] = [p for p in log.get("pages", []) if isinstance(p, dict)]
    _put_back_bodies(entries, binary_bodies or {})
    for entry in entries:
        _websocket_times_in_seconds(entry)
    entries += local_websocket_entries(websockets, pages)
    for entry in entries:
        redact_entry(entry, redactor)
    for page in pages:
        if isinstance(page.get("title"), str):
            page["title"] = redactor.text(page["title"])
    log["entries"], log["pages"] = entries, pages
    log["comment"] = _comment(scan_id)
    with _lock_for(out):
        merged = _merged_with_existing(out, document, scan_id)
        _write_private(out, merged)
    return len(entries)


def _comment(scan_id: str) -> str:
    return f"phileak scan {scan_id}: canary values and identifiers redacted"


def _lock_for(path: Path) -> threading.Lock:
    key = path.resolve()
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def _merged_with_existing(out: Path, document: dict[str, Any], scan_id: str) -> dict[str, Any]:
    """The existing file with `document`'s pages and entries added, when the file belongs to this scan."""
    try:
        existing = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return document
    old_log = existing.get("log") if isinstance(existing, dict) else None
    if not isinstance(old_log, dict) or old_log.get("comment") != _comment(scan_id):
        return document
    old_log["pages"] = [*old_log.get("pages", []), *document["log"]["pages"]]
    old_log["entries"] = [*old_log.get("entries", []), *document["log"]["entries"]]
    return {"log": old_log}


def _write_private(out: Path, document: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".phileak-har-", dir=out.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, ensure_ascii=False)
        os.chmod(temporary, 0o600)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _put_back_bodies(entries: list[dict[str, Any]], bodies: Mapping[tuple[str, str], Sequence[bytes]]) -> None:
    queues = {key: list(values) for key, values in bodies.items()}
    for entry in entries:
        request = entry.get("request")
        if not isinstance(request, dict):
            continue
        post = request.get("postData")
        if not isinstance(post, dict) or post.get("text") or not int(request.get("bodySize") or 0) > 0:
            continue
        queue = queues.get((str(request.get("method", "")).upper(), str(request.get("url", ""))))
        if queue:
            post["text"] = base64.b64encode(queue.pop(0)).decode("ascii")
            post["encoding"] = "base64"


def _websocket_times_in_seconds(entry: dict[str, Any]) -> None:
    for message in entry.get("_webSocketMessages") or []:
        moment = message.get("time") if isinstance(message, dict) else None
        if isinstance(moment, int | float) and moment > _MS_THRESHOLD:
            message["time"] = moment / 1000.0


def local_websocket_entries(
    messages: Iterable[WebSocketMessage], pages: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One HAR entry per WebSocket URL answered locally, its messages as Chromium DevTools writes them."""
    by_url: dict[str, list[WebSocketMessage]] = {}
    for message in messages:
        if message.answered_locally:
            by_url.setdefault(message.url, []).append(message)
    entries = []
    for url, items in by_url.items():
        started = datetime.fromtimestamp(items[0].timestamp, UTC)
        entry: dict[str, Any] = {
            "startedDateTime": started.isoformat().replace("+00:00", "Z"),
            "time": 0,
            "request": {"method": "GET", "url": url, "httpVersion": "HTTP/1.1", "cookies": [], "headers": [],
                        "queryString": [], "headersSize": -1, "bodySize": -1},
            "response": {"status": 101, "statusText": "Switching Protocols", "httpVersion": "HTTP/1.1",
                         "cookies": [], "headers": [{"name": ANSWERED_HEADER, "value": ANSWERED_LOCALLY}],
                         "content": {"size": 0, "mimeType": "x-unknown"}, "redirectURL": "",
                         "headersSize": -1, "bodySize": -1},
            "cache": {},
            "timings": {"send": 0, "wait": 0, "receive": 0},
            "_resourceType": "websocket",
            "_webSocketMessages": [_devtools_message(m) for m in items],
        }  # fmt: skip
        page = _page_before(pages, started)
        if page is not None:
            entry["pageref"] = page
        entries.append(entry)
    return entries


def _devtools_message(message: WebSocketMessage) -> dict[str, Any]:
    binary = isinstance(message.data, bytes)
    data = base64.b64encode(message.data).decode("ascii") if isinstance(message.data, bytes) else message.data
    return {"type": "send" if message.direction == "sent" else "receive", "time": message.timestamp,
            "opcode": 2 if binary else 1, "data": data}  # fmt: skip


def _page_before(pages: Sequence[dict[str, Any]], moment: datetime) -> str | None:
    chosen = None
    for page in pages:
        try:
            started = datetime.fromisoformat(str(page.get("startedDateTime")).replace("Z", "+00:00"))
        except ValueError:
            continue
        if started <= moment and isinstance(page.get("id"), str):
            chosen = page["id"]
    return chosen


def redact_entry(entry: dict[str, Any], redactor: HarRedactor) -> None:
    request = entry.get("request")
    if isinstance(request, dict):
        _redact_message(request, redactor)
        post = request.get("postData")
        if isinstance(post, dict):
            _redact_post(post, _header(request, "content-encoding"), redactor)
    response = entry.get("response")
    if isinstance(response, dict):
        _redact_message(response, redactor)
        if isinstance(response.get("redirectURL"), str):
            response["redirectURL"] = redactor.text(response["redirectURL"])
        content = response.get("content")
        if isinstance(content, dict):
            _trim_content(content, redactor)
    for message in entry.get("_webSocketMessages") or []:
        if isinstance(message, dict) and isinstance(message.get("data"), str):
            _redact_websocket(message, redactor)


def _redact_message(message: dict[str, Any], redactor: HarRedactor) -> None:
    if isinstance(message.get("url"), str):
        message["url"] = redactor.text(message["url"])
    for key in ("headers", "cookies", "queryString"):
        for item in message.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("value"), str):
                item["value"] = redactor.text(item["value"])


def _header(message: dict[str, Any], name: str) -> str | None:
    for item in message.get("headers") or []:
        if isinstance(item, dict) and str(item.get("name", "")).lower() == name:
            return str(item.get("value", ""))
    return None


def _redact_post(post: dict[str, Any], content_encoding: str | None, redactor: HarRedactor) -> None:
    for item in post.get("params") or []:
        if isinstance(item, dict) and isinstance(item.get("value"), str):
            item["value"] = redactor.text(item["value"])
    text = post.get("text")
    if not isinstance(text, str) or not text:
        return
    if str(post.get("encoding", "")).lower() != "base64":
        post["text"] = redactor.text(text)
        return
    try:
        raw = base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError):
        post["text"], post["comment"] = "", OMITTED
        return
    redacted = redact_binary_body(raw, content_encoding, redactor)
    if redacted is None:
        post["text"], post["comment"] = "", "binary body carrying canary values: " + OMITTED
    else:
        post["text"] = base64.b64encode(redacted).decode("ascii")


def redact_binary_body(raw: bytes, content_encoding: str | None, redactor: HarRedactor) -> bytes | None:
    """`raw` with its text redacted under the same content codings; None when it cannot be and it carries a
    canary value (then it must not be kept)."""
    decoded = decode_body(raw, content_encoding, MAX_BODY_BYTES)
    try:
        text = decoded.data.decode("utf-8")
    except UnicodeDecodeError:
        return None if redactor.bytes_carry_canary(decoded.data) or redactor.bytes_carry_canary(raw) else raw
    if decoded.truncated or decoded.undecodable:
        return None if redactor.bytes_carry_canary(decoded.data) else raw
    body = redactor.text(text).encode("utf-8")
    for coding in decoded.undone:
        if coding in ("gzip", "x-gzip"):
            body = gzip.compress(body, mtime=0)
        elif coding == "deflate":
            body = zlib.compress(body)
        else:
            return None if redactor.bytes_carry_canary(decoded.data) else raw
    return body


def _trim_content(content: dict[str, Any], redactor: HarRedactor) -> None:
    text = content.get("text")
    if not isinstance(text, str) or not text:
        return
    if str(content.get("encoding", "")).lower() == "base64" or len(text) > MAX_RESPONSE_TEXT:
        content["text"] = ""
        content.pop("encoding", None)
        content["comment"] = OMITTED
        return
    content["text"] = redactor.text(text)


def _redact_websocket(message: dict[str, Any], redactor: HarRedactor) -> None:
    data = message["data"]
    if message.get("opcode") != 2:
        message["data"] = redactor.text(data)
        return
    try:
        raw = base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError):
        message["data"] = ""
        return
    redacted = redact_binary_body(raw, None, redactor)
    message["data"] = "" if redacted is None else base64.b64encode(redacted).decode("ascii")
