"""Microsoft Advertising UET: `bat.bing.com/action/0?ti=...`. `evt` event (pageLoad, custom), `p` page URL,
`tl` page title, `kw` the page's meta keywords, `r` referrer, `page_path`, `ec`/`ea`/`el`/`ev` custom event
fields, `prodid`/`pagetype` retail fields (omnibug BingAds.js). Enhanced conversions (`pid` email/phone) are
read as `em`/`ph` when present; how the tag encodes them on the wire is not verified."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import DecodedField, Meaning
from phileak.probes.web.decoders.names import guess_meaning
from phileak.probes.web.decoders.payload import body_location, body_pairs, expand_json_values, fields

_NAMES: Final = {
    "ti": Meaning.TAG_ID,
    "evt": Meaning.EVENT,
    "p": Meaning.PAGE_URL,
    "page_path": Meaning.PAGE_URL,
    "tl": Meaning.PAGE_TITLE,
    "kw": Meaning.KEYWORDS,
    "r": Meaning.REFERRER,
    "ec": Meaning.EVENT_PARAM,
    "ea": Meaning.EVENT,
    "el": Meaning.EVENT_PARAM,
    "ev": Meaning.EVENT_PARAM,
    "gv": Meaning.EVENT_PARAM,
    "prodid": Meaning.CONTENT,
    "pagetype": Meaning.CONTENT,
    "search_term": Meaning.SEARCH_TERM,
    "mid": Meaning.CLIENT_ID,
    "sid": Meaning.CLIENT_ID,
    "vid": Meaning.CLIENT_ID,
    "em": Meaning.EMAIL,
    "ph": Meaning.PHONE,
}


def meaning_of(name: str) -> Meaning:
    return _NAMES.get(name, guess_meaning(name))


def decode(req: CapturedRequest) -> Iterator[DecodedField]:
    yield from fields(expand_json_values(req.query_pairs), "query", meaning_of)
    yield from fields(expand_json_values(body_pairs(req)), body_location(req), meaning_of)
