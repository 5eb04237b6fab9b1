"""Clinician titles and roles, EN + FR (data/provider_titles.tsv): "Dr", "Docteur", "Pr" before a name, "MD",
"RN" after it, and role words ("cardiologist", "médecin traitant") that make a nearby name a provider's. The
engine's own cues (phi/labels.py) and credential pattern (phi/patterns/names.py) find the names; these lists
are for callers that need the words themselves (a label reader, a report)."""

from __future__ import annotations

from typing import Final, Literal

from phileak.phi.vocab._data import key, rows

TITLES_FILE: Final = "provider_titles.tsv"
Position = Literal["prefix", "suffix", "role"]


def provider_titles(lang: str | None = None, position: Position | None = None) -> list[str]:
    """Titles and role words, all or those of one language ("en", "fr") and/or position."""
    return [
        title
        for title, title_lang, title_position in rows(TITLES_FILE)
        if lang in (None, title_lang) and position in (None, title_position)
    ]


def is_provider_title(text: str) -> bool:
    """Whether `text` ("Dr.", "docteur", "M.D.", "cardiologue") is a listed title or role word."""
    return key(text) in {key(title) for title, _lang, _position in rows(TITLES_FILE)}
