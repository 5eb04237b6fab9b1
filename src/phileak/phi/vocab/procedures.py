"""Procedures and examinations: curated EN + FR terms (data/procedures.tsv: "MRI", "colonoscopy", "IRM",
"coloscopie", "IVG"...) and procedure codes by shape only, each needing context: CPT (5 digits, or 4 digits and
F/T/U; descriptors are AMA-copyrighted and not shipped), HCPCS Level II (a letter and 4 digits) and the French
CCAM (4 letters and 3 digits)."""

from __future__ import annotations

from typing import Final

from phileak.model import DataCategory
from phileak.phi.spec import PatternSpec, VocabularySpec
from phileak.phi.vocab import context
from phileak.phi.vocab._data import rows, with_unaccented

CURATED_FILE: Final = "procedures.tsv"
SOURCE: Final = "phileak curated EN+FR procedure and examination list (data/procedures.tsv)"
_CPT_FIRST: Final = 100  # Category I codes run from 00100 (anaesthesia) to 99607
_CPT_LAST: Final = 99607


def _curated(*, ambiguous: bool) -> tuple[str, ...]:
    flag = "1" if ambiguous else "0"
    return tuple(with_unaccented(term for term, _lang, _sens, ctx in rows(CURATED_FILE) if ctx == flag))


def procedure_terms(lang: str | None = None) -> tuple[str, ...]:
    """The curated procedure terms, all or those of one language."""
    return tuple(term for term, term_lang, _sens, _ctx in rows(CURATED_FILE) if lang in (None, term_lang))


def procedure_vocabularies() -> list[VocabularySpec]:
    return [
        VocabularySpec(
            name="procedure",
            category=DataCategory.PROCEDURE,
            terms=lambda: _curated(ambiguous=False),
            source=SOURCE,
            confidence=0.8,
        ),
        VocabularySpec(
            name="procedure-ambiguous",
            category=DataCategory.PROCEDURE,
            terms=lambda: _curated(ambiguous=True),
            source=SOURCE,
            needs_context=True,
            context=context.HEALTH,
            confidence=0.65,
        ),
    ]


def cpt_valid(text: str) -> bool:
    """A CPT code's shape: Category I 00100-99607, or 4 digits and F (Category II), T (III) or U (PLA)."""
    code = text.strip().upper()
    if len(code) != 5 or not code[:4].isdigit():
        return False
    if code[4] in "FTU":
        return code[:4] != "0000"
    return code.isdigit() and _CPT_FIRST <= int(code) <= _CPT_LAST


CPT = PatternSpec(
    name="cpt-code",
    category=DataCategory.PROCEDURE,
    regex=r"\b[0-9]{4}[0-9FTU]\b",
    validate=cpt_valid,
    needs_context=True,
    context=context.PROCEDURE_CODES,
    confidence=0.75,
)
HCPCS = PatternSpec(
    name="hcpcs-code",
    category=DataCategory.PROCEDURE,
    regex=r"\b[A-CEGHJ-MP-V][0-9]{4}\b",
    needs_context=True,
    context=context.PROCEDURE_CODES,
    confidence=0.75,
)
CCAM = PatternSpec(
    name="ccam-code",
    category=DataCategory.PROCEDURE,
    regex=r"\b[A-Z]{4}[0-9]{3}\b",
    needs_context=True,
    context=("ccam", "code ccam", "acte", "actes", "code acte", "acte ccam", "codage"),
    confidence=0.75,
)


def procedure_patterns() -> list[PatternSpec]:
    return [CPT, HCPCS, CCAM]
