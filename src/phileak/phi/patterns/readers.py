"""Values read where a label or cue announces them: "MRN: 00482913", "Patient : DUPONT Marie", a CSV cell under
"DOB". A value with no shape of its own (a medical record number, a name) is only ever found this way.

`read_after(role, text, pos, limit)` reads the value a prose cue ending at `pos` announces, stopping before
`limit` (the next cue); `read_labelled(role, text)` reads a whole labelled value (a cell, a form field, a DICOM
element). Both return the value's (start, end) or None, and never raise."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from phileak.phi.identity import fold
from phileak.phi.labels import NAME_PARTICLES, NOT_NAME_WORDS, Role
from phileak.phi.patterns.dates import DATE_WRITTEN, numeric_date_valid, written_date_valid
from phileak.phi.patterns.shapes import LETTER, LOWER, UPPER, longest_first, words
from phileak.phi.validators import (
    dea_valid,
    digits,
    ipv4_valid,
    ipv6_valid,
    nir_shape_valid,
    nir_valid,
    npi_valid,
    phone_valid,
    ssn_valid,
)

Span = tuple[int, int]

# Between a cue and its value: spaces, ":" "#" "=" "-", a parenthesised format hint, a "No." or "N°".
_SEPARATOR: Final = (
    r"[ \t]*(?:[:#=.\-\u2013][ \t]*){0,2}(?:\([^()\n\d]{1,24}\)[ \t]*[:#=]?[ \t]*)?"
    r"(?:(?:n[°º]|no\.|nos\.|number|num[ée]ro|#)[ \t]*[:#]?[ \t]*)?"
)
_NEWLINE_OK: Final = r"(?:\r?\n[ \t]*)?"
# Between a cue and a number it announces, a few filler words: "SSN of the patient: ...", "NPI is ...".
_FILLER_WORDS: Final = r"is|are|of|the|this|patient|patient's|for|number|est|du|de|la|le|des|numéro"
_FILLER: Final = rf"(?i:(?:(?:{_FILLER_WORDS})\b|no\.|n°)[ \t]*(?:[:#][ \t]*)?){{0,3}}"
_TITLE: Final = r"(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Pr|Prof|Mme|Mlle|M|MR|MRS|MS|DR|MME|MLLE|Madame|Monsieur)\.?[ ]+)?"
_NAME_TOKEN: Final = rf"[{UPPER}][{LETTER}'\u2019\-]*\.?"
_PARTICLE: Final = "(?:" + "|".join(sorted(NAME_PARTICLES, key=longest_first)) + r")['\u2019]?"
_NAME: Final = rf"{_NAME_TOKEN}(?:(?:[ ]|,[ ]?|\^+)(?:{_PARTICLE}[ ])?{_NAME_TOKEN}){{0,4}}\^*"
_ANY_WORD: Final = rf"[{LETTER}][{LETTER}'\u2019.\-]*"
_ANY_NAME: Final = rf"{_ANY_WORD}(?:(?:[ ]{{1,2}}|,[ ]?|\^+){_ANY_WORD}){{0,5}}\^*"
_DATE: Final = (
    r"\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d\d)(?!\d)|\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}(?!\d)|(?:19|20)\d{6}(?!\d)|"
    + DATE_WRITTEN.regex.replace(r"\b", "")
)
_PHONE: Final = r"(?:\+|00)?[\d(][\d ().\-]{5,22}\d(?:[ ]?(?:x|ext\.?|poste)[ ]?\d{1,5})?"
_ID: Final = r"[A-Za-z0-9](?:[A-Za-z0-9]|[\-/.:](?=[A-Za-z0-9])){2,29}(?![\w\-])"
_SHORT_LOCAL_PHONE = re.compile(r"\d{3}[-.]\d{4}")
_WORD_TOKEN = re.compile(rf"[{LETTER}]+")
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{32,128}")
_DATE_ONLY = re.compile(r"\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}")


def _date_valid(value: str) -> bool:
    return written_date_valid(value) if any(c.isalpha() for c in value) else numeric_date_valid(value)


def _id_valid(value: str) -> bool:
    """An identifier-like token: at least 4 characters and 3 digits, not a bare date, not one digit repeated."""
    found = digits(value)
    return (
        len(value) >= 4
        and len(found) >= 3
        and len(set(found)) > 1
        and not _DATE_ONLY.fullmatch(value)
        and not _HEX_DIGEST.fullmatch(value)
    )


def _phone_read_valid(value: str) -> bool:
    return phone_valid(value) or _SHORT_LOCAL_PHONE.fullmatch(value.strip()) is not None


def _nir_read_valid(value: str) -> bool:
    compact = "".join(c for c in value if c.isalnum())
    return nir_valid(compact) if len(compact) == 15 else len(compact) == 13 and nir_shape_valid(compact)


def _postcode_valid(value: str) -> bool:
    return len(digits(value)) in (5, 9)


def _has_letter(value: str) -> bool:
    return any(c.isalpha() for c in value)


_DOTTED_WORD = re.compile(r"[a-z]\.[a-z]{2,}")


def _not_a_file_or_host(value: str) -> bool:
    """A value such as "pixel.js", "example.com" or "john.doe" in a name field is a file, a host or a user name."""
    return _DOTTED_WORD.search(value) is None


def _ip_valid(value: str) -> bool:
    return ipv4_valid(value) or (":" in value and ipv6_valid(value))


@dataclass(frozen=True, slots=True)
class _Reader:
    value: re.Pattern[str]
    valid: Callable[[str], bool] | None = None
    name: bool = False  # trim at words that are not names
    newline: bool = True  # the value may start on the next line


def _reader(
    value: str,
    valid: Callable[[str], bool] | None = None,
    *,
    name: bool = False,
    newline: bool = True,
    prefix: str = "",
    flags: int = 0,
) -> _Reader:
    head = _SEPARATOR + (_NEWLINE_OK if newline else "") + prefix
    return _Reader(re.compile(f"{head}(?P<v>{value})", flags), valid, name, newline)


_PROSE_NAME = _reader(_NAME, name=True, newline=False, prefix=_TITLE)
_CITY_VALUE = rf"[{LETTER}][{LETTER}'\u2019.\-]*(?:[ \-][{LETTER}][{LETTER}'\u2019.\-]*){{0,4}}"
_ID_READER = _reader(_ID, _id_valid, prefix=_FILLER)

_AFTER_CUE: Final[dict[Role, _Reader]] = {
    Role.PERSON_NAME: _PROSE_NAME,
    Role.GIVEN_NAME: _PROSE_NAME,
    Role.FAMILY_NAME: _PROSE_NAME,
    Role.PROVIDER_NAME: _PROSE_NAME,
    Role.BIRTH_DATE: _reader(_DATE, _date_valid),
    Role.DATE: _reader(_DATE, _date_valid),
    Role.PHONE: _reader(_PHONE, _phone_read_valid),
    Role.FAX: _reader(_PHONE, _phone_read_valid),
    Role.SSN: _reader(r"\d{3}[\- ]?\d{2}[\- ]?\d{4}(?![\d\-])", ssn_valid, prefix=_FILLER),
    Role.NIR: _reader(
        r"[12378][ .]?\d\d[ .]?\d\d[ .]?(?:\d\d|2[ABab])[ .]?\d{3}[ .]?\d{3}(?:[ .]?\d\d)?(?!\d)",
        _nir_read_valid,
        prefix=_FILLER,
    ),
    Role.MRN: _ID_READER,
    Role.HEALTH_PLAN_ID: _ID_READER,
    Role.ACCOUNT: _ID_READER,
    Role.LICENCE: _ID_READER,
    Role.DEVICE: _ID_READER,
    Role.NPI: _reader(r"\d{10}(?!\d)", npi_valid, prefix=_FILLER),
    Role.DEA: _reader(r"[A-Za-z][A-Za-z9]\d{7}(?!\d)", lambda v: dea_valid(v.upper()), prefix=_FILLER),
    Role.IP: _reader(r"\d{1,3}(?:\.\d{1,3}){3}(?![\d.])|[0-9A-Fa-f:]{2,39}(?![\w:])", _ip_valid),
    Role.POSTCODE: _reader(r"\d{5}(?:-\d{4})?(?!\d)|\d{2}[ ]\d{3}(?!\d)", _postcode_valid),
    Role.CITY: _reader(_CITY_VALUE, _has_letter, name=True, newline=False),
    # To the end of the line or sentence: "Address: 12 Main St, Springfield, IL 62704. Call us ..."
    Role.ADDRESS: _reader(rf"(?:(?!\.[ ]+[{UPPER}][{LOWER}]|[ ]{{2}}|[\t\n;|]).){{4,120}}", _has_letter),
}

# A labelled value is the whole cell: names in any case, any health text.
_LABELLED: Final[dict[Role, _Reader]] = {
    **_AFTER_CUE,
    **dict.fromkeys(
        (Role.PERSON_NAME, Role.GIVEN_NAME, Role.FAMILY_NAME, Role.PROVIDER_NAME),
        _reader(_ANY_NAME, _not_a_file_or_host, name=True, newline=False),
    ),
    Role.ADDRESS: _reader(r"[^\t;|]{4,160}", _has_letter),
    **dict.fromkeys(
        (Role.CONDITION, Role.MEDICATION, Role.PROCEDURE, Role.LAB_RESULT),
        _reader(r"\S.{0,299}", _has_letter, flags=re.DOTALL),
    ),
}
LABELLED_ROLES: Final = frozenset(_LABELLED)
CUE_ROLES: Final = frozenset(_AFTER_CUE)
# Values with no shape of their own to end them: read only up to the next cue ("Patient: SMITH, JOHN  DOB: ...").
OPEN_ENDED_ROLES: Final = frozenset(role for role, reader in _AFTER_CUE.items() if reader.name) | {Role.ADDRESS}
_TRAILING: Final = " \t,.;:-\u2013/"


def read_after(role: Role, text: str, pos: int, limit: int) -> Span | None:
    """The value a cue ending at `pos` announces, ending before `limit`; None when none is there."""
    reader = _AFTER_CUE.get(role)
    return None if reader is None else _read(reader, text, pos, limit)


def read_labelled(role: Role, text: str) -> Span | None:
    """The value of a segment labelled with `role` (leading and trailing blanks left out)."""
    reader = _LABELLED.get(role)
    if reader is None:
        return None
    start = len(text) - len(text.lstrip())
    span = _read(reader, text, start, len(text.rstrip()))
    if span is None or role in (Role.ADDRESS, Role.CONDITION, Role.MEDICATION, Role.PROCEDURE, Role.LAB_RESULT):
        return span
    return span if span[0] == start else None


def _read(reader: _Reader, text: str, pos: int, limit: int) -> Span | None:
    match = reader.value.match(text, pos, limit)
    if match is None:
        return None
    start, end = match.span("v")
    if reader.name:
        end = _name_end(text, start, end)
    while end > start and text[end - 1] in _TRAILING:
        end -= 1
    if end - start < 2:
        return None
    if reader.valid is not None and not reader.valid(text[start:end]):
        return None
    return start, end


def _name_end(text: str, start: int, end: int) -> int:
    """Where a name read after a cue really ends: before the first word that is not part of a name ("SMITH,
    JOHN DOB" ends before DOB); `start` itself when the first word is not a name."""
    for word in _WORD_TOKEN.finditer(text, start, end):
        folded = fold(word[0])
        if folded in NAME_PARTICLES and word.start() > start:
            continue
        if folded in NOT_NAME_WORDS:
            return word.start()
    return end


# Upper-case words file names are made of that are not names: prefixes, modalities, document types, formats.
_FILE_WORDS: Final = words(
    "LAB BIO RAD RX MR MRI CT US CR DX MG PT NM XA RF IM XR PET SPECT IRM TDM ECHO ECG EKG EEG EMG DCM DICOM PDF "
    "DOC DOCX XLS XLSX CSV JSON XML TXT ZIP GZ JPG JPEG PNG TIF TIFF HL7 CCD CDA FHIR REPORT REPORTS RESULT "
    "RESULTS SCAN SCANS FINAL COPY DRAFT INV INVOICE ORDER PO SKU FACTURE CRH CRO README LOG LOGS BACKUP OLD "
    "NEW TMP TEMP TEST DATA EXPORT EXPORTS IMG SEQ SER STUDY SERIES ID MRN DOB PHI PII EN FR UK USA API SRC "
    "BIN LIB DOCS HTML VER REV V1 V2 OK KO NA NB FAX ATTN"
)
_FILE_TOKEN = re.compile(r"[^\W_]+")
_BIRTH_WORDS: Final = frozenset({"dob", "birth", "born", "bday", "birthdate", "naissance", "ddn", "ne", "nee"})
_COMPACT_DATE = re.compile(r"(?:19|20)\d{6}|(?:19|20)\d\d-\d\d-\d\d")
# A record number announced in a file name: "Moreno_MRN_9524535.pdf", "MRN9524535", "IPP-00412345", "dossier_1234"
_FILE_RECORD = re.compile(r"(?i)(?<![^\W_])(?:mrn|ipp|dossier|chart|patient[_-]?id)[_\- #]?(\d{4,12})(?![^\W_])")


def read_file_name(text: str) -> list[tuple[int, int, Role]]:
    """A person named in a file or object key, the way exports name files after patients:
    "LAB_PARRISH_DANIEL_19710701_R00006.pdf", "dicom/BODIN_JOSETTE_19310830/MR_20240720/IM0020.dcm",
    "Smith_John_1962-03-14.pdf". Two or more upper-case words (not file-name jargon) make a name; two or more
    capitalised words do when a date follows. A date right after a name is a date of birth, others are dates."""
    tokens = [(m.start(), m.end(), m[0]) for m in _FILE_TOKEN.finditer(text)]
    found: list[tuple[int, int, Role]] = []
    index = 0
    while index < len(tokens):
        run = index
        while run < len(tokens) and _name_like(tokens[run][2]):
            run += 1
        words = tokens[index:run]
        follows_date = run < len(tokens) and _COMPACT_DATE.fullmatch(_date_token(text, tokens, run)) is not None
        upper = sum(1 for *_, word in words if word.isupper())
        if len(words) >= 2 and (upper >= 2 or follows_date):
            found.append((words[0][0], words[-1][1], Role.PERSON_NAME))
            if follows_date:
                start = tokens[run][0]
                found.append((start, start + len(_date_token(text, tokens, run)), Role.BIRTH_DATE))
                run += 1
        index = max(run, index + 1)
    named = {start for start, _, role in found if role is Role.BIRTH_DATE}
    for match in _COMPACT_DATE.finditer(text):
        clear = (match.start() == 0 or not text[match.start() - 1].isalnum()) and (
            match.end() == len(text) or not text[match.end()].isalnum()
        )
        if clear and match.start() not in named and _date_valid(match[0].replace("-", "")):
            before = _FILE_TOKEN.findall(text, max(0, match.start() - 12), match.start())
            birth = bool(before) and before[-1].lower() in _BIRTH_WORDS
            found.append((match.start(), match.end(), Role.BIRTH_DATE if birth else Role.DATE))
    found.extend((match.start(1), match.end(1), Role.MRN) for match in _FILE_RECORD.finditer(text))
    return [(s, e, r) for s, e, r in found if r is not Role.BIRTH_DATE or _date_valid(text[s:e].replace("-", ""))]


_STEM_SEPARATOR = re.compile(r"[_\- ]")


def file_stem_name(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of the file's own name when it is nothing but two or three capitalised words and `start:end`
    (a word the name lists know) is one of them: "reports/2026-w36/Aisha_Okafor.pdf" names a person."""
    stem_start = max(text.rfind("/", 0, start), text.rfind("\\", 0, start)) + 1
    dot = text.find(".", end)
    stem_end = dot if dot != -1 and "/" not in text[end:dot] else len(text)
    if "/" in text[end:stem_end]:
        return None
    words = _STEM_SEPARATOR.split(text[stem_start:stem_end])
    if not 2 <= len(words) <= 3 or not all(_name_like(w) and (w.isupper() or w[1:].islower()) for w in words):
        return None
    return stem_start, stem_end


def _name_like(word: str) -> bool:
    return word.isalpha() and len(word) >= 2 and word[0].isupper() and word.upper() not in _FILE_WORDS


def _date_token(text: str, tokens: list[tuple[int, int, str]], index: int) -> str:
    """The token at `index`, joined with the next two when they make an ISO date (1962-03-14)."""
    start = tokens[index][0]
    match = _COMPACT_DATE.match(text, start)
    return match[0] if match else tokens[index][2]


def is_hex_digest(value: str) -> bool:
    """A hashed value (MD5 to SHA-512 in hex): matched by the canary matcher, not read as a name or id."""
    return _HEX_DIGEST.fullmatch(value.strip()) is not None
