"""The decoder every third-party request gets: query and body parameters (JSON flattened to key paths, JSON
inside values expanded), cookies, and the headers that can carry data (Referer, custom X- headers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import DecodedField, Meaning
from phileak.probes.web.decoders.names import guess_meaning
from phileak.probes.web.decoders.payload import body_location, body_pairs, expand_json_values, fields

# Headers a browser or client library sets by itself; the rest may carry page or user data.
_ROUTINE_HEADERS: Final = frozenset(
    {
        "accept", "accept-encoding", "accept-language", "cache-control", "connection", "content-length",
        "content-type", "content-encoding", "cookie", "host", "origin", "pragma", "priority", "te", "upgrade",
        "upgrade-insecure-requests", "user-agent", "dnt", "sec-gpc", "if-none-match", "if-modified-since", "range",
        "keep-alive", "transfer-encoding", "purpose", "x-requested-with", "x-client-data",
    }
)  # fmt: skip


def decode(req: CapturedRequest) -> Iterator[DecodedField]:
    yield from fields(expand_json_values(req.query_pairs), "query", guess_meaning)
    yield from fields(expand_json_values(body_pairs(req)), body_location(req), guess_meaning)
    for name, value in req.cookies:
        yield DecodedField(name=name, meaning=Meaning.COOKIE, value=value, location="cookie")
    for name, value in req.headers:
        if name == "referer":
            yield DecodedField(name="referer", meaning=Meaning.REFERRER, value=value, location="header")
        elif name not in _ROUTINE_HEADERS and not name.startswith(("sec-", ":")):
            yield DecodedField(name=name, meaning=Meaning.HEADER, value=value, location="header")
