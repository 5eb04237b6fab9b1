"""Google's user-provided data parameter (GA4, Google Ads, Floodlight enhanced conversions):
`em=tv.1~em.<h>~pn.<h>~fn0.<h>~ln0.<h>~pc0.<zip>~co0.<cc>`, where <h> is SHA-256 as base64url or hex
(shared/reference/web-trackers.md; google-ads-confidential-computing/confidential-match EnhancedMatchMapperTest)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from phileak.probes.web.decoders import DecodedField, Location, Meaning
from phileak.probes.web.decoders.payload import looks_hashed

_KEYS: Final = {
    "em": Meaning.EMAIL,
    "pn": Meaning.PHONE,
    "fn": Meaning.FIRST_NAME,
    "ln": Meaning.LAST_NAME,
    "sa": Meaning.STREET,
    "ct": Meaning.CITY,
    "rg": Meaning.STATE,
    "pc": Meaning.ZIP,
    "co": Meaning.COUNTRY,
}
_ITEM = re.compile(r"([a-z]+?)(\d*)\.(.*)", re.DOTALL)


def is_user_data(value: str) -> bool:
    return value.startswith("tv.") and "~" in value


def user_data_fields(name: str, value: str, location: Location) -> Iterator[DecodedField]:
    """One field per `~`-separated item, named `<name>.<key>` ("em.em", "em.fn0")."""
    for item in value.split("~")[1:]:
        match = _ITEM.fullmatch(item)
        if match is None:
            continue
        key, index, data = match.groups()
        meaning = _KEYS.get(key, Meaning.OTHER)
        yield DecodedField(
            name=f"{name}.{key}{index}",
            meaning=meaning,
            value=data,
            location=location,
            hashed=looks_hashed(data),
        )
