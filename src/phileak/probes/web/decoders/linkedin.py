"""LinkedIn Insight tag: `px.ads.linkedin.com/collect?pid=&conversionId=&time=&fmt=&url=` (no public
documentation, per omnibug LinkedIn.js), and JSON posts to `px.ads.linkedin.com/wa/` with `pids`, `url`/`pageUrl`,
`referrer`. Tag managers expose hashed-email fields `email_sha256`/`email_sha512` (docs.tealium.com)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import DecodedField, Meaning
from phileak.probes.web.decoders.names import guess_meaning
from phileak.probes.web.decoders.payload import body_location, body_pairs, expand_json_values, fields

_NAMES: Final = {
    "pid": Meaning.TAG_ID,
    "pids": Meaning.TAG_ID,
    "conversionId": Meaning.EVENT,
    "url": Meaning.PAGE_URL,
    "pageUrl": Meaning.PAGE_URL,
    "referrer": Meaning.REFERRER,
    "email": Meaning.EMAIL,
    "email_sha256": Meaning.EMAIL,
    "email_sha512": Meaning.EMAIL,
    "li_fat_id": Meaning.CLIENT_ID,
}


def meaning_of(name: str) -> Meaning:
    return _NAMES.get(name, _NAMES.get(name.rsplit(".", 1)[-1], guess_meaning(name)))


def decode(req: CapturedRequest) -> Iterator[DecodedField]:
    yield from fields(expand_json_values(req.query_pairs), "query", meaning_of)
    yield from fields(expand_json_values(body_pairs(req)), body_location(req), meaning_of)
