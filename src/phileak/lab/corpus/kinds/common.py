"""What every document kind is built from: a patient (identity + clinical profile), its provider, formatting."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from phileak.lab.corpus.clinical import Condition, Medicine
from phileak.lab.corpus.identities import Person, Provider, ascii_fold
from phileak.model import DataCategory

C = DataCategory
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")  # fmt: skip
_MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Patient:
    person: Person
    conditions: tuple[Condition, ...]
    medicines: tuple[Medicine, ...]
    provider: Provider


@dataclass(frozen=True, slots=True)
class Context:
    """One document to build: its id, language, random source and the day it is about."""

    doc_id: str
    number: int
    language: str
    rng: random.Random
    day: date

    @property
    def fr(self) -> bool:
        return self.language == "fr"


def some_day(rng: random.Random) -> date:
    return date(2022, 1, 3) + timedelta(days=rng.randrange(3 * 365))


def numeric_date(day: date, language: str) -> str:
    return (
        f"{day.day:02d}/{day.month:02d}/{day.year}" if language == "fr" else f"{day.month:02d}/{day.day:02d}/{day.year}"
    )


def long_date(day: date, language: str) -> str:
    if language == "fr":
        return f"{day.day} {_MONTHS_FR[day.month - 1]} {day.year}"
    return f"{_MONTHS_EN[day.month - 1]} {day.day}, {day.year}"


def any_date(day: date, language: str, rng: random.Random) -> str:
    """A date as people write it: numeric, long, or ISO."""
    style = rng.random()
    if style < 0.6:
        return numeric_date(day, language)
    if style < 0.85:
        return long_date(day, language)
    return day.isoformat()


def compact_date(day: date) -> str:
    return f"{day.year}{day.month:02d}{day.day:02d}"


def decimal(value: float, decimals: int, language: str) -> str:
    text = f"{value:.{decimals}f}"
    return text.replace(".", ",") if language == "fr" else text


def key_part(text: str) -> str:
    """A name as it appears in object keys: folded to ASCII, upper-case, spaces and apostrophes as '-'."""
    return ascii_fold(text).upper().replace(" ", "-").replace("'", "-")


def phone_as_written(person: Person, rng: random.Random) -> str:
    """The person's number in one of the ways it is commonly written."""
    if person.language == "fr":
        return person.phone if rng.random() < 0.7 else "+33 " + person.phone[1:]
    area, exchange, line = person.phone.split("-")
    style = rng.random()
    if style < 0.4:
        return person.phone
    if style < 0.8:
        return f"({area}) {exchange}-{line}"
    return f"+1 {area} {exchange} {line}"


def provider_title(provider: Provider, language: str) -> str:
    return "Dr " if language == "fr" else "Dr. "
