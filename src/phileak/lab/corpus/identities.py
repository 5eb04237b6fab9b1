"""Fictional people for the corpus: faker's census-derived name lists and address parts (en_US, fr_FR), plus
identifiers that pass their checksums (SSN ranges, NIR key, MBI layout, NPI Luhn, DEA check digit). Phone numbers
come from ranges reserved for fiction (NANP 555-01xx; ARCEP's 01 99 00, 02 61 91, 03 53 01, 04 65 71, 05 36 49);
email domains are the reserved example.com/.net/.org."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

_LOCALES = {"en": "en_US", "fr": "fr_FR"}
_FR_FICTION_PREFIXES = ("01 99 00", "02 61 91", "03 53 01", "04 65 71", "05 36 49")
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
_MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"
_DEA_FIRST = "ABCFGMPR"


@dataclass(frozen=True, slots=True)
class Provider:
    given: str
    family: str
    npi: str
    dea: str

    @property
    def full_name(self) -> str:
        return f"{self.given} {self.family}"


@dataclass(frozen=True, slots=True)
class Person:
    """One fictional patient. `national_id` is an SSN (en) or a NIR (fr); `plan_id` a Medicare MBI (en only)."""

    pid: str
    language: str
    given: str
    family: str
    sex: str
    birth_date: date
    mrn: str
    national_id: str
    plan_id: str | None
    email: str
    phone: str
    street: str
    city: str
    postcode: str
    region: str  # US state abbreviation; "" in France
    account: str

    @property
    def full_name(self) -> str:
        return f"{self.given} {self.family}"

    @property
    def address(self) -> str:
        if self.language == "fr":
            return f"{self.street}, {self.postcode} {self.city}"
        return f"{self.street}, {self.city}, {self.region} {self.postcode}"


@cache
def _faker(language: str) -> Any:
    from faker import Faker  # the corpus is a lab/test tool; faker is not a runtime dependency

    return Faker(_LOCALES[language])


def ascii_fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and (c.isalnum() or c in " -'"))


class PeopleFactory:
    """Deterministic people and providers for one seed."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._seed = seed
        for language in _LOCALES:
            _faker(language).seed_instance(seed)
        self._serial = 0

    @property
    def rng(self) -> random.Random:
        return self._rng

    def person(self, pid: str, language: str) -> Person:
        rng, fake = self._rng, _faker(language)
        self._serial += 1
        sex = rng.choice("FM")
        given = fake.first_name_female() if sex == "F" else fake.first_name_male()
        family = fake.last_name()
        birth = date(1930, 1, 1) + timedelta(days=rng.randrange(80 * 365))
        email_local = f"{ascii_fold(given)}.{ascii_fold(family)}{self._serial % 100}".lower().replace(" ", "")
        email_local = email_local.replace("'", "")
        if language == "fr":
            street, city, postcode, region = fake.street_address(), fake.city(), fake.postcode(), ""
            national, plan = nir(rng, sex, birth), None
            phone = f"{rng.choice(_FR_FICTION_PREFIXES)} {rng.randrange(100):02d} {rng.randrange(100):02d}"
        else:
            street, city, postcode, region = fake.street_address(), fake.city(), fake.zipcode(), fake.state_abbr()
            national, plan = ssn(rng), mbi(rng)
            phone = f"{rng.randrange(201, 990)}-555-01{rng.randrange(100):02d}"
        return Person(
            pid=pid, language=language, given=given, family=family, sex=sex, birth_date=birth,
            mrn=f"{rng.randrange(10**7, 10**8)}", national_id=national, plan_id=plan,
            email=f"{email_local}@{rng.choice(_EMAIL_DOMAINS)}", phone=phone, street=street, city=city,
            postcode=postcode, region=region, account=f"{rng.randrange(4 * 10**7, 5 * 10**7)}",
        )  # fmt: skip

    def provider(self, language: str) -> Provider:
        fake = _faker(language)
        family = fake.last_name()
        return Provider(given=fake.first_name(), family=family, npi=npi(self._rng), dea=dea(self._rng, family))


def ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randrange(1, 100):02d}-{rng.randrange(1, 10000):04d}"


def nir(rng: random.Random, sex: str, birth: date) -> str:
    """A NIR with a valid key: sex, year, month, department, commune, order, then 97 - (number mod 97)."""
    department = rng.choice([d for d in range(1, 96) if d != 20])
    body = f"{1 if sex == 'M' else 2}{birth.year % 100:02d}{birth.month:02d}{department:02d}"
    body += f"{rng.randrange(1, 990):03d}{rng.randrange(1, 999):03d}"
    key = 97 - int(body) % 97
    return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} {key:02d}"


def mbi(rng: random.Random) -> str:
    """A Medicare Beneficiary Identifier in CMS's layout, written with dashes (1EG4-TE5-MK73)."""
    pools = {"N": "123456789", "L": _MBI_LETTERS, "D": "0123456789", "E": _MBI_LETTERS + "0123456789"}
    text = "".join(rng.choice(pools[position]) for position in "NLEDLEDLLDD")
    return f"{text[:4]}-{text[4:7]}-{text[7:]}"


def npi(rng: random.Random) -> str:
    """Ten digits starting 1 or 2 whose last is the Luhn check digit of "80840" + the first nine."""
    body = str(rng.choice((1, 2))) + "".join(str(rng.randrange(10)) for _ in range(8))
    return body + str(_luhn_digit("80840" + body))


def dea(rng: random.Random, family: str) -> str:
    """Registrant letter, the registrant's initial, seven digits with the DEA check digit."""
    d = [rng.randrange(10) for _ in range(6)]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    initial = ascii_fold(family)[:1].upper() or "X"
    return f"{rng.choice(_DEA_FIRST)}{initial}{''.join(map(str, d))}{check}"


def _luhn_digit(payload: str) -> int:
    total = 0
    for index, char in enumerate(reversed(payload)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10
