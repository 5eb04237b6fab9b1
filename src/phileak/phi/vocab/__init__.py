"""The PHI engine's vocabularies: term lists (names, conditions, medications, procedures, lab analytes) and the
vocabulary-backed patterns (ICD-10-CM codes, lab results, CPT/HCPCS/CCAM, NDC/CIP13), English and French.

Every list is shipped in `data/` (docs/vocabularies.md says where each comes from, its licence and filters) and
read lazily: building the specs costs nothing, calling a spec's `terms()` reads its file once (cached). Nothing
here needs the network or imports the packages the lists were made from."""

from __future__ import annotations

from functools import cache

from phileak.phi.spec import PatternSpec, VocabularySpec
from phileak.phi.vocab.conditions import (
    condition_patterns,
    condition_terms,
    condition_vocabularies,
    icd10cm_codes,
    is_icd10cm_code,
)
from phileak.phi.vocab.labs import is_analyte, lab_patterns, lab_result_valid, lab_vocabularies
from phileak.phi.vocab.medications import is_medication, medication_patterns, medication_vocabularies
from phileak.phi.vocab.names import (
    NameInfo,
    first_names,
    is_first_name,
    is_last_name,
    is_weak_name,
    last_names,
    looks_like_full_name,
    lookup_name,
    name_vocabularies,
)
from phileak.phi.vocab.procedures import procedure_patterns, procedure_terms, procedure_vocabularies
from phileak.phi.vocab.providers import is_provider_title, provider_titles
from phileak.phi.vocab.search_terms import health_search_terms
from phileak.phi.vocab.sensitivity import Sensitivity, code_sensitivity, is_sensitive, sensitivity


@cache
def _vocabularies() -> tuple[VocabularySpec, ...]:
    return (
        *name_vocabularies(),
        *condition_vocabularies(),
        *medication_vocabularies(),
        *procedure_vocabularies(),
        *lab_vocabularies(),
    )


@cache
def _patterns() -> tuple[PatternSpec, ...]:
    return (*condition_patterns(), *lab_patterns(), *procedure_patterns(), *medication_patterns())


def default_vocabularies() -> list[VocabularySpec]:
    """Every shipped term list as a VocabularySpec (the same spec objects on each call)."""
    return list(_vocabularies())


def default_patterns() -> list[PatternSpec]:
    """Every vocabulary-backed PatternSpec: ICD-10-CM codes, lab results, CPT/HCPCS/CCAM, NDC/CIP13."""
    return list(_patterns())


__all__ = [
    "NameInfo",
    "Sensitivity",
    "code_sensitivity",
    "condition_terms",
    "default_patterns",
    "default_vocabularies",
    "first_names",
    "health_search_terms",
    "icd10cm_codes",
    "is_analyte",
    "is_first_name",
    "is_icd10cm_code",
    "is_last_name",
    "is_medication",
    "is_provider_title",
    "is_sensitive",
    "is_weak_name",
    "lab_result_valid",
    "last_names",
    "looks_like_full_name",
    "lookup_name",
    "procedure_terms",
    "provider_titles",
    "sensitivity",
]
