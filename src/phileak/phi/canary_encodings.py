"""Every way a canary value can look on the wire: vendor normalisations ("forms") times encodings.

Forms are what a page, a tag or a vendor's SDK makes of a value before sending it (shared/reference/web-trackers.md):
  raw        the value as typed, whitespace collapsed; "lower": lower-cased (Meta, Google, TikTok, X: trim+lower);
             "upper": upper-cased (plain text matches in any ASCII case anyway; this form covers accented letters
             and digests of upper-cased values)
  meta       Meta advanced matching: names lower-case letters only (fn/ln), city without digits, spaces and
             ().- (ct), ZIP before any "-" (zp), birth date YYYYMMDD (db), phone digits with country code (ph)
  f5         Meta f5first/f5last: the first five letters (hashed only: too short to match as text)
  google     Google enhanced conversions: lower-case, gmail.com/googlemail.com dots and "+tag" dropped
  e164       phone "+<cc><number>" (Google, TikTok); "national", "national-digits", "dashed", "dotted",
             "international", "00": other ways people and forms write a phone number
  iso, us, fr, dotted, dashed   birth-date layouts; "abbrev": street with its suffix abbreviated;
  last-first, dicom: full name as "Last, First" / "LAST^FIRST"

Encodings, the `evidence.matches[].encoding` values:
  plain, lower, upper, mixed-case   the form as text; the matcher tells which case it was found in. Needles never
                                    carry surrounding whitespace, so trimmed and untrimmed values match alike
  url, url2      percent-encoded once / twice (encodeURIComponent, RFC 3986, encodeURI; "%20" and "+" for space)
  json           JSON string escapes: \\uXXXX for non-ASCII, "\\/" slashes, HTML-safe \\u003c-style, all-\\u
  hex            hex of the UTF-8 bytes, either case
  base64, base64url   padded or not, alone or anywhere inside a larger base64 blob (all three byte alignments)
  md5-hex, sha1-hex, sha256-hex, sha512-hex                 digest of the form, hex in either case
  md5-base64, ..., sha512-base64, md5-base64url, ...        the digest's bytes in base64 / base64url
  md5-hex/base64, ..., sha512-hex/base64url                 the hex digest inside a base64 blob
Text is handled as UTF-8 bytes read as latin-1 (one character per byte), so needles line up with raw payloads.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, quote_plus

import phonenumbers

from phileak.phi.identity import parse_date

DIGEST_ALGORITHMS: Final = ("md5", "sha1", "sha256", "sha512")
TEXT_ENCODINGS: Final = frozenset({"plain", "url", "url2", "json"})
MIN_TEXT_CHARS: Final = 5  # shorter forms are only ever looked for hashed
MIN_FRAGMENT_CHARS: Final = 6

# encodeURIComponent, RFC 3986 unreserved (Python's quote), encodeURI.
_URL_SAFE_SETS: Final = ("-_.!~*'()", "-_.~", "-_.!~*'();/?:@&=+$,#")
_FORM_SAFE: Final = "*-._"  # application/x-www-form-urlencoded (URLSearchParams), space as "+"
_HTML_SAFE_JSON: Final = re.compile(r"[<>&'+=`]")  # escaped by Go's and .NET's JSON encoders
_BLOB_ALIGNMENTS: Final = ((0, 0), (1, 2), (2, 3))  # (unknown bytes before the value, base64 chars they spoil)
_STREET_ABBREVIATIONS: Final = {
    "street": "St", "avenue": "Ave", "road": "Rd", "lane": "Ln", "drive": "Dr", "court": "Ct", "place": "Pl",
    "terrace": "Ter", "boulevard": "Blvd",
}  # fmt: skip
_PHONE_REGIONS: Final = {"phone": "US", "phone_fr": "FR"}


@dataclass(frozen=True, slots=True)
class Form:
    name: str
    text: str
    hash_only: bool = False


@dataclass(frozen=True, slots=True)
class Encoded:
    encoding: str
    text: str  # latin-1 reading of the encoded UTF-8 bytes
    case_sensitive: bool


def field_forms(field: str, value: str) -> list[Form]:
    """The forms of `value` worth looking for, raw first; duplicates are left to the caller."""
    raw = " ".join(value.split())
    builder = _FORM_BUILDERS.get(field, _text_forms)
    return [Form("raw", raw), Form("lower", raw.lower()), Form("upper", raw.upper()), *builder(field, raw)]


def encodings(form: Form) -> Iterator[Encoded]:
    """`form` in every encoding, most telling first (plain before url before digests)."""
    data = form.text.encode("utf-8", "surrogatepass")
    if not form.hash_only and len(form.text) >= MIN_TEXT_CHARS:
        yield Encoded("plain", data.decode("latin-1"), case_sensitive=False)
        for text in _url_once(form.text):
            yield Encoded("url", text, case_sensitive=False)
        for text in _url_twice(form.text):
            yield Encoded("url2", text, case_sensitive=False)
        for text in _json_escaped(form.text):
            yield Encoded("json", text.encode("utf-8", "surrogatepass").decode("latin-1"), case_sensitive=False)
        yield Encoded("hex", data.hex(), case_sensitive=False)
        for alphabet, fragment in _base64_fragments(data):
            yield Encoded(alphabet, fragment, case_sensitive=True)
    for algorithm in DIGEST_ALGORITHMS:
        digest = hashlib.new(algorithm, data, usedforsecurity=False)
        yield Encoded(f"{algorithm}-hex", digest.hexdigest(), case_sensitive=False)
        standard = base64.b64encode(digest.digest()).rstrip(b"=").decode("ascii")
        yield Encoded(f"{algorithm}-base64", standard, case_sensitive=True)
        yield Encoded(f"{algorithm}-base64url", standard.translate(_URLSAFE), case_sensitive=True)
        for alphabet, fragment in _base64_fragments(digest.hexdigest().encode("ascii")):
            yield Encoded(f"{algorithm}-hex/{alphabet}", fragment, case_sensitive=True)


_URLSAFE: Final = str.maketrans("+/", "-_")


def _url_once(text: str) -> list[str]:
    forms = []
    for safe in _URL_SAFE_SETS:
        encoded = quote(text, safe=safe)
        forms += [encoded, encoded.replace("%20", "+")]
    forms.append(quote_plus(text, safe=_FORM_SAFE))
    return forms


def _url_twice(text: str) -> list[str]:
    twice = []
    for once in dict.fromkeys(_url_once(text)):
        twice += [quote(once, safe=_URL_SAFE_SETS[0]), quote_plus(once, safe=_FORM_SAFE)]
    return twice


def _json_escaped(text: str) -> list[str]:
    ascii_only = json.dumps(text)[1:-1]
    html_safe = _HTML_SAFE_JSON.sub(lambda m: f"\\u{ord(m[0]):04x}", ascii_only)
    every_char = "".join(f"\\u{ord(c):04x}" if c.isascii() else json.dumps(c)[1:-1] for c in text)
    return [ascii_only, json.dumps(text, ensure_ascii=False)[1:-1], ascii_only.replace("/", "\\/"), html_safe,
            every_char]  # fmt: skip


def _base64_fragments(data: bytes) -> Iterator[tuple[str, str]]:
    """The base64 characters that depend on `data` alone, for `data` at each alignment inside a larger blob.
    At alignment 0 this is also a prefix of `data`'s own encoding, padded or not."""
    for before, spoiled in _BLOB_ALIGNMENTS:
        stop = (len(data) + before) * 4 // 3
        if stop - spoiled < MIN_FRAGMENT_CHARS:
            continue
        fragment = base64.b64encode(bytes(before) + data)[spoiled:stop].decode("ascii")
        yield "base64", fragment
        yield "base64url", fragment.translate(_URLSAFE)


def _text_forms(field: str, raw: str) -> list[Form]:
    return []


def _name_forms(field: str, raw: str) -> list[Form]:
    letters = "".join(c for c in raw.lower() if c.isalpha())
    return [Form("meta", letters), Form("f5", letters[:5], hash_only=True)]


def _full_name_forms(field: str, raw: str) -> list[Form]:
    first, _, last = raw.rpartition(" ")
    if not first:
        return []
    return [Form("last-first", f"{last}, {first}"), Form("last-first", f"{last} {first}"),
            Form("dicom", f"{last}^{first}".upper()), Form("meta", (first + last).lower())]  # fmt: skip


def _email_forms(field: str, raw: str) -> list[Form]:
    local, _, domain = raw.lower().rpartition("@")
    if domain in ("gmail.com", "googlemail.com"):
        local = local.split("+", 1)[0].replace(".", "")
    return [Form("google", f"{local}@{domain}")]


def _phone_forms(field: str, raw: str) -> list[Form]:
    try:
        number = phonenumbers.parse(raw, _PHONE_REGIONS.get(field, "US"))
    except phonenumbers.NumberParseException:
        return [Form("meta", "".join(c for c in raw if c.isdigit()))]
    code, national = str(number.country_code), str(number.national_number)
    trunk = "" if code == "1" else "0"
    groups = _digit_groups(national) if code == "1" else [national[0], *_pairs(national[1:])]
    national_groups = [trunk + groups[0], *groups[1:]] if trunk else groups
    forms = [
        Form("e164", f"+{code}{national}"),
        Form("meta", f"{code}{national}"),
        Form("00", f"00{code}{national}"),
        Form("national-digits", trunk + national),
        Form("national", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)),
        Form("international", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)),
        Form("dashed", "-".join(national_groups)),
        Form("dotted", ".".join(national_groups)),
        Form("spaced", " ".join(national_groups)),
    ]
    return [*forms, Form("dashed", "1-" + "-".join(groups))] if code == "1" else forms


def _digit_groups(national: str) -> list[str]:
    return [national[:3], national[3:6], national[6:]] if len(national) == 10 else [national]


def _pairs(digits: str) -> list[str]:
    return [digits[i : i + 2] for i in range(0, len(digits), 2)]


def _dob_forms(field: str, raw: str) -> list[Form]:
    try:
        born = parse_date(raw)
    except ValueError:
        return []
    y, m, d = f"{born.year:04d}", f"{born.month:02d}", f"{born.day:02d}"
    return [Form("iso", f"{y}-{m}-{d}"), Form("meta", f"{y}{m}{d}"), Form("us", f"{m}/{d}/{y}"),
            Form("fr", f"{d}/{m}/{y}"), Form("dotted", f"{d}.{m}.{y}"), Form("dashed", f"{m}-{d}-{y}")]  # fmt: skip


def _street_forms(field: str, raw: str) -> list[Form]:
    head, _, suffix = raw.rpartition(" ")
    short = _STREET_ABBREVIATIONS.get(suffix.lower())
    return [Form("abbrev", f"{head} {short}"), Form("abbrev", f"{head} {short}.")] if head and short else []


def _city_forms(field: str, raw: str) -> list[Form]:
    return [Form("meta", re.sub(r"[\d\s().-]", "", raw.lower()))]


def _zip_forms(field: str, raw: str) -> list[Form]:
    return [Form("meta", raw.replace(" ", "").split("-", 1)[0])]


_FORM_BUILDERS: Final[dict[str, Callable[[str, str], list[Form]]]] = {
    "first_name": _name_forms,
    "last_name": _name_forms,
    "full_name": _full_name_forms,
    "email": _email_forms,
    "gmail": _email_forms,
    "phone": _phone_forms,
    "phone_fr": _phone_forms,
    "dob": _dob_forms,
    "street": _street_forms,
    "city": _city_forms,
    "zip": _zip_forms,
}
