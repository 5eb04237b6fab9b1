"""Reading the term lists shipped in `vocab/data/`: plain or gzip text, `#` comment lines, tab-separated rows.

Everything is read from the installed package (no network, no other package imported) and cached per file."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources

from phileak.phi.identity import fold

_PACKAGE = "phileak.phi.vocab.data"


@cache
def rows(name: str) -> tuple[tuple[str, ...], ...]:
    """The data file `name` as tab-separated rows, comments and blank lines left out."""
    raw = resources.files(_PACKAGE).joinpath(name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    lines = raw.decode("utf-8").splitlines()
    return tuple(tuple(line.split("\t")) for line in lines if line and not line.startswith("#"))


def column(name: str, index: int = 0) -> tuple[str, ...]:
    """One column of the data file `name`."""
    return tuple(row[index] for row in rows(name))


def with_unaccented(terms: Iterable[str]) -> Iterator[str]:
    """Each term, then its accent-free spelling when that differs ("diabète", "diabete"): text in URLs, upper-case
    exports and older systems often drops accents."""
    for term in terms:
        yield term
        plain = strip_accents(term)
        if plain != term:
            yield plain


def strip_accents(term: str) -> str:
    """`term` without combining marks, its case kept ("Lévothyrox" -> "Levothyrox", "cœur" -> "cœur")."""
    if term.isascii():
        return term
    folded = fold(term)
    # fold() also lowercases; put the original case back letter by letter where lengths still agree.
    if len(folded) != len(term):
        return folded
    return "".join(f.upper() if t.isupper() else f for f, t in zip(folded, term, strict=True))


_WORDS = re.compile(r"[^\W_]+(?:['\u2019/+-][^\W_]+)*")


def words(text: str) -> list[str]:
    """The words of `text`, keeping inner apostrophes, hyphens, slashes and plus signs ("l'uterus", "hiv/aids")."""
    return _WORDS.findall(text)


def key(term: str) -> str:
    """The lookup form of a term: accent- and case-folded words joined by single spaces ("Graves' disease" ->
    "graves disease")."""
    return " ".join(words(fold(term)))
