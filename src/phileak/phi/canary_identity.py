"""A synthetic patient planted by a scan: typed into forms, then looked for in everything the browser sends.

Every value is invented and unique to the scan, so a hit anywhere proves where the scan's own data went. Names,
the city, the symptom's drug and the searched condition are coined from syllables (no real person, no real
word); the email is on example.com (reserved by RFC 2606, null MX: mail to it is never delivered), the gmail-style
variant has a random part so no real inbox is likely to exist; phones are in ranges reserved for fiction
(NANP 555-0100..0199, ARCEP 06 39 98 xx xx). ZIP, birth date and phones are plausible rather than unique: on
their own they say less than the coined values (see UNIQUE_FIELDS).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

from phileak.errors import InputError

FILE_FORMAT: Final = "phileak-canary/1"
EMAIL_DOMAIN: Final = "example.com"
GMAIL_DOMAIN: Final = "gmail.com"

# Values invented for the scan: a match on one of them alone is unambiguous.
UNIQUE_FIELDS: Final = frozenset(
    {"first_name", "last_name", "full_name", "email", "gmail", "street", "city", "mrn", "member_id", "symptom",
     "search_term"}
)  # fmt: skip

_ONSETS: Final = (
    "b", "br", "c", "d", "dr", "f", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "qu", "r", "s", "st", "t",
    "th", "tr", "v", "z",
)  # fmt: skip
_VOWELS: Final = ("a", "e", "i", "o", "u", "a", "e", "i", "o", "ai", "ou", "y")
_CODAS: Final = ("", "", "", "", "l", "n", "r", "s")
_VOWEL_LETTERS: Final = frozenset("aeiouy")
_LINKS: Final = ("l", "n", "r", "v", "d", "m")
_FIRST_ENDINGS: Final = ("ine", "elle", "ora", "ian", "ette", "is", "enne", "anor", "iel", "ova")
_LAST_ENDINGS: Final = ("ston", "wick", "ford", "more", "ley", "vane", "dale", "croft", "by", "mont", "hurst")
_CITY_PREFIXES: Final = ("North", "East", "West", "South", "Port", "Lake", "Mount", "Fort", "New", "Glen")
_CITY_ENDINGS: Final = ("ville", "brook", "field", "haven", "ridge", "vale", "wood", "burgh", "ton", "crest")
_STREET_SUFFIXES: Final = ("Lane", "Street", "Avenue", "Road", "Drive", "Court", "Place", "Terrace", "Way")
_STATES: Final = ("AL", "AZ", "CA", "CO", "FL", "GA", "IL", "IN", "MA", "MI", "MN", "NC", "NY", "OH", "OR", "PA",
                  "TN", "TX", "VA", "WA", "WI")  # fmt: skip
_SENSATIONS: Final = (
    "buzzing numbness", "cold tingling", "pulsing ache", "fizzing pain", "crawling itch", "dull throbbing",
    "prickling warmth", "sharp twinges", "rippling cramps", "tight burning", "electric jolts", "hollow pressure",
)  # fmt: skip
_SIDES: Final = ("left", "right", "upper left", "lower right", "upper right", "lower left")
_BODY_PARTS: Final = (
    "earlobe", "kneecap", "elbow crease", "thumb joint", "collarbone", "ankle", "wrist", "jaw hinge", "heel",
    "shoulder blade", "eyelid", "ribcage", "big toe", "temple",
)  # fmt: skip
_DRUG_ENDINGS: Final = ("ex", "ol", "ine", "azole", "umab", "ipril", "afen", "oxin", "idone")
_CONDITION_ENDINGS: Final = ("itis", "osis", "emia", "algia", " syndrome", " disease", " disorder")
_SEARCH_TAILS: Final = (
    "symptoms", "treatment", "specialist near me", "test results", "in pregnancy", "clinic", "early signs",
    "medication side effects", "diagnosis",
)  # fmt: skip
_BIRTH_FIRST: Final = date(1940, 1, 1)
_BIRTH_SPAN_DAYS: Final = (date(2003, 12, 31) - _BIRTH_FIRST).days


@dataclass(frozen=True, slots=True, repr=False)
class CanaryIdentity:
    """One invented patient. `values()` is what forms are filled with; `repr` shows only the seed's label."""

    seed: str
    first_name: str
    last_name: str
    gender: str  # "female" | "male"; filled into forms, never matched (two values)
    email: str
    gmail: str
    phone: str  # US, "(NXX) 555-01XX"
    phone_fr: str  # France, "+33 6 39 98 XX XX"
    dob: str  # ISO 8601
    street: str
    city: str
    state: str  # never matched: two letters
    zip: str
    country: str  # never matched: two letters
    mrn: str
    member_id: str
    symptom: str
    search_term: str

    @classmethod
    def generate(cls, seed: str | None = None) -> CanaryIdentity:
        """A new identity; the same `seed` always gives the same one. Without a seed, a random one is drawn."""
        seed = secrets.token_hex(8) if seed is None else seed
        rng = random.Random(hashlib.sha256(f"phileak-canary\x1f{seed}".encode()).digest())
        first, last = _coin(rng, 2, _FIRST_ENDINGS).title(), _coin(rng, 2, _LAST_ENDINGS).title()
        number = rng.randint(10, 99)
        tag = f"{rng.randrange(16**4):04x}"
        area = f"{rng.randint(2, 9)}{rng.randint(0, 8)}{rng.randint(2, 9)}"
        born = _BIRTH_FIRST + timedelta(days=rng.randrange(_BIRTH_SPAN_DAYS))
        return cls(
            seed=seed,
            first_name=first,
            last_name=last,
            gender=rng.choice(("female", "male")),
            email=f"{first.lower()}.{last.lower()}{number}@{EMAIL_DOMAIN}",
            gmail=f"{first.lower()}.{last.lower()}.{tag}@{GMAIL_DOMAIN}",
            phone=f"({area}) 555-01{rng.randrange(100):02d}",
            phone_fr=f"+33 6 39 98 {rng.randrange(100):02d} {rng.randrange(100):02d}",
            dob=born.isoformat(),
            street=f"{rng.randint(100, 9899)} {_coin(rng, 1, _CITY_ENDINGS).title()} {rng.choice(_STREET_SUFFIXES)}",
            city=f"{rng.choice(_CITY_PREFIXES)} {_coin(rng, 2, _CITY_ENDINGS).title()}",
            state=rng.choice(_STATES),
            zip=f"{rng.randint(10000, 99999)}",
            country="US",
            mrn=f"7{rng.randrange(10**9):09d}",
            member_id="".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(3)) + f"{rng.randrange(10**9):09d}",
            symptom=f"{rng.choice(_SENSATIONS)} in my {rng.choice(_SIDES)} {rng.choice(_BODY_PARTS)} after taking "
            f"{_coin(rng, 2, _DRUG_ENDINGS).title()}",
            search_term=f"{_coin(rng, 2, _CONDITION_ENDINGS)} {rng.choice(_SEARCH_TAILS)}",
        )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def label(self) -> str:
        """A short name for this identity, safe to log: a hash of its seed, never a value."""
        return "canary-" + hashlib.sha256(self.seed.encode()).hexdigest()[:10]

    def __repr__(self) -> str:
        return f"CanaryIdentity({self.label})"

    def values(self) -> dict[str, str]:
        """Field name -> value, every field but the seed, plus "full_name"."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "seed"}
        return {**fields, "full_name": self.full_name}

    def to_json(self) -> str:
        return json.dumps({"format": FILE_FORMAT, "seed": self.seed, "values": self.values()}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> CanaryIdentity:
        """Parse `to_json` output; InputError, quoting no value, when it is not a canary identity."""
        try:
            data = json.loads(text)
        except ValueError:
            raise InputError("canary file is not JSON") from None
        if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
            raise InputError(f"canary file is not in the {FILE_FORMAT} format")
        values, seed = data.get("values"), data.get("seed")
        if not isinstance(values, dict) or not isinstance(seed, str):
            raise InputError("canary file has no seed or no values")
        return cls(seed=seed, **_checked_values(values))

    def save(self, path: Path) -> None:
        path.write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> CanaryIdentity:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read canary file {path}: {type(exc).__name__}") from None
        return cls.from_json(text)


_VALUE_FIELDS: Final = tuple(f.name for f in dataclasses.fields(CanaryIdentity) if f.name != "seed")


def _checked_values(values: dict[str, Any]) -> dict[str, str]:
    missing = [name for name in _VALUE_FIELDS if not isinstance(values.get(name), str) or not values[name].strip()]
    if missing:
        raise InputError(f"canary file lacks text values for: {', '.join(missing)}")
    return {name: values[name].strip() for name in _VALUE_FIELDS}


def _coin(rng: random.Random, syllables: int, endings: tuple[str, ...]) -> str:
    """A pronounceable invented word: `syllables` onset+vowel(+coda) syllables and an ending."""
    word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables))
    ending = rng.choice(endings)
    if word[-1] in _VOWEL_LETTERS and ending[0] in _VOWEL_LETTERS:
        word += rng.choice(_LINKS)
    return word + ending
