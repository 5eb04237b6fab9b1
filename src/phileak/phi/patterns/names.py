"""Names with a shape of their own: DICOM person names (FAMILY^GIVEN^MIDDLE) and clinicians written with their
credentials ("Jane Smith, MD"). Other names are read after a label or cue, or found in name lists with context."""

from __future__ import annotations

from typing import Final

from phileak.model import DataCategory
from phileak.phi.patterns.shapes import CAP_WORD, LETTER
from phileak.phi.spec import PatternSpec

DICOM_PERSON_NAME = PatternSpec(
    name="person-name-dicom",
    category=DataCategory.PERSON_NAME,
    regex=rf"\b{CAP_WORD}\^{CAP_WORD}(?:\^[{LETTER}'.\-]*){{0,3}}",
    confidence=0.9,
)
_CREDENTIAL: Final = r"(?:MD|M\.D\.|DO|D\.O\.|RN|NP|PA-C|FNP|FNP-C|DNP|PharmD|DDS|DMD|DPM|FACP|FACS|PhD|MBBS)"
PROVIDER_WITH_CREDENTIAL = PatternSpec(
    name="provider-name-credential",
    category=DataCategory.PROVIDER_NAME,
    regex=rf"\b{CAP_WORD}(?:[ ][A-Z]\.?)?(?:[ ]{CAP_WORD}){{1,2}},[ ]?{_CREDENTIAL}\b",
    confidence=0.9,
)

PATTERNS: Final = (DICOM_PERSON_NAME, PROVIDER_WITH_CREDENTIAL)
