"""Special categories of health data: which conditions, medicines, procedures and codes reveal mental health,
substance use, HIV/STI, sexual and reproductive health, genetics, gender identity or abuse.

Regulators single these out (42 CFR Part 2 for substance-use records, state HIV and reproductive-health laws,
GDPR art. 9 and the CNIL on sensitive data), and a finding that carries one is more severe. Other modules call
`is_sensitive(term_or_code)` / `sensitivity(term_or_code)` with a detected term or an ICD-10-CM code."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from typing import Final

from phileak.phi.vocab._data import key, rows, words


class Sensitivity(StrEnum):
    MENTAL_HEALTH = "mental-health"
    SUBSTANCE_USE = "substance-use"
    HIV_STI = "hiv-sti"
    SEXUAL_REPRODUCTIVE = "sexual-reproductive"
    GENETIC = "genetic"
    GENDER_IDENTITY = "gender-identity"
    VIOLENCE_ABUSE = "violence-abuse"


_S = Sensitivity
# ICD-10-CM code ranges (dot-free prefixes, both ends inclusive), most specific first: the first match wins.
_CODE_RANGES: Final[tuple[tuple[str, str, Sensitivity], ...]] = (
    ("F10", "F19", _S.SUBSTANCE_USE),  # mental and behavioural disorders due to psychoactive substance use
    ("F64", "F64", _S.GENDER_IDENTITY),  # gender identity disorders / gender incongruence
    ("F01", "F99", _S.MENTAL_HEALTH),
    ("R45851", "R45851", _S.MENTAL_HEALTH),  # suicidal ideations
    ("T1491", "T1491", _S.MENTAL_HEALTH),  # suicide attempt
    ("X71", "X83", _S.MENTAL_HEALTH),  # intentional self-harm
    ("Z915", "Z915", _S.MENTAL_HEALTH),  # personal history of self-harm
    ("Z8659", "Z8659", _S.MENTAL_HEALTH),  # personal history of other mental and behavioural disorders
    ("Z818", "Z818", _S.MENTAL_HEALTH),  # family history of other mental and behavioural disorders
    ("T40", "T40", _S.SUBSTANCE_USE),  # poisoning by narcotics and psychodysleptics
    ("R780", "R785", _S.SUBSTANCE_USE),  # alcohol, opiates, cocaine, hallucinogens… found in blood
    ("Z714", "Z715", _S.SUBSTANCE_USE),  # alcohol / drug abuse counselling
    ("Z79891", "Z79891", _S.SUBSTANCE_USE),  # long-term use of opiate analgesic
    ("O9931", "O9932", _S.SUBSTANCE_USE),  # alcohol / drug use complicating pregnancy
    ("P044", "P044", _S.SUBSTANCE_USE),  # newborn affected by maternal drugs of addiction
    ("B20", "B24", _S.HIV_STI),  # HIV disease
    ("B9735", "B9735", _S.HIV_STI),  # HIV-2
    ("Z21", "Z21", _S.HIV_STI),  # asymptomatic HIV infection status
    ("R75", "R75", _S.HIV_STI),  # inconclusive laboratory evidence of HIV
    ("O987", "O987", _S.HIV_STI),  # HIV disease complicating pregnancy
    ("Z206", "Z206", _S.HIV_STI),  # contact with / exposure to HIV
    ("Z202", "Z202", _S.HIV_STI),  # exposure to infections with a predominantly sexual mode of transmission
    ("Z113", "Z114", _S.HIV_STI),  # screening for sexually transmitted infections / for HIV
    ("Z717", "Z717", _S.HIV_STI),  # HIV counselling
    ("A50", "A64", _S.HIV_STI),  # infections with a predominantly sexual mode of transmission
    ("B977", "B977", _S.HIV_STI),  # papillomavirus
    ("O9A3", "O9A5", _S.VIOLENCE_ABUSE),  # abuse complicating pregnancy
    ("O00", "O9A", _S.SEXUAL_REPRODUCTIVE),  # pregnancy, childbirth and the puerperium
    ("Z30", "Z39", _S.SEXUAL_REPRODUCTIVE),  # contraception, procreation, pregnancy, delivery
    ("Z3A", "Z3A", _S.SEXUAL_REPRODUCTIVE),  # weeks of gestation
    ("N46", "N46", _S.SEXUAL_REPRODUCTIVE),  # male infertility
    ("N52", "N52", _S.SEXUAL_REPRODUCTIVE),  # male erectile dysfunction
    ("N96", "N98", _S.SEXUAL_REPRODUCTIVE),  # recurrent pregnancy loss, female infertility, artificial fertilisation
    ("Z640", "Z640", _S.SEXUAL_REPRODUCTIVE),  # problems related to unwanted pregnancy
    ("Z975", "Z975", _S.SEXUAL_REPRODUCTIVE),  # presence of (intrauterine) contraceptive device
    ("Z9851", "Z9852", _S.SEXUAL_REPRODUCTIVE),  # tubal ligation / vasectomy status
    ("Q90", "Q99", _S.GENETIC),  # chromosomal abnormalities
    ("Z14", "Z15", _S.GENETIC),  # genetic carrier / genetic susceptibility to disease
    ("Z137", "Z137", _S.GENETIC),  # screening for genetic and chromosomal anomalies
    ("Z3143", "Z3144", _S.GENETIC),  # genetic testing for procreative management
    ("Z8481", "Z8481", _S.GENETIC),  # family history of carrier of genetic disease
    ("Z87890", "Z87890", _S.GENDER_IDENTITY),  # personal history of sex reassignment
    ("T74", "T74", _S.VIOLENCE_ABUSE),  # adult and child abuse, neglect, confirmed
    ("T76", "T76", _S.VIOLENCE_ABUSE),  # ... suspected
    ("X92", "Y09", _S.VIOLENCE_ABUSE),  # assault
    ("Z044", "Z044", _S.VIOLENCE_ABUSE),  # examination following alleged rape
    ("Z0471", "Z0482", _S.VIOLENCE_ABUSE),  # examination following alleged physical / sexual abuse
    ("Z6281", "Z6281", _S.VIOLENCE_ABUSE),  # personal history of abuse in childhood
    ("Z69", "Z69", _S.VIOLENCE_ABUSE),  # mental health services for victim / perpetrator of abuse
    ("Z9141", "Z9141", _S.VIOLENCE_ABUSE),  # personal history of adult abuse
)

_CODE_SHAPE = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?")
_MAX_PHRASE_WORDS: Final = 6
_MAX_SCAN_CHARS: Final = 1000


def code_sensitivity(code: str) -> Sensitivity | None:
    """The special category an ICD-10-CM code (with or without its dot) falls in, by code range; None if none.
    The code is not checked against the code list here (conditions.is_icd10cm_code does that)."""
    plain = code.strip().upper().replace(".", "")
    for low, high, category in _CODE_RANGES:
        if low <= plain[: len(low)] and plain[: len(high)] <= high:
            return category
    return None


_TERM_FILES: Final = (
    ("conditions.tsv", 2),
    ("medications_curated.tsv", 2),
    ("procedures.tsv", 2),
    ("search_terms.tsv", 2),
    ("icd10cm_terms.tsv.gz", 2),
)


@cache
def _term_sensitivity() -> dict[str, Sensitivity]:
    table: dict[str, Sensitivity] = {}
    for name, index in _TERM_FILES:
        for row in rows(name):
            if len(row) > index and row[index] != "-":
                table.setdefault(key(row[0]), Sensitivity(row[index]))
    return table


def sensitivity(term_or_code: str) -> Sensitivity | None:
    """The special category of a detected term ("bipolar disorder", "VIH", "Truvada", "IVG"), of a phrase that
    contains one ("hiv test near me"), or of an ICD-10-CM code ("F31.9", "B20"); None when there is none."""
    text = term_or_code.strip()
    if not text:
        return None
    if _CODE_SHAPE.fullmatch(text.upper()) and any(c.isdigit() for c in text[1:3]):
        found = code_sensitivity(text)
        if found is not None:
            return found
    table = _term_sensitivity()
    folded = key(text[:_MAX_SCAN_CHARS])
    exact = table.get(folded)
    if exact is not None:
        return exact
    return _contained(folded, table)


def is_sensitive(term_or_code: str) -> bool:
    """Whether `term_or_code` reveals a special category of health data (see `sensitivity`)."""
    return sensitivity(term_or_code) is not None


def _contained(folded: str, table: dict[str, Sensitivity]) -> Sensitivity | None:
    """The first (longest at each position) known sensitive phrase inside `folded`, word-aligned."""
    found_words = words(folded)
    for start in range(len(found_words)):
        for size in range(min(_MAX_PHRASE_WORDS, len(found_words) - start), 0, -1):
            found = table.get(" ".join(found_words[start : start + size]))
            if found is not None:
                return found
    return None
