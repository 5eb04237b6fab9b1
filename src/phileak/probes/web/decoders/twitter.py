"""X/Twitter pixel: `analytics.twitter.com/i/adsct` (and `t.co/i/adsct`). `txn_id`/`p_id` tag ids, `events` a JSON
array of `[type, {...}]`, `tw_document_href` the page URL, `tw_iframe_status`, `tw_sale_amount`,
`tw_order_quantity`; advanced matching `email`, `phone_number`; `dv` device information (omnibug Twitter.js,
blacklight-collector parser.ts)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import DecodedField, Meaning
from phileak.probes.web.decoders.names import guess_meaning
from phileak.probes.web.decoders.payload import body_location, body_pairs, expand_json_values, fields

_NAMES: Final = {
    "txn_id": Meaning.TAG_ID,
    "p_id": Meaning.TAG_ID,
    "p_user_id": Meaning.USER_ID,
    "tw_document_href": Meaning.PAGE_URL,
    "tw_iframe_status": Meaning.OTHER,
    "tw_sale_amount": Meaning.EVENT_PARAM,
    "tw_order_quantity": Meaning.EVENT_PARAM,
    "email": Meaning.EMAIL,
    "email_address": Meaning.EMAIL,
    "phone_number": Meaning.PHONE,
    "dv": Meaning.DEVICE,
}


def meaning_of(name: str) -> Meaning:
    if name in _NAMES:
        return _NAMES[name]
    if name.startswith(("events[", "event.", "event[")):
        last = name.rsplit(".", 1)[-1]
        if last in _NAMES:
            return _NAMES[last]
        return Meaning.EVENT if name.endswith("[0]") else Meaning.EVENT_PARAM
    return guess_meaning(name)


def decode(req: CapturedRequest) -> Iterator[DecodedField]:
    yield from fields(expand_json_values(req.query_pairs), "query", meaning_of)
    yield from fields(expand_json_values(body_pairs(req)), body_location(req), meaning_of)
