"""Keyed hashes of personal identifiers, so one person hashes alike across probes and re-scans.

Each value is normalised for its category, then HMAC-SHA256'd with the store's key, the category separating
the domains (an SSN and an MRN with the same digits never collide). Never hash identifiers without the key:
a birth date or an SSN has so few possible values that a plain hash is reversed by enumeration.

Person names compare as a *set* of tokens: "John Q Smith", "Smith, John Q" and DICOM "SMITH^JOHN^Q" are one
name, and so is "Q John Smith". Error messages never quote the value.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import importlib
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from types import ModuleType
from typing import Final, Literal

MIN_KEY_BYTES: Final = 16
HASH_PREFIX: Final = "h:"
_HEX_CHARS: Final = 24

Kind = Literal["name", "date", "email", "phone", "ssn", "id", "text"]

# Identifiers sent hashed, by what was hashed and how (phi.hashed reads them; phi.people links on them).
HASHED_ID_KINDS: Final = frozenset(
    f"{base}-{algorithm}" for base in ("email", "phone") for algorithm in ("md5", "sha1", "sha256", "sha512")
)
_KINDS: Final[dict[str, Kind]] = {
    "person-name": "name",
    "provider-name": "name",
    "date-of-birth": "date",
    "date": "date",
    "email": "email",
    "phone": "phone",
    "fax": "phone",
    "ssn": "ssn",
    "fr-nir": "id",
    "mrn": "id",
    "health-plan-id": "id",
    "npi": "id",
    "dea": "id",
    "account-number": "id",
    "licence-number": "id",
    "device-id": "id",
    "id": "id",
    "address": "text",
    "ip-address": "text",
    "url": "text",
    "health-condition": "text",
    "lab-result": "text",
    "medication": "text",
    "procedure": "text",
    "search-term": "text",
    # identifiers sent hashed (phi.hashed): the digest, read like an id
    **dict.fromkeys(HASHED_ID_KINDS, "id"),
}
_ALIASES: Final = {"name": "person-name", "dob": "date-of-birth", "birth-date": "date-of-birth"}


def canonical_category(category: str) -> str:
    """The category name hashes are domain-separated by: lower-case, with a few aliases ("dob", "name")."""
    name = category.strip().lower()
    return _ALIASES.get(name, name)


@functools.lru_cache(maxsize=1024)
def kind_of(category: str) -> Kind | None:
    """How values of `category` are normalised and redacted; None for a category phileak does not know."""
    return _KINDS.get(canonical_category(category))


def fold(text: str) -> str:
    """Case- and accent-insensitive form: compatibility-decomposed, combining marks dropped, casefolded."""
    if text.isascii():
        return text.lower()
    # Twice: casefolding can yield characters that decompose further, or carry a combining mark.
    return _without_marks(_without_marks(text).casefold())


def _without_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = re.compile(r"['\u2019\u02bc`]")
_NAME_PREFIXES: Final = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "mme", "mlle"})


def dicom_name_to_natural(value: str) -> str:
    """DICOM PN `FAMILY^GIVEN^MIDDLE^PREFIX^SUFFIX` (first `=` group) as "Given Middle Family Suffix"."""
    alphabetic = value.split("=", 1)[0]
    if "^" not in alphabetic:
        return alphabetic
    family, given, middle, _prefix, suffix = [*alphabetic.split("^"), "", "", "", ""][:5]
    return " ".join(part for part in (given, middle, family, suffix) if part.strip())


def _normalise_name(value: str, region: str) -> str:
    text = _APOSTROPHES.sub("", fold(dicom_name_to_natural(value)))
    tokens = [t for t in _WORD.findall(text) if t not in _NAME_PREFIXES]
    if not tokens:
        raise ValueError("person name has no letters")
    return " ".join(sorted(tokens))


_MONTHS: Final = {
    **dict.fromkeys(("jan", "january", "janv", "janvier"), 1),
    **dict.fromkeys(("feb", "february", "fev", "fevr", "fevrier"), 2),
    **dict.fromkeys(("mar", "march", "mars"), 3),
    **dict.fromkeys(("apr", "april", "avr", "avril"), 4),
    **dict.fromkeys(("may", "mai"), 5),
    **dict.fromkeys(("jun", "june", "juin"), 6),
    **dict.fromkeys(("jul", "july", "juil", "juillet"), 7),
    **dict.fromkeys(("aug", "august", "aou", "aout"), 8),
    **dict.fromkeys(("sep", "sept", "september", "septembre"), 9),
    **dict.fromkeys(("oct", "october", "octobre"), 10),
    **dict.fromkeys(("nov", "november", "novembre"), 11),
    **dict.fromkeys(("dec", "december", "decembre"), 12),
}
# Month names as written, for finding dates in text; parse_date matches them accent-insensitively.
MONTH_NAMES: Final = frozenset(_MONTHS) | {"fév", "févr", "février", "aoû", "août", "déc", "décembre"}
_ORDINALS: Final = frozenset({"st", "nd", "rd", "th", "er"})
_TIME_TAIL = re.compile(r"(?:t|\s+)\d{1,2}:\d{2}.*$")
_DATE_TOKEN = re.compile(r"\d+|[a-z]+")
_DATE_SEPARATORS = re.compile(r"^[\s/.,\-]*$")
_MONTH_FIRST_REGIONS: Final = frozenset({"US"})
DAY_FIRST_REGION: Final = "FR"  # a region that reads 03/04/1980 as the 3rd of April


def month_first(region: str) -> bool:
    """Whether numeric dates are read month first (03/04/1980 = March 4) in `region`."""
    return region.upper() in _MONTH_FIRST_REGIONS



def parse_date(value: str, region: str = "US") -> date:
    """A calendar date from ISO, DICOM (YYYYMMDD), numeric D/M/Y or M/D/Y (order from `region`, the other
    order when the first is impossible), or month names in English or French. Two-digit years are refused."""
    text = _TIME_TAIL.sub("", fold(value).strip())
    if text.isdigit() and len(text) == 8:
        return _valid_date(int(text[:4]), int(text[4:6]), int(text[6:]))
    tokens = _DATE_TOKEN.findall(text)
    if not _DATE_SEPARATORS.match(_DATE_TOKEN.sub("", text)):
        raise ValueError("unrecognised date format")
    words = [t for t in tokens if t.isalpha() and t not in _ORDINALS]
    numbers = [t for t in tokens if t.isdigit()]
    if words:
        return _named_month_date(words, numbers)
    if len(numbers) != 3:
        raise ValueError("unrecognised date format")
    first, second, third = numbers
    if len(first) == 4:
        return _valid_date(int(first), int(second), int(third))
    if len(third) != 4:
        raise ValueError("date needs a four-digit year")
    a, b = int(first), int(second)
    month, day = (a, b) if region.upper() in _MONTH_FIRST_REGIONS else (b, a)
    if month > 12 >= day:
        month, day = day, month
    return _valid_date(int(third), month, day)


def _named_month_date(words: list[str], numbers: list[str]) -> date:
    if len(words) != 1 or words[0] not in _MONTHS or len(numbers) != 2:
        raise ValueError("unrecognised date format")
    years = [n for n in numbers if len(n) == 4]
    days = [n for n in numbers if len(n) <= 2]
    if len(years) != 1 or len(days) != 1:
        raise ValueError("date needs a four-digit year and a day")
    return _valid_date(int(years[0]), _MONTHS[words[0]], int(days[0]))


def _valid_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError("not a valid calendar date") from None


def _normalise_date(value: str, region: str) -> str:
    return parse_date(value, region).isoformat()


def _normalise_email(value: str, region: str) -> str:
    address = value.strip().lower()
    local, at, domain = address.rpartition("@")
    if not (local and at and domain):
        raise ValueError("email address has no local part or domain")
    return address


# Countries whose national numbers start with a trunk "0" dropped in international form (not Italy).
_CALLING_CODES: Final = {
    "US": "1", "CA": "1", "FR": "33", "GB": "44", "DE": "49", "BE": "32", "CH": "41", "NL": "31", "ES": "34",
}  # fmt: skip
_NANP_REGIONS: Final = frozenset({"US", "CA"})
_EXTENSION = re.compile(r"\s*(?:ext\.?|x|#)\s*\d+\s*$", re.IGNORECASE)


@functools.cache
def _phonenumbers() -> ModuleType | None:
    try:
        return importlib.import_module("phonenumbers")
    except ImportError:
        return None


# Numbers written the ordinary way in their own region, read without `phonenumbers` (which takes about 60 us
# per number): the same E.164 form, checked against it in the tests.
_ORDINARY: Final = {
    "US": re.compile(r"(?:\+?1[ .-]?)?(\()?([2-9]\d\d)(?(1)\)) ?[ .-]?(\d{3})[ .-]?(\d{4})"),
    "FR": re.compile(r"(?:\+33 ?|0)([1-9])[ .-]?(\d\d)[ .-]?(\d\d)[ .-]?(\d\d)[ .-]?(\d\d)"),
}
_ORDINARY["CA"] = _ORDINARY["US"]


def _normalise_phone(value: str, region: str) -> str:
    """E.164 ("+15550100000"): with the `phonenumbers` package when installed, else by simple rules that give
    the same answer for ordinary numbers, so hashes agree whichever way they were made."""
    region = region.upper()
    ordinary = _ORDINARY.get(region)
    if ordinary is not None and (match := ordinary.fullmatch(value.strip())) is not None:
        return "+" + _CALLING_CODES[region] + "".join(part for part in match.groups() if part and part != "(")
    library = _phonenumbers()
    if library is None:
        return _simple_e164(value, region)
    try:
        parsed = library.parse(value, region)
    except library.NumberParseException:
        return _simple_e164(value, region)
    return _checked_e164(str(library.format_number(parsed, library.PhoneNumberFormat.E164)).lstrip("+"))


def _simple_e164(value: str, region: str) -> str:
    text = _EXTENSION.sub("", value.strip())
    digits = "".join(c for c in text if c.isdigit())
    if text.startswith("+"):
        international = digits
    elif region in _NANP_REGIONS and digits.startswith("011"):
        international = digits[3:]
    elif region not in _NANP_REGIONS and digits.startswith("00"):
        international = digits[2:]
    else:
        international = _national_to_international(digits, region)
    return _checked_e164(international)


def _checked_e164(digits: str) -> str:
    if not 7 <= len(digits) <= 15:
        raise ValueError("phone number has too few or too many digits")
    return "+" + digits


def _national_to_international(digits: str, region: str) -> str:
    code = _CALLING_CODES.get(region)
    if code is None:
        raise ValueError(f"no calling code known for region {region!r}; install phonenumbers")
    if code == "1":
        return digits if len(digits) == 11 and digits.startswith("1") else "1" + digits
    return code + digits.removeprefix("0")


_NOT_ALNUM = re.compile(r"[\W_]+")


def _normalise_id(value: str, region: str) -> str:
    ident = _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", value)).upper()
    if not ident:
        raise ValueError("identifier has no letters or digits")
    return ident


def _normalise_text(value: str, region: str) -> str:
    words = _WORD.findall(fold(value))
    if not words:
        raise ValueError("value has no letters or digits")
    return " ".join(words)


_NORMALISERS: Final[dict[Kind, Callable[[str, str], str]]] = {
    "name": _normalise_name,
    "date": _normalise_date,
    "email": _normalise_email,
    "phone": _normalise_phone,
    "ssn": _normalise_id,
    "id": _normalise_id,
    "text": _normalise_text,
}


def normalise(category: str, value: str, *, region: str = "US") -> str:
    """The canonical form of `value` hashed for `category`. `region` (ISO 3166 alpha-2) decides numeric date
    order (US: month first, elsewhere day first) and the default phone calling code.
    Raises ValueError, without quoting the value, when it cannot be read as that category."""
    kind = kind_of(category)
    if kind is None:
        raise ValueError(f"unknown identifier category {category!r}")
    return _NORMALISERS[kind](value, region)


class IdentityHasher:
    """HMAC-SHA256 of normalised identifiers under the store's secret key."""

    __slots__ = ("_key", "_region")

    def __init__(self, key: bytes, *, region: str = "US") -> None:
        if not isinstance(key, bytes):
            raise TypeError("identity key must be bytes")
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"identity key must be at least {MIN_KEY_BYTES} bytes")
        self._key = key
        self._region = region

    def __repr__(self) -> str:
        return f"IdentityHasher(key=<{len(self._key)} bytes>, region={self._region!r})"

    def hash(self, category: str, value: str) -> str:
        """The keyed hash of `value` read as `category`, "h:" + 24 hex chars; ValueError when unreadable."""
        return self._digest(canonical_category(category), normalise(category, value, region=self._region))

    def person(
        self,
        *,
        name: str | None = None,
        birth_date: str | None = None,
        id_value: str | None = None,
        id_kind: str | None = None,
    ) -> str | None:
        """One key per person from the strongest identifiers present: an identifier (`id_kind` says which:
        "mrn", "ssn", "email"...), else name + birth date, else name alone; None when none is usable.
        Unreadable values count as absent. Two sightings link only when they used the same tier."""
        if id_value:
            kind = canonical_category(id_kind or "id")
            id_norm = self._try(kind if kind_of(kind) in ("email", "phone") else "id", id_value)
            if id_norm is not None:
                return self._digest("person/id", f"{kind}\x1f{id_norm}")
        name_norm = self._try("person-name", name)
        if name_norm is None:
            return None
        birth_norm = self._try("date-of-birth", birth_date)
        if birth_norm is None:
            return self._digest("person/name", name_norm)
        return self._digest("person/name+birth-date", f"{name_norm}\x1f{birth_norm}")

    def _try(self, category: str, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return normalise(category, value, region=self._region)
        except ValueError:
            return None

    def _digest(self, domain: str, normalised: str) -> str:
        message = f"{len(domain)}:{domain}\x1f{normalised}".encode()
        return HASH_PREFIX + hmac.new(self._key, message, hashlib.sha256).hexdigest()[:_HEX_CHARS]
