"""Health words in page URLs, titles, search terms and event data: "/conditions/type-2-diabetes",
"HIV testing | Example Health", `ep.search_term=chemotherapy`.

Terms come from the PHI engine's vocabularies (`phileak.phi.vocab.default_vocabularies()`: conditions, medicines,
procedures, health searches; ambiguous-word lists left out). Until that package provides them, a small built-in
list of common and sensitive condition words stands in (FALLBACK_TERMS), and is always added to them;
`HealthTerms.source` says which is used.
Matching is on whole words after URL-decoding and accent/case folding, in one Aho-Corasick pass.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import unquote_plus, urlsplit

import ahocorasick  # type: ignore[import-not-found, unused-ignore]

from phileak.model import DataCategory
from phileak.phi.identity import fold

log = logging.getLogger(__name__)

VOCABULARY_CATEGORIES: Final = frozenset(
    {DataCategory.HEALTH_CONDITION, DataCategory.MEDICATION, DataCategory.PROCEDURE, DataCategory.SEARCH_TERM}
)
MIN_TERM_CHARS: Final = 3
MAX_TEXT_CHARS: Final = 64 * 1024
MAX_TERMS_REPORTED: Final = 10

# Stand-in until phileak.phi.vocab lands: common conditions and the special categories (mental health, substance
# use, HIV/STI, reproductive health, gender identity), EN + FR.
FALLBACK_TERMS: Final = (
    "abortion", "addiction", "adhd", "aids", "alcoholism", "alzheimer", "alzheimers", "anorexia", "anxiety",
    "arthritis", "asthma", "autism", "bipolar", "breast cancer", "bulimia", "cancer", "cardiology", "chemotherapy",
    "chlamydia", "contraception", "copd", "covid", "crohn", "dementia", "depression", "diabetes", "dialysis",
    "eating disorder", "epilepsy", "erectile dysfunction", "fertility", "gender affirming", "gonorrhea", "hepatitis",
    "herpes", "hiv", "hpv", "hypertension", "infertility", "ivf", "leukemia", "lupus", "lymphoma", "mammogram",
    "melanoma", "mental health", "miscarriage", "multiple sclerosis", "obesity", "oncology", "opioid", "overdose",
    "parkinson", "pregnancy", "prenatal", "psychiatry", "ptsd", "rehab", "schizophrenia", "sexual health",
    "sti", "std", "stroke", "substance use", "suicide", "syphilis", "transgender", "tuberculosis", "tumor",
    "vasectomy", "weight loss surgery", "bariatric", "avortement", "cancer du sein", "dépression", "diabète",
    "grossesse", "santé mentale", "toxicomanie", "vih", "sida", "fausse couche", "psychiatrie",
)  # fmt: skip

_WORD = re.compile(r"[^\W_]+")


class HealthTerms:
    """Finds health terms in text; `source` names where the terms came from."""

    def __init__(self, terms: Iterable[str], source: str) -> None:
        self.source = source
        self._automaton = ahocorasick.Automaton()
        count = 0
        for term in terms:
            key = normalise(term)
            if len(key) < MIN_TERM_CHARS or key.replace(" ", "").isdigit():
                continue
            needle = f" {key} "
            if needle not in self._automaton:
                self._automaton.add_word(needle, key)
                count += 1
        self.size = count
        if count:
            self._automaton.make_automaton()

    def __repr__(self) -> str:
        return f"HealthTerms({self.size} terms from {self.source})"

    def find(self, text: str) -> list[str]:
        """The health terms in `text` (folded lookup forms), longest first, at most MAX_TERMS_REPORTED."""
        if not self.size or not text:
            return []
        haystack = f" {normalise(text[:MAX_TEXT_CHARS])} "
        found = {term for _end, term in self._automaton.iter(haystack)}
        # "breast cancer" explains "cancer": drop terms inside a longer one found.
        kept = [t for t in found if not any(t != other and f" {t} " in f" {other} " for other in found)]
        return sorted(kept, key=lambda t: (-len(t), t))[:MAX_TERMS_REPORTED]

    def find_in_url(self, url: str) -> list[str]:
        """Health terms in a URL's path, query and fragment (never its host: a hospital's domain name is not a
        page topic), after percent-decoding twice."""
        return self.find(url_words(url))


def normalise(text: str) -> str:
    return " ".join(_WORD.findall(fold(text)))


def url_words(url: str) -> str:
    """The path, query and fragment of `url`, percent-decoded (twice, for double-encoded values)."""
    text = url.strip()
    if "://" in text[:16]:
        try:
            parts = urlsplit(text)
        except ValueError:
            parts = None
        if parts is not None:
            text = f"{parts.path} {parts.query} {parts.fragment}"
    return unquote_plus(unquote_plus(text))


@functools.cache
def default_health_terms() -> HealthTerms:
    """The engine's vocabularies when phileak.phi.vocab provides them, else the built-in fallback list."""
    try:
        from phileak.phi.vocab import default_vocabularies  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        log.info("phileak.phi.vocab has no default_vocabularies yet: using the built-in health word list")
        return HealthTerms(FALLBACK_TERMS, "built-in fallback list")
    terms: list[str] = []
    names = []
    for spec in default_vocabularies():
        if spec.category in VOCABULARY_CATEGORIES and not spec.needs_context:
            names.append(spec.name)
            terms.extend(term for term in spec.terms() if len(term) >= max(spec.min_length, MIN_TERM_CHARS))
    if not terms:
        return HealthTerms(FALLBACK_TERMS, "built-in fallback list")
    # The curated sensitive words stay in: on a health organisation's own pages a word the engine treats as
    # ambiguous in free text ("depression") names a condition.
    return HealthTerms([*terms, *FALLBACK_TERMS], "phileak.phi.vocab: " + ", ".join(names) + " + built-in list")
