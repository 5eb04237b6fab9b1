"""Health conditions: ICD-10-CM codes (validated against the CDC code list) and condition names.

Three term lists: the curated EN + FR condition and health-encyclopedia terms (data/conditions.tsv), the
ambiguous ones among them ("depression", "AIDS", "TOC": need health context), and short terms derived from
ICD-10-CM descriptions and inclusion terms (data/icd10cm_terms.tsv.gz). Two code patterns: a dotted code ("E11.9",
"C50.911") counts alone once validated; a code without its dot ("E119", "F329") or a bare category ("I10") only
with context such as "ICD-10", "Dx", "diagnosis", "CIM-10"."""

from __future__ import annotations

from functools import cache
from typing import Final

from phileak.model import DataCategory
from phileak.phi.spec import PatternSpec, VocabularySpec
from phileak.phi.vocab import context
from phileak.phi.vocab._data import column, rows, with_unaccented

CODES_FILE: Final = "icd10cm_codes.txt.gz"
ICD_TERMS_FILE: Final = "icd10cm_terms.tsv.gz"
CURATED_FILE: Final = "conditions.tsv"
ICD_SOURCE: Final = "simple-icd-10-cm (ICD-10-CM April 2026, CDC/NCHS, public domain)"
CURATED_SOURCE: Final = "phileak curated EN+FR condition and health-topic list (data/conditions.tsv)"


@cache
def icd10cm_codes() -> frozenset[str]:
    """Every ICD-10-CM category and subcategory code, without its dot ("E119", "C50911", "I10")."""
    return frozenset(column(CODES_FILE))


def normalise_icd_code(text: str) -> str:
    """`text` as a dot-free upper-case code ("e11.9 " -> "E119")."""
    return text.strip().upper().replace(".", "")


def is_icd10cm_code(text: str) -> bool:
    """Whether `text` is a real ICD-10-CM code, with or without its dot ("E11.9", "E119", "C50.911", "U07.1").
    A dot is only accepted after the third character."""
    stripped = text.strip()
    if "." in stripped and (stripped.index(".") != 3 or stripped.count(".") > 1 or stripped.endswith(".")):
        return False
    return normalise_icd_code(stripped) in icd10cm_codes()


def _curated(*, ambiguous: bool) -> tuple[str, ...]:
    flag = "1" if ambiguous else "0"
    return tuple(with_unaccented(term for term, _lang, _sens, ctx in rows(CURATED_FILE) if ctx == flag))


def icd_terms() -> tuple[str, ...]:
    """Short condition terms derived from ICD-10-CM descriptions (lower case, English)."""
    return column(ICD_TERMS_FILE)


def condition_terms(lang: str | None = None) -> tuple[str, ...]:
    """The curated condition terms ("diabetes", "cancer du sein", "VIH"), all or those of one language."""
    return tuple(term for term, term_lang, _sens, _ctx in rows(CURATED_FILE) if lang in (None, term_lang))


def condition_vocabularies() -> list[VocabularySpec]:
    return [
        VocabularySpec(
            name="health-condition",
            category=DataCategory.HEALTH_CONDITION,
            terms=lambda: _curated(ambiguous=False),
            source=CURATED_SOURCE,
            confidence=0.85,
        ),
        VocabularySpec(
            name="health-condition-ambiguous",
            category=DataCategory.HEALTH_CONDITION,
            terms=lambda: _curated(ambiguous=True),
            source=CURATED_SOURCE,
            needs_context=True,
            context=context.HEALTH,
            confidence=0.7,
        ),
        VocabularySpec(
            name="icd10cm-term",
            category=DataCategory.HEALTH_CONDITION,
            terms=icd_terms,
            source=ICD_SOURCE,
            confidence=0.8,
            min_length=5,
        ),
    ]


ICD10CM_DOTTED = PatternSpec(
    name="icd10cm-code",
    category=DataCategory.HEALTH_CONDITION,
    regex=r"\b[A-Z][0-9][0-9A-Z]\.[0-9A-Z]{1,4}\b",
    validate=is_icd10cm_code,
    context=context.ICD,
    confidence=0.75,
)
ICD10CM_BARE = PatternSpec(
    name="icd10cm-code-bare",
    category=DataCategory.HEALTH_CONDITION,
    regex=r"\b[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}\b",
    validate=is_icd10cm_code,
    needs_context=True,
    context=context.ICD,
    confidence=0.7,
)


def condition_patterns() -> list[PatternSpec]:
    return [ICD10CM_DOTTED, ICD10CM_BARE]
