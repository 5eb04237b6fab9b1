"""Google Floodlight (Campaign Manager 360): `(fls|ad).doubleclick.net/activity[i];src=;type=;cat=;ord=;...`.
Parameters are `;`-separated in the path: `src` advertiser, `type`/`cat` activity, `ord`, `qty`, `cost`, custom
`u<n>` variables (any site data), `~oref` the page URL (set by gtag), `em` user-provided data
(omnibug GoogleDoubleClick.js)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final
from urllib.parse import unquote, urlsplit

from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import DecodedField, Meaning
from phileak.probes.web.decoders.google_user_data import is_user_data, user_data_fields
from phileak.probes.web.decoders.names import guess_meaning
from phileak.probes.web.decoders.payload import Pairs, fields

_NAMES: Final = {
    "src": Meaning.TAG_ID,
    "type": Meaning.EVENT,
    "cat": Meaning.EVENT,
    "ord": Meaning.EVENT_PARAM,
    "qty": Meaning.EVENT_PARAM,
    "cost": Meaning.EVENT_PARAM,
    "~oref": Meaning.PAGE_URL,
    "oref": Meaning.PAGE_URL,
    "dc_rdid": Meaning.CLIENT_ID,
}
_CUSTOM_VARIABLE = re.compile(r"u\d+")


def meaning_of(name: str) -> Meaning:
    if name in _NAMES:
        return _NAMES[name]
    if _CUSTOM_VARIABLE.fullmatch(name):
        return Meaning.CUSTOM_DATA
    return guess_meaning(name)


def decode(req: CapturedRequest) -> Iterator[DecodedField]:
    pairs = [*_path_pairs(req.url), *req.query_pairs]
    for name, value in pairs:
        if name == "em" and is_user_data(value):
            yield from user_data_fields(name, value, "query")
        else:
            yield from fields([(name, value)], "query", meaning_of)


def _path_pairs(url: str) -> Pairs:
    try:
        path = urlsplit(url).path
    except ValueError:
        return []
    pairs: Pairs = []
    for item in path.split(";")[1:]:
        key, sep, value = item.partition("=")
        if sep and key:
            pairs.append((key, unquote(value)))
    return pairs
