"""Meta Pixel: GET/POST facebook.com/tr. `ev` event, `dl` page URL, `rl` referrer, `cd[...]` custom data (incl.
automatic events' `cd[buttonText]`, `cd[formFeatures]`, `cd[pageFeatures]` JSON), `ud[...]` / `udff[...]`
advanced matching (SHA-256 hex of normalised values). POST bodies are form-encoded, multipart (FormData
beacons), newline-batched, or a Conversions-API-style JSON batch ({"data": [{event_name, user_data, ...}]})."""

from __future__ import annotations

import re
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

USER_DATA_KEYS: Final = {
    "em": Meaning.EMAIL,
    "ph": Meaning.PHONE,
    "fn": Meaning.FIRST_NAME,
    "ln": Meaning.LAST_NAME,
    "f5first": Meaning.FIRST_NAME,
    "f5last": Meaning.LAST_NAME,
    "fi": Meaning.FIRST_NAME,
    "ge": Meaning.GENDER,
    "db": Meaning.DATE_OF_BIRTH,
    "dobd": Meaning.DATE_OF_BIRTH,
    "dobm": Meaning.DATE_OF_BIRTH,
    "doby": Meaning.DATE_OF_BIRTH,
    "ct": Meaning.CITY,
    "st": Meaning.STATE,
    "zp": Meaning.ZIP,
    "country": Meaning.COUNTRY,
    "external_id": Meaning.EXTERNAL_ID,
}
_TOP: Final = {
    "ev": Meaning.EVENT,
    "event_name": Meaning.EVENT,
    "dl": Meaning.PAGE_URL,
    "event_source_url": Meaning.PAGE_URL,
    "rl": Meaning.REFERRER,
    "id": Meaning.TAG_ID,
    "es": Meaning.EVENT_PARAM,
}
_CUSTOM: Final = {
    "search_string": Meaning.SEARCH_TERM,
    "content_name": Meaning.CONTENT,
    "content_category": Meaning.CONTENT,
    "content_ids": Meaning.CONTENT,
    "buttonText": Meaning.BUTTON_TEXT,
    "buttonFeatures": Meaning.BUTTON_TEXT,
    "formFeatures": Meaning.FORM_FIELDS,
    "pageFeatures": Meaning.PAGE_TITLE,
}
_BRACKETED = re.compile(r"(ud|udff|cd|user_data|custom_data)(?:\[([^\]]+)\]|\.([A-Za-z0-9_]+))")


def meaning_of(name: str) -> Meaning:
    match = _BRACKETED.match(name)
    if match is not None:
        group, key = match.group(1), match.group(2) or match.group(3)
        if group in ("ud", "udff", "user_data"):
            return USER_DATA_KEYS.get(key, Meaning.OTHER)
        if name.endswith((".title", "[title]")):
            return Meaning.PAGE_TITLE
        return _CUSTOM.get(key, Meaning.CUSTOM_DATA)
    return _TOP.get(name, guess_meaning(name))


def decode(req: CapturedRequest) -> Iterator[DecodedField]:
    yield from fields(expand_json_values(req.query_pairs), "query", meaning_of)
    pairs = [(strip_index_prefix(name, "data"), value) for name, value in body_pairs(req)]
    yield from fields(expand_json_values(pairs), body_location(req), meaning_of)
