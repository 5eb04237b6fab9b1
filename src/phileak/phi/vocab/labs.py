"""Lab results: analyte names EN + FR (data/lab_analytes.tsv) and the "analyte + value (+ unit)" pattern
("INR: 2.4", "HbA1c 7.2 %", "Glucose 126 mg/dL", "Hémoglobine : 13,2 g/dL", "PSA < 0.1 ng/mL").

Strong analytes (INR, HbA1c, créatinine…) make a result with a value alone; weak ones (iron, sodium, K, TP…)
only with a unit. The regex is hyperscan-compatible (no lookaround, no backreferences, bounded repeats); it
deliberately swallows what would make a hit wrong (a currency after the number, a version's further dots) so
that the validator, given the leftmost-longest match the engine keeps, can reject it: "Glucose 29,99 €",
"TSH 2.4.1", "INR 2,499", "LDL 2024"."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Final

from phileak.model import DataCategory
from phileak.phi.patterns.shapes import longest_first
from phileak.phi.spec import PatternSpec, VocabularySpec
from phileak.phi.vocab import context
from phileak.phi.vocab._data import key, rows, with_unaccented

ANALYTES_FILE: Final = "lab_analytes.tsv"
SOURCE: Final = "phileak curated EN+FR analyte list (data/lab_analytes.tsv)"

# Units by their structure (a quantity per volume, a count per volume, a rate…) rather than as one long list:
# hyperscan compiles a short expression far faster. Matched case-insensitively.
_MICRO: Final = "(?:\u00b5|\u03bc|u|mc)"  # micro sign, Greek mu, or the ASCII spellings
_CUBED: Final = "\u00b3"
_SQUARED: Final = "\u00b2"
UNITS: Final = (
    rf"(?:[mnpfk]|{_MICRO})?(?:g|mol|eq|iu|ui|u)/(?:[dm]|{_MICRO})?l",  # mg/dL, mmol/L, µmol/L, mIU/mL, U/L
    r"mmol/mol",
    rf"(?:copies|cells|cp|g|t)/(?:mm3|mm{_CUBED}|(?:m|{_MICRO})l)",  # copies/mL, cells/µL, G/L, T/L
    rf"/(?:mm3|mm{_CUBED}|{_MICRO}l)",
    rf"ml/min(?:/1[.,]73[ \t]?m(?:2|{_SQUARED}))?",
    r"mm/hr?",
    r"mmhg",
    r"sec",
    r"fl",
    r"pg",
    r"%",
    r"s",
)
_TIMES: Final = "\u00d7"  # the multiplication sign, as in "7.2 x10^9/L" written with it
_POWER_UNIT: Final = rf"(?:[xX{_TIMES}*][ \t]?)?10(?:\^|\*\*|E)?[0-9]{{1,2}}[ \t]?/[ \t]?[lLµu][lL]?"
CURRENCIES: Final = ("€", "$", "£", "EUR", "USD", "GBP", "euros", "euro", "dollars", "dollar")
_CURRENCIES_UPPER: Final = frozenset(c.upper() for c in CURRENCIES)
_COMPARATORS: Final = ("<=", ">=", "≤", "≥", "<", ">")
_MAX_VALUE: Final = {"inr": 15.0}  # INR is also the rupee's code: "INR 500" is a price
_YEARS: Final = range(1900, 2101)
_THOUSANDS = re.compile(r"[0-9]{1,3},[0-9]{3}")


@cache
def analytes() -> dict[str, str]:
    """Every analyte's lookup key -> "strong" or "weak"."""
    table: dict[str, str] = {}
    for term, _lang, strength in rows(ANALYTES_FILE):
        for spelling in with_unaccented([term]):
            table.setdefault(key(spelling), strength)
    return table


def is_analyte(text: str) -> bool:
    """Whether `text` ("HbA1c", "Glycémie à jeun", "LDL-C") names a listed analyte: a CSV header or JSON key
    that holds a lab value."""
    return key(text) in analytes()


def analyte_terms(*, weak: bool = False) -> tuple[str, ...]:
    wanted = "weak" if weak else "strong"
    return tuple(with_unaccented(term for term, _lang, strength in rows(ANALYTES_FILE) if strength == wanted))


_PLAIN: Final = {"é": "e", "è": "e", "ê": "e", "ë": "e", "à": "a", "â": "a", "î": "i", "ï": "i", "ô": "o",
                 "û": "u", "ù": "u", "ü": "u", "ç": "c", "œ": "oe"}  # fmt: skip


def _fragment(term: str) -> str:
    """`term` as a regex for a case-insensitive scan: accents optional, spaces as runs of blanks, a hyphen
    optional or a blank. Accented letters are spelt out in both cases (hyperscan folds ASCII case only)."""
    parts: list[str] = []
    for char in term.lower():
        if char in _PLAIN:
            parts.append(f"(?:{char}|{char.upper()}|{_PLAIN[char]})")
        elif char == " ":
            parts.append("[ \t]+")
        elif char == "-":
            parts.append("[- ]?")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def _alternation(items: list[str] | tuple[str, ...], *, escape: bool) -> str:
    ordered = sorted(set(items), key=longest_first)
    return "(?:" + "|".join(re.escape(i) if escape else i for i in ordered) + ")"


_JOINER: Final = r"[ \t]*(?:[:=][ \t]*|(?:is|of|at|est|est de|de|à|a)[ \t]+)?"
_VALUE: Final = r"[0-9]+(?:[.,][0-9]+)*"
# Hyperscan cannot track where a match starts through a long alternation followed by a variable-length gap
# ("Pattern is too large"), so the analytes are split into groups, one PatternSpec each. Each part of the
# expression is kept simple (no parenthesised qualifier, unbounded digit runs): the whole set compiles in about
# a second with start-of-match tracking, against four with bounded repeats and a "(Hb)" qualifier.
_GROUP_SIZE: Final = 18


def _analyte_alternation(terms: list[str] | tuple[str, ...]) -> str:
    return "(?:" + "|".join(sorted({_fragment(t) for t in terms}, key=longest_first)) + ")"


def _tail() -> str:
    comparator = rf"(?:{_alternation(_COMPARATORS, escape=True)}[ \t]*)?"
    known = f"{'|'.join(UNITS)}|{_POWER_UNIT}|{_alternation(CURRENCIES, escape=True)}"
    unit = rf"(?:[ \t]?(?:{known}))?"
    return rf"{_JOINER}{comparator}(?P<value>{_VALUE})(?P<unit>{unit})"


@cache
def _regex() -> str:
    """All analytes in one expression, with named groups: what the validator parses a match with."""
    analyte = _analyte_alternation([term for term, _lang, _strength in rows(ANALYTES_FILE)])
    return rf"\b(?P<analyte>{analyte}){_tail()}"


@cache
def _parser() -> re.Pattern[str]:
    return re.compile(_regex(), re.IGNORECASE)


def _hyperscan_regexes() -> list[str]:
    """One expression per group of analytes, without group names (hyperscan does not take them)."""
    terms = sorted({term for term, _lang, _strength in rows(ANALYTES_FILE)}, key=longest_first)
    tail = re.sub(r"\(\?P<\w+>", "(?:", _tail())
    return [rf"\b{_analyte_alternation(terms[i : i + _GROUP_SIZE])}{tail}" for i in range(0, len(terms), _GROUP_SIZE)]


def lab_result_valid(text: str) -> bool:
    """Whether a matched "analyte value unit" is a lab result, not a price, a version, a year or a weak word."""
    return _lab_result_valid(text.strip())


@lru_cache(maxsize=1 << 15)  # reports repeat their result lines ("INR 2.4"); parsing one is the costly part
def _lab_result_valid(text: str) -> bool:
    match = _parser().fullmatch(text)
    if match is None:
        return False
    value, unit = match["value"], match["unit"].strip()
    if value.count(".") + value.count(",") > 1 or unit.upper() in _CURRENCIES_UPPER:
        return False
    strength = analytes().get(key(match["analyte"]))
    if strength is None:
        return False
    bare_number_misread = _THOUSANDS.fullmatch(value) or (value.isdigit() and int(value) in _YEARS)
    if not unit and (strength == "weak" or bare_number_misread):
        return False
    limit = _MAX_VALUE.get(key(match["analyte"]))
    return limit is None or float(value.replace(",", ".")) <= limit


def lab_vocabularies() -> list[VocabularySpec]:
    return [
        VocabularySpec(
            name="lab-analyte",
            category=DataCategory.LAB_RESULT,
            terms=lambda: analyte_terms(weak=False),
            source=SOURCE,
            needs_context=True,
            context=context.LAB,
            confidence=0.6,
        ),
    ]


@cache
def _lab_result_patterns() -> tuple[PatternSpec, ...]:
    return tuple(
        PatternSpec(
            name="lab-result",
            category=DataCategory.LAB_RESULT,
            regex=regex,
            validate=lab_result_valid,
            context=context.LAB,
            confidence=0.85,
            case_insensitive=True,
        )
        for regex in _hyperscan_regexes()
    )


def lab_patterns() -> list[PatternSpec]:
    """The "analyte value unit" detector, as one PatternSpec per group of analytes (all named "lab-result")."""
    return list(_lab_result_patterns())
