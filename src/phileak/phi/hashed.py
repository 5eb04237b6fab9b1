"""Identifiers sent hashed. Trackers' "advanced matching" sends a person's email, phone, name, birth date or
postcode as a digest (Meta `ud[em]=<sha256>`, TikTok `context.user.email`, GA4 `em=tv.1~em.<sha256>~pn.<sha256>`).
A digest of an identifier is still that person's identifier: the vendor matches it to an account, and the FTC
and HHS treat hashed identifiers sent to advertisers as identifiers. A field whose label names an identifier
and whose whole value is a hex digest is read as that identifier, sent hashed.

People: a hashed email or phone links sightings of a person (attribute kinds "email-sha256", "phone-sha256",
...), and a plain email also gets its SHA-256 in Meta's normalisation (trimmed, lower-cased), so a person whose
address appears in one file and its digest in a tracker capture counts once. A record with nothing but digests
makes no person of its own: it cannot be told apart from the people the other files name, and counting it
would inflate the count. Hashed names, dates and postcodes are detections only.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

from phileak.phi.identity import HASHED_ID_KINDS
from phileak.phi.labels import Role

# Labels whose hex-digest values are the identifier, hashed.
HASHABLE_ROLES: Final = frozenset(
    {
        Role.EMAIL, Role.PHONE, Role.PERSON_NAME, Role.GIVEN_NAME, Role.FAMILY_NAME, Role.BIRTH_DATE,
        Role.ADDRESS, Role.CITY, Role.POSTCODE, Role.MRN, Role.ACCOUNT, Role.DEVICE, Role.HEALTH_PLAN_ID,
    }
)  # fmt: skip
# Digest lengths in hex digits and their usual algorithm.
ALGORITHMS: Final = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
# GA4's user-provided data: "tv.1~em.<sha256>~pn.<sha256>" (keys as Google's gtag sends them).
_GA4_PREFIX: Final = "tv.1~"
_GA4_FIELD = re.compile(r"(?:(?<=~)|^)([a-z]{2})\.([0-9a-f]{64})(?=~|$)")
_GA4_ROLES: Final = {
    "em": Role.EMAIL, "pn": Role.PHONE, "fn": Role.GIVEN_NAME, "ln": Role.FAMILY_NAME, "sn": Role.ADDRESS,
    "ct": Role.CITY, "rg": Role.ADDRESS, "pc": Role.POSTCODE,
}  # fmt: skip
_HEX = re.compile(r"[0-9a-fA-F]+")
# The roles whose digest identifies one person, and the attribute kind prefix it is linked under.
_LINKING: Final = {Role.EMAIL: "email", Role.PHONE: "phone"}


def digest_algorithm(value: str) -> str | None:
    """The algorithm a hex digest of this length usually comes from, or None when `value` is no digest."""
    text = value.strip()
    if len(text) in ALGORITHMS and _HEX.fullmatch(text):
        return ALGORITHMS[len(text)]
    return None


def may_be_hashed(text: str) -> bool:
    """Whether a value of an unlabelled field may still carry hashed identifiers (GA4's user-provided data)."""
    return text.startswith(_GA4_PREFIX)


def hashed_values(role: Role | None, text: str) -> list[tuple[int, int, Role]]:
    """(start, end, role) of each identifier sent hashed in a labelled value; empty when there is none."""
    if text.startswith(_GA4_PREFIX):
        found = []
        for match in _GA4_FIELD.finditer(text, len(_GA4_PREFIX)):
            named = _GA4_ROLES.get(match[1])
            if named is not None:
                found.append((match.start(2), match.end(2), named))
        return found
    if role is None or role not in HASHABLE_ROLES:
        return []
    stripped = text.strip()
    if digest_algorithm(stripped) is None:
        return []
    start = text.index(stripped)
    return [(start, start + len(stripped), role)]


def linking_kind(role: Role | None, digest: str) -> str | None:
    """The people attribute kind a digest of this role links under ("email-sha256", one of
    phi.identity.HASHED_ID_KINDS), or None."""
    base = _LINKING.get(role) if role is not None else None
    algorithm = digest_algorithm(digest)
    kind = f"{base}-{algorithm}" if base and algorithm else None
    return kind if kind in HASHED_ID_KINDS else None


def email_sha256(email: str) -> str:
    """SHA-256 of an email as trackers hash it (Meta, Google, TikTok: trimmed and lower-cased)."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()

