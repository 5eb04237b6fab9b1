"""Checksums and range rules that turn a pattern hit into an identifier: each takes the matched text (separators
allowed) and answers yes or no, never raising. Sources: SSA (SSN ranges), INSEE (NIR key), CMS (MBI format,
NPI check digit with the 80840 prefix), DEA (registration number check digit), ISO 13616 (IBAN), ISO/IEC 7812
(Luhn), 3GPP TS 23.003 (IMEI)."""

from __future__ import annotations

import ipaddress
import re
from typing import Final

_NOT_DIGIT = re.compile(r"\D")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


def digits(text: str) -> str:
    return _NOT_DIGIT.sub("", text)


def luhn_valid(number: str) -> bool:
    """ISO/IEC 7812 check digit over the digits of `number` (other characters ignored)."""
    values = [int(c) for c in digits(number)]
    if len(values) < 2:
        return False
    total = 0
    for index, value in enumerate(reversed(values)):
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# Numbers published as examples or used in advertising; seeing them proves nothing about a person.
_PUBLIC_SSNS: Final = frozenset({"078051120", "219099999", "123456789", "111111111", "333333333"})


def ssn_valid(text: str) -> bool:
    """A US SSN the SSA could have issued: area not 000, 666 or 900-999; group not 00; serial not 0000; not a
    well-known advertising/example number."""
    number = digits(text)
    if len(number) != 9 or number in _PUBLIC_SSNS:
        return False
    area, group, serial = number[:3], number[3:5], number[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


_NIR_SHAPE = re.compile(r"([12378])(\d\d)(0[1-9]|1[0-2]|[2-9]\d)(\d\d|2[AB])(\d{3})(\d{3})(\d\d)?")


def nir_shape_valid(text: str) -> bool:
    """13 (or 15) characters laid out as a French NIR: sex, year, month (01-12, or 20-99 when unknown),
    department (2A/2B for Corsica), commune, order number; commune and order not 000."""
    match = _NIR_SHAPE.fullmatch(_NOT_ALNUM.sub("", text).upper())
    return match is not None and match[5] != "000" and match[6] != "000"


def nir_valid(text: str) -> bool:
    """A 15-character NIR whose key is 97 - (number mod 97), Corsican 2A/2B counted as 19/18 (INSEE)."""
    compact = _NOT_ALNUM.sub("", text).upper()
    if len(compact) != 15 or not nir_shape_valid(compact):
        return False
    department = {"2A": "19", "2B": "18"}.get(compact[5:7], compact[5:7])
    body = compact[:5] + department + compact[7:13]
    return 97 - int(body) % 97 == int(compact[13:])


def npi_valid(text: str) -> bool:
    """A 10-digit NPI starting with 1 or 2 whose check digit is the Luhn digit of "80840" + the first nine."""
    number = digits(text)
    return len(number) == 10 and number[0] in "12" and luhn_valid("80840" + number)


_DEA_FIRST: Final = frozenset("ABCDEFGHJKLMPRSTUX")
_DEA_SHAPE = re.compile(r"[A-Z][A-Z9]\d{7}")


def dea_valid(text: str) -> bool:
    """A DEA registration number: registrant-type letter, a letter (or 9), seven digits whose last is
    (d1 + d3 + d5 + 2 * (d2 + d4 + d6)) mod 10."""
    value = _NOT_ALNUM.sub("", text).upper()
    if not _DEA_SHAPE.fullmatch(value) or value[0] not in _DEA_FIRST:
        return False
    d = [int(c) for c in value[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


# CMS MBI: positions 2, 5, 8, 9 are letters without S, L, O, I, B, Z; 3 and 6 letters or digits.
_MBI_LETTER = "AC-HJKMNP-RT-Y"
_MBI = re.compile(rf"[1-9][{_MBI_LETTER}][{_MBI_LETTER}\d]\d[{_MBI_LETTER}][{_MBI_LETTER}\d]\d[{_MBI_LETTER}]{{2}}\d\d")


def mbi_valid(text: str) -> bool:
    """A Medicare Beneficiary Identifier: 11 characters (dashes allowed) in CMS's position rules."""
    value = _NOT_ALNUM.sub("", text).upper()
    return _MBI.fullmatch(value) is not None


def imei_valid(text: str) -> bool:
    """A 15-digit IMEI with its Luhn check digit."""
    number = digits(text)
    return len(number) == 15 and luhn_valid(number)


def iban_valid(text: str) -> bool:
    """ISO 13616: country letters, two check digits, the rest rearranged mod 97 == 1."""
    value = _NOT_ALNUM.sub("", text).upper()
    if not 15 <= len(value) <= 34 or not value[:2].isalpha() or not value[2:4].isdigit():
        return False
    rearranged = value[4:] + value[:4]
    try:
        return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1
    except ValueError:
        return False


_CARD_PREFIXES: Final = ("4", "51", "52", "53", "54", "55", "2221", "2720", "34", "37", "6011", "65", "35")


def payment_card_valid(text: str) -> bool:
    """A 13-19 digit payment card number with a known issuer prefix and a Luhn check digit."""
    number = digits(text)
    return 13 <= len(number) <= 19 and number.startswith(_CARD_PREFIXES) and luhn_valid(number)


def ipv4_valid(text: str) -> bool:
    """A dotted quad without leading zeros that could be a host's address: not 0.x, not loopback, not
    broadcast, not multicast."""
    parts = text.split(".")
    if len(parts) != 4 or any(not p.isdigit() or (len(p) > 1 and p[0] == "0") or int(p) > 255 for p in parts):
        return False
    first = int(parts[0])
    return first not in (0, 127) and first < 224


def ipv6_valid(text: str) -> bool:
    """An IPv6 address written with at least one "::" or all eight groups (so times like 10:22:33 fail), not
    loopback or unspecified."""
    if "::" not in text and text.count(":") != 7:
        return False
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return not (address.is_loopback or address.is_unspecified)


_N11: Final = frozenset({"211", "311", "411", "511", "611", "711", "811", "911"})
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|poste)\s*\d{1,6}\s*$", re.IGNORECASE)


def nanp_phone_valid(text: str) -> bool:
    """A North American number: 10 digits (11 with a leading 1), area code and exchange starting 2-9, neither
    an N11 service code."""
    number = digits(_EXTENSION.sub("", text))
    if len(number) == 11 and number[0] == "1":
        number = number[1:]
    if len(number) != 10:
        return False
    area, exchange = number[:3], number[3:6]
    return area[0] not in "01" and exchange[0] not in "01" and area not in _N11 and exchange not in _N11


def fr_phone_valid(text: str) -> bool:
    """A French number: 0 + 9 digits, or +33 / 0033 + 9 digits (an optional "(0)" after the code)."""
    compact = text.replace("(0)", "")
    number = digits(compact)
    if number.startswith("0033"):
        number = number[4:]
    elif compact.lstrip().startswith("+33"):
        number = number[2:]
    elif number.startswith("0") and len(number) == 10:
        number = number[1:]
    else:
        return False
    return len(number) == 9 and number[0] in "123456789"


def phone_valid(text: str) -> bool:
    """Any phone shape phileak reads: NANP, French, or another international number with 8-15 digits."""
    stripped = _EXTENSION.sub("", text).strip()
    if stripped.startswith(("+33", "0033")) or (stripped.startswith("0") and not stripped.startswith("00")):
        return fr_phone_valid(stripped)
    if stripped.startswith("+") and not stripped.startswith("+1"):
        return 8 <= len(digits(stripped)) <= 15
    return nanp_phone_valid(stripped)


def gs1_valid(text: str) -> bool:
    """A GS1 identifier (GTIN-8/12/13/14) whose last digit is its mod-10 check digit (weights 3,1 from the
    right)."""
    number = digits(text)
    if len(number) not in (8, 12, 13, 14):
        return False
    body, check = number[:-1], int(number[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check
