"""Pinterest tag: `ct.pinterest.com/v3/?event=&tid=&pd={...}&ad={...}&ed={...}` and `ct.pinterest.com/user/`.
Names as seen in captured tag traffic, not from vendor documentation (not verified): `event`, `tid` tag id,
`ad.loc` page URL, `ad.ref` referrer, `pd.em` hashed email (enhanced match), `ed.*` event data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import DecodedField, Meaning
from phileak.probes.web.decoders.names import guess_meaning
from phileak.probes.web.decoders.payload import body_location, body_pairs, expand_json_values, fields

_NAMES: Final = {
    "event": Meaning.EVENT,
    "tid": Meaning.TAG_ID,
    "ad.loc": Meaning.PAGE_URL,
    "ad.ref": Meaning.REFERRER,
    "pd.em": Meaning.EMAIL,
    "pd.np": Meaning.OTHER,
    "ed.search_query": Meaning.SEARCH_TERM,
    "ed.lead_type": Meaning.CONTENT,
    "em": Meaning.EMAIL,
}


def meaning_of(name: str) -> Meaning:
    if name in _NAMES:
        return _NAMES[name]
    if name.startswith("ed."):
        return Meaning.CUSTOM_DATA
    return guess_meaning(name)


def decode(req: CapturedRequest) -> Iterator[DecodedField]:
    yield from fields(expand_json_values(req.query_pairs), "query", meaning_of)
    yield from fields(expand_json_values(body_pairs(req)), body_location(req), meaning_of)
