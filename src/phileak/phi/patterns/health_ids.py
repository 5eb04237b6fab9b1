"""Medicare Beneficiary Identifiers, the one health identifier with a shape of its own. Medical record numbers,
other member ids, and the provider numbers NPI and DEA (checksums in validators.py) are read after a label or
cue: ten digits or two letters and seven digits are too common to mean anything alone."""

from __future__ import annotations

from typing import Final

from phileak.model import DataCategory
from phileak.phi.spec import PatternSpec
from phileak.phi.validators import mbi_valid

_L = "[AC-HJKMNP-RT-Y]"  # CMS: letters without S, L, O, I, B, Z
MBI = PatternSpec(
    name="medicare-mbi",
    category=DataCategory.HEALTH_PLAN_ID,
    regex=rf"\b[1-9]{_L}[0-9AC-HJKMNP-RT-Y]\d-?{_L}[0-9AC-HJKMNP-RT-Y]\d-?{_L}{_L}\d\d\b",
    validate=mbi_valid,
    confidence=0.85,
)
PATTERNS: Final = (MBI,)
