"""Google Analytics 4 (`/g/collect` on any host) and Universal Analytics (`/collect`, `v=1`).

GA4: `en` event, `dl` page URL, `dt` title, `dr` referrer, `ep.*`/`epn.*` event parameters, `up.*`/`upn.*` user
properties, `uid` the site's user id, `cid` the client id, `em` user-provided data (`tv.1~em.<h>~...`). A POST
body batches events, one `en=...&ep.x=...` line each, sharing the URL's parameters (omnibug GoogleAnalytics4.js).
UA: `t` hit type, `ec`/`ea`/`el` event category/action/label, `cd<n>` custom dimensions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import DecodedField, Location, Meaning
from phileak.probes.web.decoders.google_user_data import is_user_data, user_data_fields
from phileak.probes.web.decoders.payload import Pairs, batched_form_pairs, body_location, fields

_NAMES: Final = {
    "en": Meaning.EVENT,
    "t": Meaning.EVENT,
    "ea": Meaning.EVENT,
    "ec": Meaning.EVENT_PARAM,
    "el": Meaning.EVENT_PARAM,
    "dl": Meaning.PAGE_URL,
    "dp": Meaning.PAGE_URL,
    "dt": Meaning.PAGE_TITLE,
    "dr": Meaning.REFERRER,
    "tid": Meaning.TAG_ID,
    "cid": Meaning.CLIENT_ID,
    "uid": Meaning.USER_ID,
    "sid": Meaning.CLIENT_ID,
}
_EVENT_PARAMS: Final = {
    "page_location": Meaning.PAGE_URL,
    "page_title": Meaning.PAGE_TITLE,
    "page_referrer": Meaning.REFERRER,
    "search_term": Meaning.SEARCH_TERM,
    "search": Meaning.SEARCH_TERM,
    "q": Meaning.SEARCH_TERM,
    "link_url": Meaning.PAGE_URL,
    "link_text": Meaning.BUTTON_TEXT,
    "form_id": Meaning.FORM_FIELDS,
    "form_name": Meaning.FORM_FIELDS,
    "user_id": Meaning.USER_ID,
    "email": Meaning.EMAIL,
}
_CUSTOM_DIMENSION = re.compile(r"c[dm]\d+")


def meaning_of(name: str) -> Meaning:
    if name in _NAMES:
        return _NAMES[name]
    prefix, dot, key = name.partition(".")
    if dot and prefix in ("ep", "epn"):
        return _EVENT_PARAMS.get(key, Meaning.EVENT_PARAM)
    if dot and prefix in ("up", "upn"):
        return _EVENT_PARAMS.get(key, Meaning.USER_PROPERTY)
    if _CUSTOM_DIMENSION.fullmatch(name):
        return Meaning.CUSTOM_DATA
    return Meaning.OTHER


def decode(req: CapturedRequest) -> Iterator[DecodedField]:
    yield from _decode_pairs(req.query_pairs, "query")
    text = req.body_text()
    if text:
        yield from _decode_pairs(batched_form_pairs(text), body_location(req))


def _decode_pairs(pairs: Pairs, location: Location) -> Iterator[DecodedField]:
    for name, value in pairs:
        if name == "em" and is_user_data(value):
            yield from user_data_fields(name, value, location)
        else:
            yield from fields([(name, value)], location, meaning_of)
