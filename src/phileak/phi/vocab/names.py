"""First names and surnames, English and French, from Faker's census- and statistics-office-derived person
providers (data/names.tsv, made by scripts/build_vocab.py).

Four vocabularies: strong first names, strong surnames, and the weak ones of each: names that are also common
words ("Rose", "Brown", "Petit"), months ("April"), places ("Paris", "Florence") or condition eponyms
("Parkinson"). Every name list needs context (a name label, or a run of names next to other identifiers); a weak
name should count only when written with a capital and labelled or next to another name. The lookups below
(`lookup_name`, `looks_like_full_name`) let the engine and the people counter check "First Last" runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Final

from phileak.model import DataCategory
from phileak.phi.spec import VocabularySpec
from phileak.phi.vocab._data import key, rows, with_unaccented

NAMES_FILE: Final = "names.tsv"
SOURCE: Final = "Faker person providers en_US (SSA, US Census), en_GB (ONS), fr_FR, fr_CA, fr_CH (BFS), fr_BE (Statbel)"
NAME_CONTEXT: Final = (
    "patient", "patient name", "name", "first name", "last name", "surname", "given name", "family name", "mr", "mrs",
    "ms", "miss", "nom", "prénom", "nom de naissance", "nom d'usage", "nom de famille", "mme",
    "mlle", "madame", "monsieur", "né le", "née le", "dob", "date of birth", "date de naissance",
)  # fmt: skip
# Words that join the parts of a name ("Da Silva", "van der Berg", "Le Gall"): never a name alone.
PARTICLES: Final = frozenset({"da", "de", "del", "della", "der", "des", "di", "dos", "du", "la", "le", "van", "von"})


@dataclass(frozen=True, slots=True)
class NameInfo:
    """What the name lists say about one word or multi-word name."""

    first: bool
    last: bool
    weak: bool
    langs: frozenset[str]


@cache
def name_table() -> dict[str, NameInfo]:
    """Every listed name by its lookup key (accent- and case-folded)."""
    table: dict[str, NameInfo] = {}
    for name, kinds, langs, weak in rows(NAMES_FILE):
        table[key(name)] = NameInfo("f" in kinds, "l" in kinds, weak == "1", frozenset(langs.split(",")))
    return table


def lookup_name(token: str) -> NameInfo | None:
    """The name-list entry for `token` ("Jean", "DUPONT", "Hélène", "Da Silva"), or None."""
    return name_table().get(key(token))


def is_first_name(token: str) -> bool:
    info = lookup_name(token)
    return info is not None and info.first


def is_last_name(token: str) -> bool:
    info = lookup_name(token)
    return info is not None and info.last


def is_weak_name(token: str) -> bool:
    """Whether `token` is a listed name that is also a common word, month, place or eponym."""
    info = lookup_name(token)
    return info is not None and info.weak


_NAME_PARTS = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")


def looks_like_full_name(text: str) -> bool:
    """Whether `text` reads as a person's full name by the lists: a first name and a surname ("Jane Smith",
    "SMITH^JANE", "Dupont, Marie", "Jean-Pierre Le Gall"), each written with a capital, at least one of them not
    weak. Particles (de, van, le) are skipped; at most five parts."""
    parts = [p for p in _NAME_PARTS.findall(text) if key(p) not in PARTICLES]
    if not 2 <= len(parts) <= 5 or not all(p[0].isupper() for p in parts):
        return False
    infos = [_part_info(p) for p in parts]
    if any(info is None for info in infos):
        return False
    known = [info for info in infos if info is not None]
    has_first = any(info.first for info in known)
    has_last = any(info.last for info in known)
    return has_first and has_last and any(not info.weak for info in known)


def _part_info(part: str) -> NameInfo | None:
    """A part's entry; a hyphenated first name ("Jean-Pierre", "Marie-Claire") is a first name when each half is."""
    info = lookup_name(part)
    if info is not None or "-" not in part:
        return info
    halves = [lookup_name(h) for h in part.split("-")]
    if all(h is not None and h.first for h in halves):
        return NameInfo(True, False, all(h is not None and h.weak for h in halves), frozenset())
    if all(h is not None and h.last for h in halves):
        return NameInfo(False, True, all(h is not None and h.weak for h in halves), frozenset())
    return None


def _listed(*, first: bool, weak: bool) -> tuple[str, ...]:
    names = [
        name
        for name, kinds, _langs, flag in rows(NAMES_FILE)
        if ("f" in kinds if first else "l" in kinds) and (flag == "1") == weak
    ]
    return tuple(with_unaccented(names))


def first_names(*, weak: bool = False) -> tuple[str, ...]:
    """Listed first names (strong ones, or the weak ones), each also without accents."""
    return _listed(first=True, weak=weak)


def last_names(*, weak: bool = False) -> tuple[str, ...]:
    """Listed surnames (strong ones, or the weak ones), each also without accents."""
    return _listed(first=False, weak=weak)


def name_vocabularies() -> list[VocabularySpec]:
    def spec(name: str, *, first: bool, weak: bool, confidence: float) -> VocabularySpec:
        return VocabularySpec(
            name=name,
            category=DataCategory.PERSON_NAME,
            terms=lambda: _listed(first=first, weak=weak),
            source=SOURCE,
            needs_context=True,
            context=NAME_CONTEXT,
            confidence=confidence,
        )

    return [
        spec("person-first-name", first=True, weak=False, confidence=0.7),
        spec("person-last-name", first=False, weak=False, confidence=0.7),
        spec("person-first-name-weak", first=True, weak=True, confidence=0.4),
        spec("person-last-name-weak", first=False, weak=True, confidence=0.4),
    ]
