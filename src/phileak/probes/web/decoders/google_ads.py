"""Google Ads conversion and remarketing tags: `/pagead/viewthroughconversion/<AW-id>/`, `/pagead/conversion/`,
`/pagead/1p-user-list/`, `/ccm/collect`. `url` page URL, `ref` referrer, `tiba` page title, `label`, `value`,
`data` (`event=...;k=v` pairs), `em` user-provided data (omnibug GoogleAds.js)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import DecodedField, Location, Meaning
from phileak.probes.web.decoders.google_user_data import is_user_data, user_data_fields
from phileak.probes.web.decoders.names import guess_meaning
from phileak.probes.web.decoders.payload import Pairs, body_location, body_pairs, fields

_NAMES: Final = {
    "url": Meaning.PAGE_URL,
    "ref": Meaning.REFERRER,
    "tiba": Meaning.PAGE_TITLE,
    "label": Meaning.EVENT_PARAM,
    "value": Meaning.EVENT_PARAM,
    "en": Meaning.EVENT,
    "data.event": Meaning.EVENT,
    "data.search_term": Meaning.SEARCH_TERM,
    "data.ecomm_pagetype": Meaning.EVENT_PARAM,
    "dl": Meaning.PAGE_URL,
    "dr": Meaning.REFERRER,
    "dt": Meaning.PAGE_TITLE,
}


def meaning_of(name: str) -> Meaning:
    if name in _NAMES:
        return _NAMES[name]
    if name.startswith("data."):
        return Meaning.CUSTOM_DATA
    return guess_meaning(name)


def decode(req: CapturedRequest) -> Iterator[DecodedField]:
    yield from _decode_pairs(req.query_pairs, "query")
    yield from _decode_pairs(body_pairs(req), body_location(req))


def _decode_pairs(pairs: Pairs, location: Location) -> Iterator[DecodedField]:
    for name, value in pairs:
        if name == "em" and is_user_data(value):
            yield from user_data_fields(name, value, location)
        elif name == "data":
            yield from fields(_semicolon_pairs(value, "data."), location, meaning_of)
        else:
            yield from fields([(name, value)], location, meaning_of)


def _semicolon_pairs(value: str, prefix: str) -> Pairs:
    pairs: Pairs = []
    for item in value.split(";"):
        key, sep, data = item.partition("=")
        if sep and key:
            pairs.append((prefix + key.strip(), data))
    return pairs
