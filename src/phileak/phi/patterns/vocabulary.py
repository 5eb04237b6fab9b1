"""Term lists in one pass: every term of every VocabularySpec in ONE Aho-Corasick automaton (pyahocorasick),
matched case-insensitively on whole words over a normalised copy of the text.

The copy keeps character offsets: lower-cased, ASCII punctuation and a few Unicode separators turned into
spaces. Terms are stored the same way with a space on each side, so a hit is a whole word (or words) by
construction and no boundary check is needed per hit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import ahocorasick  # type: ignore[import-not-found, unused-ignore]

from phileak.phi.spec import VocabularySpec

Hit = tuple[int, int, int]  # (vocabulary index, start, end)

_SEPARATORS: Final = "\u00a0\u2019\u2018\u201c\u201d\u00ab\u00bb\u2013\u2014\u2026\u202f\u00b7"
_BYTE_TABLE: Final = bytes(
    b if (0x30 <= b <= 0x39 or 0x61 <= b <= 0x7A or b >= 0x80 or b == 0) else 0x20 for b in range(256)
)


def normalise(text: str) -> str:
    """`text` lower-cased with punctuation as spaces, character for character (same length and offsets)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters lower-case to two ("İ"): keep those as they are
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    if lowered.isascii():
        return lowered.encode("ascii").translate(_BYTE_TABLE).decode("ascii")
    spaced = lowered.encode("utf-8", "surrogatepass").translate(_BYTE_TABLE).decode("utf-8", "surrogatepass")
    for separator in _SEPARATORS:
        if separator in spaced:
            spaced = spaced.replace(separator, " ")
    return spaced


def term_keys(term: str) -> set[str]:
    """The automaton keys of a term: normalised, padded with spaces; also with runs of spaces collapsed
    ("Graves' disease" is found as "graves  disease" and "graves disease")."""
    norm = normalise(term.strip())
    keys = {f" {norm} "}
    collapsed = " ".join(norm.split())
    if collapsed:
        keys.add(f" {collapsed} ")
    return {key for key in keys if key.strip()}


class VocabularyMatcher:
    """All vocabularies in one automaton. `scan` returns (vocabulary index, start, end) for each whole-word
    occurrence of a term; a term listed by several vocabularies is reported once for each. The context words
    of vocabulary i (VocabularySpec.context) are in the same automaton, reported as index -1 - i."""

    def __init__(self, vocabularies: Sequence[VocabularySpec]) -> None:
        self._vocabularies = tuple(vocabularies)
        owners: dict[str, set[int]] = {}
        for index, spec in enumerate(self._vocabularies):
            for term in spec.terms():
                if len(term.strip()) < spec.min_length:
                    continue
                for key in term_keys(term):
                    owners.setdefault(key, set()).add(index)
            for word in spec.context:
                for key in term_keys(word):
                    owners.setdefault(key, set()).add(-1 - index)
        self._automaton = ahocorasick.Automaton()
        for key, indices in owners.items():
            self._automaton.add_word(key, (len(key), tuple(sorted(indices))))
        self._empty = not owners
        if not self._empty:
            self._automaton.make_automaton()
        self.term_count = len(owners)

    def scan(self, text: str) -> list[Hit]:
        """Whole-word term occurrences in `text` (character offsets into `text`)."""
        if self._empty or not text:
            return []
        padded = " " + normalise(text) + " "
        hits: list[Hit] = []
        append = hits.append
        for last, (length, indices) in self._automaton.iter(padded):
            # The key spans padded[last - length + 1 : last + 1] including its two spaces; padded is text
            # shifted by one.
            start = last - length + 1
            end = last - 1
            for index in indices:
                append((index, start, end))
        return hits
