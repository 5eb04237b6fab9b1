"""Email addresses, phone and fax numbers (US, French, international), URLs and IP addresses."""

from __future__ import annotations

from typing import Final

from phileak.model import DataCategory
from phileak.phi.spec import PatternSpec
from phileak.phi.validators import fr_phone_valid, ipv4_valid, ipv6_valid, nanp_phone_valid, phone_valid

# Not top-level domains but file extensions after an "@2x"-style asset name.
_FILE_SUFFIXES: Final = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "css", "js", "ico", "bmp", "tif"})
_ROLE_MAILBOXES: Final = frozenset(
    {
        "info", "contact", "noreply", "no-reply", "donotreply", "support", "admin", "webmaster", "postmaster",
        "hello", "sales", "press", "privacy", "dpo", "accueil", "secretariat", "rdv", "help", "abuse",
        "marketing", "newsletter", "billing", "communication", "service", "services", "office", "reception",
    }
)  # fmt: skip


def email_valid(value: str) -> bool:
    local, _, domain = value.replace("%40", "@").rpartition("@")
    tld = domain.rsplit(".", 1)[-1].lower()
    return bool(local) and ".." not in local and not local.startswith(".") and tld not in _FILE_SUFFIXES


def is_role_mailbox(value: str) -> bool:
    """An organisation's mailbox (info@, contact@, noreply@ ...): an address, but nobody's in particular."""
    local = value.replace("%40", "@").rpartition("@")[0].lower()
    return local in _ROLE_MAILBOXES


_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = PatternSpec(
    name="email",
    category=DataCategory.EMAIL,
    regex=rf"\b[A-Za-z0-9][A-Za-z0-9._%+\-]{{0,63}}(?:@|%40){_LABEL}(?:\.{_LABEL}){{0,4}}\.[A-Za-z]{{2,24}}\b",
    validate=email_valid,
    confidence=0.97,
)

_EXTENSION = r"(?:[ ]?(?:x|ext\.?|poste)[ ]?\d{1,5})?"
PHONE_US = PatternSpec(
    name="phone-us",
    category=DataCategory.PHONE,
    regex=(r"(?:\+1[-. ]?|\b(?:001|1)[-. ])?(?:\(\d{3}\)[ ]?|\b\d{3}[-. ])\d{3}[-. ]\d{4}" + _EXTENSION + r"\b"),
    validate=nanp_phone_valid,
    confidence=0.9,
)
PHONE_FR = PatternSpec(
    name="phone-fr",
    category=DataCategory.PHONE,
    regex=r"(?:\+33[ .]?(?:\(0\)[ .]?)?|\b0033[ .]?|\b0)[1-9](?:[ .\-]\d\d){4}\b",
    validate=fr_phone_valid,
    confidence=0.9,
)
PHONE_E164 = PatternSpec(
    name="phone-e164",
    category=DataCategory.PHONE,
    regex=r"\+[1-9]\d{7,14}\b",
    validate=phone_valid,
    confidence=0.85,
)
PHONE_INTERNATIONAL = PatternSpec(
    name="phone-international",
    category=DataCategory.PHONE,
    regex=r"\+[2-9]\d{0,2}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{1,4}(?:[ .\-]\d{2,4}){2,4}\b",
    validate=phone_valid,
    confidence=0.8,
)

URL = PatternSpec(
    name="url",
    category=DataCategory.URL,
    regex=r"\b(?:https?://|www\.)[A-Za-z0-9][A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*[A-Za-z0-9/#=&_\-]",
    confidence=0.95,
)

IPV4 = PatternSpec(
    name="ipv4",
    category=DataCategory.IP_ADDRESS,
    regex=r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b",
    validate=ipv4_valid,
    confidence=0.85,
)
_H = "[0-9A-Fa-f]{1,4}"
IPV6 = PatternSpec(
    name="ipv6",
    category=DataCategory.IP_ADDRESS,
    regex=rf"\b{_H}(?::{_H}){{7}}\b|\b{_H}(?::{_H}){{0,6}}::(?:{_H}(?::{_H}){{0,6}}\b)?",
    validate=ipv6_valid,
    confidence=0.9,
)

PATTERNS: Final = (EMAIL, PHONE_US, PHONE_FR, PHONE_E164, PHONE_INTERNATIONAL, URL, IPV4, IPV6)
# Hyperscan finds a literal anchor ("https://", "@"), Python reads the whole match around it: cheaper than
# making hyperscan track where an unbounded or long match starts.
# (anchor regex, characters a match may start before the anchor's end, characters it may end after it)
PREFILTERS: Final = {
    URL.name: (r"\b(?:https?://|www\.)[A-Za-z0-9]", 12, 2048),
    EMAIL.name: (r"[A-Za-z0-9._%+\-](?:@|%40)[A-Za-z0-9]", 68, 260),
    # Two colons side by side, or three groups: never a time of day (10:22:33).
    IPV6.name: (r"::[0-9A-Fa-f]|[0-9A-Fa-f]::|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]", 40, 40),
}
