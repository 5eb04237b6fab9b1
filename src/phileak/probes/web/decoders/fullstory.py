"""FullStory session replay: the script `edge.fullstory.com/s/fs.js`, recordings POSTed to
`rs.fullstory.com/rec/bundle?OrgId=&UserId=&SessionId=&PageId=` as JSON `{"Seq", "When", "Evts": [{"When",
"Kind", "Args"}], ...}`, sometimes gzipped. Masking (`fs-exclude`/`fs-mask`) happens in the page
(help.fullstory.com). Event kinds are not public: event arguments are DOM and typed text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import DecodedField, Meaning
from phileak.probes.web.decoders.names import guess_meaning
from phileak.probes.web.decoders.payload import body_location, body_pairs, expand_json_values, fields

_NAMES: Final = {
    "OrgId": Meaning.TAG_ID,
    "UserId": Meaning.CLIENT_ID,
    "SessionId": Meaning.CLIENT_ID,
    "PageId": Meaning.CLIENT_ID,
    "Url": Meaning.PAGE_URL,
    "PageUrl": Meaning.PAGE_URL,
    "Referrer": Meaning.REFERRER,
    "Title": Meaning.PAGE_TITLE,
}


def meaning_of(name: str) -> Meaning:
    last = name.rsplit(".", 1)[-1]
    if last in _NAMES:
        return _NAMES[last]
    if name.startswith("Evts["):
        return Meaning.DOM
    return guess_meaning(name)


def decode(req: CapturedRequest) -> Iterator[DecodedField]:
    yield from fields(expand_json_values(req.query_pairs), "query", meaning_of)
    yield from fields(expand_json_values(body_pairs(req)), body_location(req), meaning_of)
