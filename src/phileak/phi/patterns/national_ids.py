"""US Social Security numbers and French NIR (numéro de sécurité sociale). Written as their shape only (dashed
SSN, NIR with its key); nine bare digits or a NIR without its key are read only after a label or cue."""

from __future__ import annotations

from typing import Final

from phileak.model import DataCategory
from phileak.phi.spec import PatternSpec
from phileak.phi.validators import nir_valid, ssn_valid

SSN = PatternSpec(
    name="ssn",
    category=DataCategory.SSN,
    regex=r"\b\d{3}-\d{2}-\d{4}\b",
    validate=ssn_valid,
    confidence=0.85,
)
_SEP = "[ .]?"
NIR = PatternSpec(
    name="fr-nir",
    category=DataCategory.FR_NIR,
    regex=(
        rf"\b[12]{_SEP}\d\d{_SEP}(?:0[1-9]|1[0-2]|[2-9]\d){_SEP}(?:\d\d|2[AaBb]){_SEP}\d{{3}}{_SEP}\d{{3}}{_SEP}\d\d\b"
    ),
    validate=nir_valid,
    confidence=0.95,
)
PATTERNS: Final = (SSN, NIR)
