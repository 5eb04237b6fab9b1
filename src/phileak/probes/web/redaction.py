"""Redacted copies of captured requests, for evidence: what was sent, where, in which shape, never the values.

Three passes over each rendered text: canary values in any form and encoding (the canary matcher finds its own
hashes, base64 and percent-encodings) become "[canary <field> <encoding>]"; values the caller knows to be
identifiers (PHI-engine detections, decoder identity fields) become their phi.redact shapes; then logsafe.scrub
catches registered values and pattern-shaped identifiers (emails, phones, dates). Texts are cut only after
redaction, so a cut never leaves part of a value in clear.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from phileak import logsafe
from phileak.phi.canary import CanaryMatcher
from phileak.phi.redact import redact, redact_id
from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders.payload import looks_hashed

MAX_URL_CHARS: Final = 1500
MAX_BODY_CHARS: Final = 2000
MAX_HEADER_CHARS: Final = 500
SHOWN_HEADERS: Final = ("referer", "origin", "content-type", "accept")
ELLIPSIS: Final = "…"


class RequestRedactor:
    """Renders requests and texts with canary values and known identifiers replaced by redacted forms."""

    def __init__(self, canary: CanaryMatcher | None) -> None:
        self._canary = canary

    def text(self, text: str, sensitive: Mapping[str, str] | None = None, limit: int | None = None) -> str:
        """`text` redacted; `sensitive` maps raw values found in it to their category ("email", "mrn", ...)."""
        if self._canary is not None:
            text = _replace_spans(
                text, [(m.start, m.end, f"[canary {m.field} {m.encoding}]") for m in self._canary.find(text)]
            )
        for value, category in sorted((sensitive or {}).items(), key=lambda item: -len(item[0])):
            if len(value) >= 2 and value in text:
                text = text.replace(value, _shape(category, value))
        text = logsafe.scrub(text)
        if limit is not None and len(text) > limit:
            text = text[: limit - 1] + ELLIPSIS
        return text

    def url(self, url: str, sensitive: Mapping[str, str] | None = None) -> str:
        return self.text(readable_url(url), sensitive, MAX_URL_CHARS)

    def request(self, req: CapturedRequest, sensitive: Mapping[str, str] | None = None) -> dict[str, Any]:
        """A redacted copy of `req` for evidence: method, URL (query decoded), a few headers, cookie names,
        the body (decoded, capped)."""
        copy: dict[str, Any] = {
            "method": "WS" if req.is_websocket_message else req.method,
            "url": self.url(req.url, sensitive),
        }
        if req.is_websocket_message:
            copy["direction"] = req.direction
        headers = {
            name: self.text(value, sensitive, MAX_HEADER_CHARS) for name, value in req.headers if name in SHOWN_HEADERS
        }
        if headers:
            copy["headers"] = headers
        if req.cookies:
            copy["cookies"] = sorted({name for name, _ in req.cookies})
        body = self.body(req, sensitive)
        if body is not None:
            copy["body"] = body
            copy["body_bytes"] = len(req.body)
        if req.body_truncated:
            copy["body_truncated"] = True
        if req.resource_type:
            copy["resource_type"] = req.resource_type
        return copy

    def body(self, req: CapturedRequest, sensitive: Mapping[str, str] | None = None) -> str | None:
        if not req.body:
            return None
        text = req.body_text()
        if text is None:
            found = self._canary.find(req.body) if self._canary is not None else []
            marks = "".join(f" [canary {m.field} {m.encoding}]" for m in found[:10])
            return f"<{len(req.body)} bytes of binary data>{marks}"
        return self.text(text, sensitive, MAX_BODY_CHARS)

    def excerpt(self, req: CapturedRequest, sensitive: Mapping[str, str] | None = None) -> str:
        """One short text: "<METHOD> <url>" and the start of the body."""
        head = f"{'WS' if req.is_websocket_message else req.method} {self.url(req.url, sensitive)}"
        body = self.body(req, sensitive)
        return head if body is None else f"{head}\n{body[:600]}"


def readable_url(url: str) -> str:
    """`url` with its query string percent-decoded (one pair per `&`), so values read as the vendor reads them."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = "&".join(f"{name}={value}" for name, value in pairs)
    base = url.split("?", 1)[0]
    return f"{base}?{query}"


def _shape(category: str, value: str) -> str:
    if looks_hashed(value):
        return f"[{category} hash {redact_id(value)}]"
    return redact(category, value)


def _replace_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    if not spans:
        return text
    out = []
    done = 0
    for start, end, replacement in sorted(spans):
        if start < done:
            continue
        out += [text[done:start], replacement]
        done = end
    return "".join(out) + text[done:]
