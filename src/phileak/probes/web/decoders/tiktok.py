"""TikTok pixel: POST JSON to `analytics.tiktok.com/api/v2/pixel` (and `/pixel/act`, `/pixel/batch` with
`{"batch": [...]}`): `event`, `context.page.url`/`referrer`, `context.user.*` (`email`, `phone_number`,
`external_id`, SHA-256 by the pixel), `context.pixel.code`, `properties` (omnibug TikTok.js; blacklight parser.ts)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import DecodedField, Meaning
from phileak.probes.web.decoders.names import guess_meaning
from phileak.probes.web.decoders.payload import (
    body_location,
    body_pairs,
    expand_json_values,
    fields,
    strip_index_prefix,
)

_NAMES: Final = {
    "event": Meaning.EVENT,
    "context.page.url": Meaning.PAGE_URL,
    "context.page.referrer": Meaning.REFERRER,
    "context.pixel.code": Meaning.TAG_ID,
    "context.user.email": Meaning.EMAIL,
    "context.user.sha256_email": Meaning.EMAIL,
    "context.user.phone_number": Meaning.PHONE,
    "context.user.sha256_phone_number": Meaning.PHONE,
    "context.user.external_id": Meaning.EXTERNAL_ID,
    "context.user.anonymous_id": Meaning.CLIENT_ID,
    "context.ad.callback": Meaning.CLIENT_ID,
    "properties.query": Meaning.SEARCH_TERM,
    "properties.search_string": Meaning.SEARCH_TERM,
    "properties.content_name": Meaning.CONTENT,
    "properties.description": Meaning.CONTENT,
}


def meaning_of(name: str) -> Meaning:
    if name in _NAMES:
        return _NAMES[name]
    if name.startswith("properties."):
        return Meaning.CUSTOM_DATA
    return guess_meaning(name)


def decode(req: CapturedRequest) -> Iterator[DecodedField]:
    yield from fields(expand_json_values(req.query_pairs), "query", meaning_of)
    pairs = [(strip_index_prefix(name, "batch"), value) for name, value in body_pairs(req)]
    yield from fields(expand_json_values(pairs), body_location(req), meaning_of)
