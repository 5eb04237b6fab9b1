"""Vendor payload decoders: one module per vendor, each with `decode(req) -> Iterator[DecodedField]`.

A decoder names what each parameter of a vendor's payload means (Meta's `ud[em]` is a hashed email, GA4's `dl`
the page URL). The catalogue (trackers.toml) says which decoder a host gets; `decode_request` runs it, then the
generic decoder, so a parameter no vendor decoder knows is still looked at. Adding a vendor is one toml row and
one module here (the header of trackers.toml says what a row holds).
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from phileak.probes.web.capture_model import CapturedRequest

Location = Literal["query", "body", "header", "cookie", "websocket"]
MAX_FIELDS_PER_REQUEST: Final = 20_000


class Meaning(StrEnum):
    """What a decoded parameter carries. Identity meanings (email ... external-id) are personal data."""

    EMAIL = "email"
    PHONE = "phone"
    FIRST_NAME = "first-name"
    LAST_NAME = "last-name"
    FULL_NAME = "full-name"
    GENDER = "gender"
    DATE_OF_BIRTH = "date-of-birth"
    STREET = "street"
    CITY = "city"
    STATE = "state"
    ZIP = "zip"
    COUNTRY = "country"
    EXTERNAL_ID = "external-id"
    USER_ID = "user-id"
    PAGE_URL = "page-url"
    REFERRER = "referrer"
    PAGE_TITLE = "page-title"
    KEYWORDS = "keywords"
    SEARCH_TERM = "search-term"
    EVENT = "event"
    EVENT_PARAM = "event-param"
    CUSTOM_DATA = "custom-data"
    USER_PROPERTY = "user-property"
    CONTENT = "content"
    BUTTON_TEXT = "button-text"
    FORM_FIELDS = "form-fields"
    KEYSTROKES = "keystrokes"
    DOM = "dom"
    DEVICE = "device"
    TAG_ID = "tag-id"
    CLIENT_ID = "client-id"
    COOKIE = "cookie"
    HEADER = "header"
    OTHER = "other"


IDENTITY_MEANINGS: Final = frozenset(
    {
        Meaning.EMAIL, Meaning.PHONE, Meaning.FIRST_NAME, Meaning.LAST_NAME, Meaning.FULL_NAME,
        Meaning.DATE_OF_BIRTH, Meaning.STREET, Meaning.CITY, Meaning.ZIP, Meaning.EXTERNAL_ID, Meaning.USER_ID,
    }
)  # fmt: skip
PAGE_MEANINGS: Final = frozenset({Meaning.PAGE_URL, Meaning.REFERRER, Meaning.PAGE_TITLE})


@dataclass(frozen=True, slots=True)
class DecodedField:
    """One parameter of a payload. `value` is held in memory only: `repr` never shows it."""

    name: str  # "ud[em]", "ep.search_term", "context.page.url"
    meaning: Meaning
    value: str
    location: Location
    hashed: bool = False
    decoder: str = ""  # set by decode_request: the decoder module that named it ("generic" or a vendor's)

    def __repr__(self) -> str:
        flag = ", hashed" if self.hashed else ""
        return f"DecodedField({self.name!r}, {self.meaning.value}, {self.location}{flag})"


Decoder = Callable[["CapturedRequest"], Iterator[DecodedField]]
_DECODER_NAME = re.compile(r"[a-z][a-z0-9_]*")
GENERIC: Final = "generic"


@functools.cache
def load_decoder(name: str) -> Decoder:
    """The `decode` function of decoders/<name>.py; ValueError for a name that is not one."""
    if not _DECODER_NAME.fullmatch(name):
        raise ValueError(f"not a decoder name: {name!r}")
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError:
        raise ValueError(f"no decoder module named {name!r}") from None
    decode = getattr(module, "decode", None)
    if not callable(decode):
        raise ValueError(f"decoder module {name!r} has no decode() function")
    decoder: Decoder = decode
    return decoder


def decode_request(req: CapturedRequest, decoder: str | None = None) -> list[DecodedField]:
    """The vendor decoder's fields, then the generic decoder's that repeat none of them. A name may occur more
    than once with different values (batched events)."""
    fields: list[DecodedField] = []
    seen: set[tuple[str, str, str]] = set()
    names = [decoder] if decoder and decoder != GENERIC else []
    for name in [*names, GENERIC]:
        for decoded in load_decoder(name)(req):
            if len(fields) >= MAX_FIELDS_PER_REQUEST:
                return fields
            key = (decoded.name, decoded.location, decoded.value)
            if key not in seen:
                seen.add(key)
                fields.append(replace(decoded, decoder=name))
    return fields
