"""Vocabulary data files (see docs/vocabularies.md); read through phileak.phi.vocab._data."""
