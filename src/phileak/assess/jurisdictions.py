"""Jurisdiction codes a plan may name, what phileak encodes for each, and the time zone it assumes.

Codes: "US" (United States, no state given), "US-XX" (a state or territory), "EU" (the EU, no member state
given), "EU-XX" (a member state). State rules exist for US-CA, US-NY, US-TX, US-WA; national rules for EU-FR.
Other valid codes are accepted: federal (HIPAA, FTC) or EU-wide (GDPR) rules still apply and the assessment
says that no state or national rules are encoded for them."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Final

import holidays

from phileak.errors import InputError

US_STATES: Final = frozenset(holidays.country_holidays("US").subdivisions)
EU_CAPITAL_ZONES: Final[dict[str, str]] = {
    "AT": "Europe/Vienna", "BE": "Europe/Brussels", "BG": "Europe/Sofia", "HR": "Europe/Zagreb",
    "CY": "Asia/Nicosia", "CZ": "Europe/Prague", "DK": "Europe/Copenhagen", "EE": "Europe/Tallinn",
    "FI": "Europe/Helsinki", "FR": "Europe/Paris", "DE": "Europe/Berlin", "GR": "Europe/Athens",
    "HU": "Europe/Budapest", "IE": "Europe/Dublin", "IT": "Europe/Rome", "LV": "Europe/Riga",
    "LT": "Europe/Vilnius", "LU": "Europe/Luxembourg", "MT": "Europe/Malta", "NL": "Europe/Amsterdam",
    "PL": "Europe/Warsaw", "PT": "Europe/Lisbon", "RO": "Europe/Bucharest", "SK": "Europe/Bratislava",
    "SI": "Europe/Ljubljana", "ES": "Europe/Madrid", "SE": "Europe/Stockholm",
}  # fmt: skip
WITH_LOCAL_RULES: Final = ("US-CA", "US-NY", "US-TX", "US-WA", "EU-FR")
SUPPORTED_TEXT: Final = (
    "US, US-<state> (e.g. US-CA; state rules for US-CA, US-NY, US-TX, US-WA), "
    "EU, EU-<member state> (e.g. EU-DE; national rules for EU-FR)"
)


def is_known(code: str) -> bool:
    if code in ("US", "EU"):
        return True
    prefix, _, rest = code.partition("-")
    if prefix == "US":
        return rest in US_STATES
    return prefix == "EU" and rest in EU_CAPITAL_ZONES


def check_codes(codes: Iterable[str], where: str) -> list[str]:
    """The codes, normalised to upper case; an unknown one is an InputError naming the supported codes."""
    checked = []
    for raw in codes:
        code = str(raw).strip().upper()
        if not is_known(code):
            raise InputError(f"{where}: unknown jurisdiction '{raw}'; supported: {SUPPORTED_TEXT}")
        checked.append(code)
    return list(dict.fromkeys(checked))


def matches(code: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(code, pattern) for pattern in patterns)


def is_us_state(code: str) -> bool:
    return code.startswith("US-")


def zone_of(code: str) -> str | None:
    """The IANA zone phileak assumes for an EU member state (its capital's), None elsewhere."""
    prefix, _, rest = code.partition("-")
    return EU_CAPITAL_ZONES.get(rest) if prefix == "EU" else None
