"""Snap Pixel: `tr.snapchat.com/p` (form POST) and `/gateway/p`. Names as seen in captured pixel traffic, not
from vendor documentation (not verified): `pid` pixel id, `ev` event, `pl` page URL, `rf` referrer, `u_hem`
hashed email, `u_hpn` hashed phone, `e_desc`/`e_sids`/`e_iids` event data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import DecodedField, Meaning
from phileak.probes.web.decoders.names import guess_meaning
from phileak.probes.web.decoders.payload import body_location, body_pairs, expand_json_values, fields

_NAMES: Final = {
    "pid": Meaning.TAG_ID,
    "ev": Meaning.EVENT,
    "pl": Meaning.PAGE_URL,
    "rf": Meaning.REFERRER,
    "u_hem": Meaning.EMAIL,
    "u_hpn": Meaning.PHONE,
    "u_c1": Meaning.CLIENT_ID,
    "u_scsid": Meaning.CLIENT_ID,
    "e_desc": Meaning.CONTENT,
    "e_sids": Meaning.CONTENT,
    "e_iids": Meaning.CONTENT,
    "e_su": Meaning.SEARCH_TERM,
    "e_ss": Meaning.SEARCH_TERM,
}


def meaning_of(name: str) -> Meaning:
    return _NAMES.get(name, guess_meaning(name))


def decode(req: CapturedRequest) -> Iterator[DecodedField]:
    yield from fields(expand_json_values(req.query_pairs), "query", meaning_of)
    yield from fields(expand_json_values(body_pairs(req)), body_location(req), meaning_of)
