"""Hotjar session recording: the script `static.hotjar.com/c/hotjar-<id>.js`; recording data goes as JSON over
a WebSocket (`ws*.hotjar.com`) or POSTs to `*.hotjar.com/api/...`. Keystrokes are suppressed by default (text ->
`***`) unless a field is opted in with `data-hj-allow` (help.hotjar.com). The payload schema is not public:
leaves are flattened and named by key path; keys naming input or text are typed-text, the rest DOM."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import DecodedField, Meaning
from phileak.probes.web.decoders.names import guess_meaning
from phileak.probes.web.decoders.payload import body_location, body_pairs, expand_json_values, fields

_TYPED = re.compile(r"(input|key|value|text|typed)", re.IGNORECASE)
_PAGE: Final = {"url": Meaning.PAGE_URL, "page_url": Meaning.PAGE_URL, "referrer": Meaning.REFERRER,
                "title": Meaning.PAGE_TITLE, "site_id": Meaning.TAG_ID, "user_id": Meaning.CLIENT_ID}  # fmt: skip


def meaning_of(name: str) -> Meaning:
    last = re.sub(r"\[\d+\]$", "", name.rsplit(".", 1)[-1])
    if last in _PAGE:
        return _PAGE[last]
    guessed = guess_meaning(name)
    if guessed is not Meaning.OTHER:
        return guessed
    return Meaning.KEYSTROKES if _TYPED.search(last) else Meaning.DOM


def decode(req: CapturedRequest) -> Iterator[DecodedField]:
    yield from fields(expand_json_values(req.query_pairs), "query", meaning_of)
    yield from fields(expand_json_values(body_pairs(req)), body_location(req), meaning_of)
