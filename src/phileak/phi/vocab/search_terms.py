"""Health search queries a patient types into a hospital, clinic or pharmacy site (data/search_terms.tsv), for
the web probe: it submits them through a site's search box and looks for them in what trackers receive. The
special-category ones (HIV, abortion, mental health, addiction…) are those whose leak matters most."""

from __future__ import annotations

from typing import Final

from phileak.phi.vocab._data import rows

SEARCH_TERMS_FILE: Final = "search_terms.tsv"
LANGUAGES: Final = ("en", "fr")


def health_search_terms(lang: str = "en", *, sensitive_only: bool = False) -> list[str]:
    """The shipped health search queries in `lang` ("en" or "fr"), or only the special-category ones.
    Raises ValueError for another language."""
    if lang not in LANGUAGES:
        raise ValueError(f"no health search terms for language {lang!r} (have: {', '.join(LANGUAGES)})")
    return [
        term
        for term, term_lang, sensitivity in rows(SEARCH_TERMS_FILE)
        if term_lang == lang and (sensitivity != "-" or not sensitive_only)
    ]
