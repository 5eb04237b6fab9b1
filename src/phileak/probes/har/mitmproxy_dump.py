"""mitmproxy flow dumps (`mitmdump -w FILE`, flow format 7 and later, i.e. mitmproxy 5+) into one app session.

Each HTTP flow's request (`scheme`, `host`, `port`, `authority`, `path`, `method`, `headers` as [name, value]
pairs, `content`, `timestamp_start`) becomes a CapturedRequest, its response a CapturedResponse, and each
WebSocket message (`[type, from_client, content, timestamp, ...]`) a request of its own. Other flow types (tcp,
udp, dns) are skipped and counted; a truncated tail is counted, the flows before it are kept.
Field names follow mitmproxy's get_state() (mitmproxy/http.py, websocket.py)."""

from __future__ import annotations

from typing import Any, Final

from phileak.errors import InputError
from phileak.probes.har.capture import STEP_RECORDED, Capture
from phileak.probes.har.tnetstring import iter_values
from phileak.probes.web.capture_model import CapturedRequest, CapturedResponse, CaptureSession

_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_BINARY_OPCODE: Final = 2


def looks_like_dump(data: bytes) -> bool:
    head = data[:16]
    digits = len(head) - len(head.lstrip(b"0123456789"))
    return 0 < digits <= 12 and head[digits : digits + 1] == b":"


def mitmproxy_capture(data: bytes, body_cap: int) -> Capture:
    requests: list[CapturedRequest] = []
    flows = skipped = 0
    try:
        for flow in iter_values(data):
            flows += 1
            try:
                requests.extend(_flow_requests(flow, body_cap))
            except (KeyError, TypeError, ValueError, AttributeError, IndexError):
                skipped += 1
    except (ValueError, RecursionError) as exc:
        if flows == 0:
            raise InputError(f"not a mitmproxy flow dump: {exc}") from None
        flows += 1
        skipped += 1  # the truncated or corrupt tail
    session = CaptureSession(page_url=None, requests=tuple(requests), step=STEP_RECORDED, app=True)
    return Capture("mitmproxy", (session,), flows, skipped, has_pages=False)


def _flow_requests(flow: Any, body_cap: int) -> list[CapturedRequest]:
    if not isinstance(flow, dict) or _text(flow.get("type", "http")) != "http":
        raise ValueError("not an HTTP flow")
    request = flow["request"]
    url = _url(request)
    response = _response(flow.get("response"))
    requests = [
        CapturedRequest.build(
            url,
            method=_text(request.get("method") or b"GET"),
            headers=_headers(request.get("headers")),
            body=_bytes(request.get("content", request.get("body"))),
            body_cap=body_cap,
            timestamp=_number(request.get("timestamp_start")),
            response=response,
        )
    ]
    websocket = flow.get("websocket")
    messages = websocket.get("messages") if isinstance(websocket, dict) else None
    for message in messages or []:
        kind, from_client, content = message[0], message[1], message[2]
        body = _bytes(content) or b""
        requests.append(
            CapturedRequest.build(
                url.replace("https://", "wss://", 1).replace("http://", "ws://", 1),
                body=body if kind == _BINARY_OPCODE else body.decode("utf-8", "replace").encode(),
                body_cap=body_cap,
                resource_type="websocket",
                timestamp=_number(message[3]) if len(message) > 3 else None,
                is_websocket_message=True,
                direction="sent" if from_client else "received",
            )
        )
    return requests


def _url(request: dict[str, Any]) -> str:
    scheme = _text(request["scheme"]).lower()
    host = _text(request["host"])
    port = int(request["port"])
    authority = _text(request.get("authority") or b"")
    path = _text(request["path"])
    if path.startswith(("http://", "https://")):
        return path  # a proxy-form request line
    if not authority:
        shown = f"[{host}]" if ":" in host else host
        authority = shown if _DEFAULT_PORTS.get(scheme) == port else f"{shown}:{port}"
    return f"{scheme}://{authority}{path}"


def _response(response: Any) -> CapturedResponse | None:
    if not isinstance(response, dict) or not isinstance(response.get("status_code"), int):
        return None
    return CapturedResponse.build(response["status_code"], _headers(response.get("headers")))


def _headers(items: Any) -> list[tuple[str, str]]:
    if not isinstance(items, list):
        return []
    return [(_text(item[0]), _text(item[1])) for item in items if isinstance(item, list | tuple) and len(item) == 2]


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if isinstance(value, str):
        return value
    raise TypeError("expected text")


def _bytes(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    raise TypeError("expected bytes")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
