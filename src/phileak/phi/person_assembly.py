"""People in one record: the identifiers of a row, a JSON item or a document, read in order, grouped into
persons and turned into keyed hashes (PersonRecord) the people counter links across documents.

A second, different name, date of birth, MRN, SSN, NIR or health-plan id starts the next person; a first name
and a last name given separately ("Nom : DUPONT  Prénom : Marie", CSV columns first_name/last_name) make one
name. Phones and emails add to the current person. Nothing here keeps a value beyond the analysis."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Protocol

from phileak.model import DataCategory
from phileak.phi.hashed import digest_algorithm, email_sha256, linking_kind
from phileak.phi.identity import fold, parse_date
from phileak.phi.labels import Role
from phileak.phi.patterns.contact import is_role_mailbox
from phileak.phi.spec import PersonRecord

_C = DataCategory
_SINGLE_SLOTS: Final = {
    _C.DATE_OF_BIRTH: "dob", _C.MRN: "mrn", _C.SSN: "ssn", _C.FR_NIR: "nir", _C.HEALTH_PLAN_ID: "health-plan-id",
}  # fmt: skip
_SLOT_CATEGORY: Final = {slot: category.value for category, slot in _SINGLE_SLOTS.items()}
_HASHED_SLOTS: Final = (("mrn", "mrn"), ("ssn", "ssn"), ("nir", "fr-nir"), ("health-plan-id", "health-plan-id"))
_KEY_ORDER: Final = ("ssn", "nir", "mrn", "health-plan-id")
_PERSON_CATEGORIES: Final = frozenset({_C.PERSON_NAME, _C.EMAIL, _C.PHONE, _C.ADDRESS, *_SINGLE_SLOTS})
_NAME_PARTS: Final = frozenset({Role.GIVEN_NAME, Role.FAMILY_NAME})
_NAME_WORD = re.compile(r"[^\W\d_]+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ROLE_OF: Final = {_C.EMAIL: Role.EMAIL, _C.PHONE: Role.PHONE}
_TITLES: Final = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "mme", "mlle", "m", "madame", "monsieur"})


class Hashing(Protocol):
    """What assembly needs of phi.identity.IdentityHasher (possibly behind a cache)."""

    def hash(self, category: str, value: str) -> str | None: ...

    def person(self, **parts: str | None) -> str | None: ...


def name_words(value: str) -> frozenset[str]:
    """A name's words, folded, titles left out: "Mr. John SMITH" and "SMITH^JOHN" give the same set."""
    return frozenset(w for w in (fold(word) for word in _NAME_WORD.findall(value)) if w not in _TITLES)


@dataclass(slots=True)
class PersonBuilder:
    """One person being assembled from a record's identifiers, in reading order."""

    region: str = "US"
    name_parts: dict[Role, str] = field(default_factory=dict)
    name_tokens: frozenset[str] = frozenset()
    slots: dict[str, tuple[str, str]] = field(default_factory=dict)  # slot -> (raw value, comparable form)
    emails: dict[str, str] = field(default_factory=dict)
    hashed: dict[str, str] = field(default_factory=dict)  # digest (lower case) -> attribute kind ("email-sha256")
    phones: dict[str, str] = field(default_factory=dict)
    addresses: list[str] = field(default_factory=list)

    def accepts(self, category: DataCategory, role: Role | None, value: str) -> bool:
        """False when `value` belongs to someone else (a second, different name or date of birth ...)."""
        if digest_algorithm(value) is not None:
            return True  # a digest says nothing about whose record this is
        if category is _C.PERSON_NAME:
            tokens = name_words(value)
            if not tokens or not self.name_tokens or tokens <= self.name_tokens or self.name_tokens <= tokens:
                return True
            part = role if role in _NAME_PARTS else None
            return (
                part is not None
                and part not in self.name_parts
                and (set(self.name_parts) <= _NAME_PARTS or len(self.name_tokens) == 1)
            )
        slot = _SINGLE_SLOTS.get(category)
        if slot is None or slot not in self.slots:
            return True
        return self.slots[slot][1] == _comparable(category, value, self.region)

    def add(self, category: DataCategory, role: Role | None, value: str) -> None:
        if digest_algorithm(value) is not None:
            kind = linking_kind(role or _ROLE_OF.get(category), value)
            if kind is not None:
                self.hashed.setdefault(value.strip().lower(), kind)
            return  # hashed names, dates and postcodes are detections, not a person's parts
        if category is _C.PERSON_NAME:
            tokens = name_words(value)
            if not tokens or tokens <= self.name_tokens:
                return
            part = role if role in _NAME_PARTS else Role.PERSON_NAME
            if part is Role.PERSON_NAME and self.name_tokens <= tokens:
                self.name_parts = {Role.PERSON_NAME: value}
            else:
                self.name_parts[part] = value
            self.name_tokens = self.name_tokens | tokens
            return
        slot = _SINGLE_SLOTS.get(category)
        if slot is not None:
            self.slots.setdefault(slot, (value, _comparable(category, value, self.region)))
        elif category is _C.EMAIL and not is_role_mailbox(value):
            self.emails.setdefault(value.lower(), value)
        elif category is _C.PHONE:
            self.phones.setdefault("".join(c for c in value if c.isdigit()), value)
        elif category is _C.ADDRESS:
            self.addresses.append(value)

    @property
    def name(self) -> str | None:
        if not self.name_parts:
            return None
        order = (Role.PERSON_NAME, Role.GIVEN_NAME, Role.FAMILY_NAME)
        return " ".join(self.name_parts[r] for r in order if r in self.name_parts)

    def record(self, hashing: Hashing) -> PersonRecord | None:
        """The person as keyed hashes; None when nothing here identifies anyone (a phone number alone). The key
        is the strongest identifier: SSN, NIR, MRN, health-plan id, else name + date of birth, else an email,
        else the name alone. Attributes carry every hash the people counter (phi.people) can link on: name,
        date of birth, name + date of birth, address, and each identifier."""
        name = self.name
        dob = self._birth_date()
        attributes: set[tuple[str, str]] = set()
        pair = hashing.person(name=name, birth_date=dob) if name and dob else None
        if pair:
            attributes.add(("name+dob", pair))
        if name:
            _add(attributes, "person-name", hashing.hash("person-name", name))
        if dob:
            _add(attributes, "date-of-birth", hashing.hash("date-of-birth", dob))
        if self.addresses:  # the fullest line written for this person
            _add(attributes, "address", hashing.hash("address", max(self.addresses, key=len)))
        for slot, category in _HASHED_SLOTS:
            if slot in self.slots:
                _add(attributes, slot, hashing.hash(category, self.slots[slot][0]))
        for value in self.emails.values():
            _add(attributes, "email", hashing.hash("email", value))
            _add(attributes, "email-sha256", hashing.hash("email-sha256", email_sha256(value)))
        for digest, kind in self.hashed.items():
            _add(attributes, kind, hashing.hash(kind, digest))
        for value in self.phones.values():
            _add(attributes, "phone", hashing.hash("phone", value))
        strong = next((slot for slot in _KEY_ORDER if slot in self.slots), None)
        if strong is not None:
            kind = "fr-nir" if strong == "nir" else strong
            key = hashing.person(id_value=self.slots[strong][0], id_kind=kind)
        elif pair:
            key = pair
        elif self.emails:
            key = hashing.person(id_value=next(iter(self.emails.values())), id_kind="email")
        else:
            key = hashing.person(name=name) if name else None
        return PersonRecord(key=key, attributes=frozenset(attributes)) if key else None

    def _birth_date(self) -> str | None:
        """The date of birth as this record's region reads it: in ISO form when it parses, so that the hasher
        (which reads numeric dates in the scan's region) keys the date this document meant."""
        if "dob" not in self.slots:
            return None
        raw, comparable = self.slots["dob"]
        return comparable if _ISO_DATE.fullmatch(comparable) else raw

    def values(self) -> list[tuple[str, str]]:
        """The raw values this person was built from, each with its category (to register with logsafe)."""
        return [
            *((name, "person-name") for name in self._name_forms()),
            *((raw, _SLOT_CATEGORY[slot]) for slot, (raw, _) in self.slots.items()),
            *((email, "email") for email in self.emails.values()),
            *((digest, "id") for digest in self.hashed),
            *((phone, "phone") for phone in self.phones.values()),
            *((address, "address") for address in self.addresses),
        ]


    def _name_forms(self) -> list[str]:
        """The name as a log line may write it: whole, and in the other order too when it came in two parts (a
        CSV's first_name and last_name). A name of one word is left out: alone it identifies no one, and
        registered it would redact that word in every later line and report ("Page" in `page_path`, "May")."""
        name = self.name
        if name is None or len(name_words(name)) < 2:
            return []
        parts = list(self.name_parts.values())
        return [name, f"{parts[1]} {parts[0]}"] if len(parts) == 2 else [name]


def _add(attributes: set[tuple[str, str]], kind: str, digest: str | None) -> None:
    if digest:
        attributes.add((kind, digest))


@functools.lru_cache(maxsize=4096)
def _comparable(category: DataCategory, value: str, region: str) -> str:
    if category is _C.DATE_OF_BIRTH:
        try:
            return parse_date(value, region).isoformat()
        except ValueError:
            pass
    return "".join(c for c in value.upper() if c.isalnum())


def assemble(identifiers: Iterable[tuple[DataCategory, Role | None, str]], region: str) -> list[PersonBuilder]:
    """A record's (category, role, raw value) identifiers, in reading order, split into people."""
    people: list[PersonBuilder] = []
    current = PersonBuilder(region)
    for category, role, value in identifiers:
        if category not in _PERSON_CATEGORIES:
            continue
        if not current.accepts(category, role, value):
            people.append(current)
            current = PersonBuilder(region)
        current.add(category, role, value)
    people.append(current)
    return people
