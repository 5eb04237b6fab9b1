"""Medications: drug names and synonyms from drug-named-entity-recognition's shipped dictionary (DrugBank open
data CC0, MeSH, MedlinePlus, NHS; data/medications.txt.gz, filtered by scripts/build_vocab.py) plus curated French
brand names and INN spellings and sensitive medicines (data/medications_curated.tsv).

Generated single-word names of five letters ("cipro", "lasix") collide with words and handles in other languages more
often than long ones, so they form a second list that needs context ("mg", "tablet", "ordonnance"...). Two code
patterns: a US National Drug Code in its dashed forms (needs context: "NDC"), and a French CIP13 code (34009 +
8 digits, EAN-13 check digit)."""

from __future__ import annotations

from functools import cache
from typing import Final

from phileak.model import DataCategory
from phileak.phi.spec import PatternSpec, VocabularySpec
from phileak.phi.vocab import context
from phileak.phi.vocab._data import column, key, with_unaccented

GENERATED_FILE: Final = "medications.txt.gz"
CURATED_FILE: Final = "medications_curated.tsv"
SOURCE: Final = (
    "drug-named-entity-recognition (MIT; DrugBank open data CC0, MeSH, MedlinePlus, NHS) + phileak curated FR list"
)
_SHORT: Final = 5


@cache
def _all_terms() -> tuple[str, ...]:
    return tuple(with_unaccented((*column(CURATED_FILE), *column(GENERATED_FILE))))


@cache
def _split() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names that count alone, short generated names that need context); curated names always count alone."""
    curated = tuple(with_unaccented(column(CURATED_FILE)))
    generated = column(GENERATED_FILE)
    short = tuple(t for t in generated if " " not in t and len(t) <= _SHORT)
    long = tuple(t for t in with_unaccented(generated) if " " in t or len(t) > _SHORT)
    return curated + long, short


def medication_terms() -> tuple[str, ...]:
    """Every listed medication name (curated first), each also without accents."""
    return _all_terms()


def is_medication(term: str) -> bool:
    """Whether `term` is a listed medication name (case and accents ignored)."""
    return key(term) in _medication_keys()


@cache
def _medication_keys() -> frozenset[str]:
    return frozenset(key(term) for term in _all_terms())


def medication_vocabularies() -> list[VocabularySpec]:
    return [
        VocabularySpec(
            name="medication",
            category=DataCategory.MEDICATION,
            terms=lambda: _split()[0],
            source=SOURCE,
            confidence=0.8,
        ),
        VocabularySpec(
            name="medication-short",
            category=DataCategory.MEDICATION,
            terms=lambda: _split()[1],
            source=SOURCE,
            needs_context=True,
            context=context.MEDICATION,
            confidence=0.7,
            min_length=4,
        ),
    ]


def ean13_valid(text: str) -> bool:
    """GS1 check digit of a 13-digit code."""
    digits = [int(c) for c in text if c.isdigit()]
    if len(digits) != 13:
        return False
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    return (10 - total % 10) % 10 == digits[12]


NDC = PatternSpec(
    name="ndc-code",
    category=DataCategory.MEDICATION,
    regex=r"\b(?:[0-9]{4}-[0-9]{4}-[0-9]{2}|[0-9]{5}-[0-9]{3}-[0-9]{2}|[0-9]{5}-[0-9]{4}-[0-9])\b",
    needs_context=True,
    context=("ndc", "national drug code", "ndc code", "ndc11", "ndc-11", "drug code"),
    confidence=0.8,
)
CIP13 = PatternSpec(
    name="cip13-code",
    category=DataCategory.MEDICATION,
    regex=r"\b34009[0-9]{8}\b",
    validate=ean13_valid,
    context=("cip", "cip13", "code cip", "médicament", "medicament", "pharmacie"),
    confidence=0.75,
)


def medication_patterns() -> list[PatternSpec]:
    return [NDC, CIP13]
