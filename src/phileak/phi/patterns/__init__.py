"""Identifier detectors as declarative PatternSpecs, one module per family, all compiled by the engine into one
multi-pattern pass (matcher.py); values that only a label can reveal are read by readers.py."""

from __future__ import annotations

from typing import Final

from phileak.phi.patterns import accounts, address, contact, dates, health_ids, names, national_ids
from phileak.phi.spec import PatternSpec

_FAMILIES: Final = (contact, dates, address, national_ids, health_ids, accounts, names)

# Literal anchors hyperscan finds instead of a long or unbounded pattern, and how far around the anchor's end
# Python reads the match: (anchor regex, characters before, characters after).
PREFILTERS: Final[dict[str, tuple[str, int, int]]] = {**contact.PREFILTERS}


def default_patterns() -> list[PatternSpec]:
    """Every identifier PatternSpec phileak ships (health-fact patterns come from phileak.phi.vocab)."""
    return [spec for family in _FAMILIES for spec in family.PATTERNS]


__all__ = ["PREFILTERS", "default_patterns"]
