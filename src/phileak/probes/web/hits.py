"""What one third-party request carries: identifier hits and health-context hits, each with its field, encoding,
location and parameter (the contract's `evidence.matches`).

Sources, strongest first: the scan's canary (any form, any encoding, in decoded fields and in the raw URL, body
and headers), the vendor decoder (a parameter that by definition holds an email, a phone...), the PHI engine on
decoded field values, the health vocabulary on page URLs, titles, search terms and event data, and the crawler's
own "condition page" classification when the page URL or title is sent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from phileak.model import DataCategory, EvidenceMatch
from phileak.phi.canary import FIELD_CATEGORIES, UNIQUE_FIELDS, CanaryMatch, CanaryMatcher
from phileak.phi.canary_encodings import TEXT_ENCODINGS
from phileak.phi.identity import parse_date
from phileak.phi.spec import HEALTH_CATEGORIES
from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import GENERIC, PAGE_MEANINGS, DecodedField, Meaning
from phileak.probes.web.decoders.payload import body_location, digest_shape
from phileak.probes.web.health_terms import HealthTerms
from phileak.probes.web.phi_bridge import PhiAnalyser, analyse_fields

HEALTH_CANARY_FIELDS: Final = frozenset({"symptom", "search_term"})
# Canary values that are plausible rather than unique: a plain-text hit counts only with corroboration.
_CORROBORATING_MEANINGS: Final = {
    "phone": Meaning.PHONE,
    "phone_fr": Meaning.PHONE,
    "dob": Meaning.DATE_OF_BIRTH,
    "zip": Meaning.ZIP,
}
_CASE_FORMS: Final = frozenset({"lower", "upper", "mixed-case", "hex"})
IDENTITY_FIELDS: Final[dict[Meaning, tuple[str, DataCategory]]] = {
    Meaning.EMAIL: ("email", DataCategory.EMAIL),
    Meaning.PHONE: ("phone", DataCategory.PHONE),
    Meaning.FIRST_NAME: ("first_name", DataCategory.PERSON_NAME),
    Meaning.LAST_NAME: ("last_name", DataCategory.PERSON_NAME),
    Meaning.FULL_NAME: ("full_name", DataCategory.PERSON_NAME),
    Meaning.DATE_OF_BIRTH: ("dob", DataCategory.DATE_OF_BIRTH),
    Meaning.STREET: ("street", DataCategory.ADDRESS),
    Meaning.CITY: ("city", DataCategory.ADDRESS),
    Meaning.ZIP: ("zip", DataCategory.ADDRESS),
    Meaning.EXTERNAL_ID: ("external_id", DataCategory.ACCOUNT_NUMBER),
    Meaning.USER_ID: ("user_id", DataCategory.ACCOUNT_NUMBER),
}
ENGINE_IDENTIFIERS: Final = frozenset(
    {
        DataCategory.PERSON_NAME, DataCategory.EMAIL, DataCategory.PHONE, DataCategory.FAX,
        DataCategory.DATE_OF_BIRTH, DataCategory.ADDRESS, DataCategory.SSN, DataCategory.FR_NIR, DataCategory.MRN,
        DataCategory.HEALTH_PLAN_ID, DataCategory.ACCOUNT_NUMBER, DataCategory.LICENCE_NUMBER,
    }
)  # fmt: skip
ENGINE_HEALTH: Final = HEALTH_CATEGORIES - {DataCategory.LOGIN_STATE}
ENGINE_MIN_CONFIDENCE: Final = 0.8
_NOT_CONTENT: Final = frozenset({Meaning.COOKIE, Meaning.TAG_ID, Meaning.CLIENT_ID, Meaning.DEVICE})
_PLACEHOLDERS: Final = frozenset({"", "undefined", "null", "none", "nan", "0", "[]", "{}", "false", "true", "-"})
_EMAIL_SHAPE = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}")
_DIGITS = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class Hit:
    """One thing found in a request; never its value."""

    field: str  # "email", "first_name", "health-condition", ...
    category: DataCategory
    encoding: str
    location: str
    param: str | None
    health: bool
    via: str  # canary | decoder | phi-engine | vocabulary | condition-page
    term: str | None = None  # the vocabulary term (a public word, never an identifier)
    meaning: str | None = None

    def evidence(self) -> EvidenceMatch:
        extra = {"via": self.via}
        if self.term:
            extra["term"] = self.term
        if self.meaning:
            extra["meaning"] = self.meaning
        return EvidenceMatch(
            field=self.field, encoding=self.encoding, location=self.location, param=self.param, **extra
        )


@dataclass
class RequestHits:
    identifiers: list[Hit] = field(default_factory=list)
    health: list[Hit] = field(default_factory=list)
    sensitive: dict[str, str] = field(default_factory=dict)  # raw value -> category: for redaction, memory only
    people: tuple[str, ...] = ()
    engine_failed: bool = False


@dataclass(frozen=True, slots=True)
class PageFacts:
    url: str | None
    title: str | None
    condition_page: bool  # the crawler's classification


class HitFinder:
    def __init__(self, canary: CanaryMatcher | None, engine: PhiAnalyser | None, terms: HealthTerms) -> None:
        self.canary = canary
        self.engine = engine
        self.terms = terms

    def find(
        self, req: CapturedRequest, fields: Sequence[DecodedField], page: PageFacts, *, vendor_known: bool
    ) -> RequestHits:
        result = RequestHits()
        canary_params = self._canary_hits(req, fields, result, vendor_known=vendor_known)
        self._decoder_hits(fields, canary_params, result)
        self._engine_hits(fields, canary_params, result)
        self._vocabulary_hits(fields, page, result, vendor_known=vendor_known)
        result.identifiers = _unique(result.identifiers)
        result.health = _unique(result.health)
        return result

    # -- canary

    def _canary_hits(
        self, req: CapturedRequest, fields: Sequence[DecodedField], out: RequestHits, *, vendor_known: bool
    ) -> set[str]:
        """Canary hits, field by field then in the raw request; returns the parameters they were found in.
        A Referer counts only towards a known tracker: sent with a font or an image it is how browsers work."""
        if self.canary is None:
            return set()
        found: list[tuple[CanaryMatch, DecodedField | None, str]] = []
        if not vendor_known:
            fields = [f for f in fields if not (f.location == "header" and f.name == "referer")]
        for match in self.canary.match_fields((str(i), f.value) for i, f in enumerate(fields)):
            source = fields[int(match.param or 0)]
            found.append((match, source, source.location))
        # The generic decoder repeats what a vendor decoder split up (GA4 "em" vs "em.em"): keep the vendor's.
        by_vendor = {(m.field, loc) for m, d, loc in found if d is not None and d.decoder not in ("", GENERIC)}
        found = [(m, d, loc) for m, d, loc in found if d is None or d.decoder not in ("", GENERIC)
                 or (m.field, loc) not in by_vendor]  # fmt: skip
        explained = {(m.field, location) for m, _, location in found}
        for match, location in self._raw_matches(req, with_referer=vendor_known):
            if (match.field, location) not in explained:
                explained.add((match.field, location))
                found.append((match, None, location))
        unique_seen = any(m.field in UNIQUE_FIELDS for m, _, _ in found)
        params: set[str] = set()
        for match, origin, location in found:
            if not _credible(match, origin, unique_seen):
                continue
            param = origin.name if origin is not None else None
            health = match.field in HEALTH_CANARY_FIELDS
            hit = Hit(
                field=match.field,
                category=FIELD_CATEGORIES[match.field],
                encoding=match.encoding,
                location=location,
                param=param,
                health=health,
                via="canary",
                meaning=origin.meaning.value if origin is not None else None,
            )
            (out.health if health else out.identifiers).append(hit)
            if param is not None:
                params.add(param)
        return params

    def _raw_matches(self, req: CapturedRequest, *, with_referer: bool) -> list[tuple[CanaryMatch, str]]:
        assert self.canary is not None
        raw = [(m, "query") for m in self.canary.find(req.url)]
        raw += [(m, body_location(req)) for m in self.canary.find(req.body)]
        for name, value in req.headers:
            if name != "cookie" and (with_referer or name != "referer"):
                raw += [(m, "header") for m in self.canary.find(value)]
        return raw

    # -- vendor decoders

    def _decoder_hits(self, fields: Sequence[DecodedField], canary_params: set[str], out: RequestHits) -> None:
        for decoded in fields:
            identity = IDENTITY_FIELDS.get(decoded.meaning)
            if identity is None or decoded.name in canary_params:
                continue
            value = decoded.value.strip()
            digest = digest_shape(value)
            trusted = decoded.decoder not in ("", GENERIC)
            if digest is None and not _plausible(decoded.meaning, value, trusted=trusted):
                continue
            if digest is not None and not trusted and decoded.meaning not in (Meaning.EMAIL, Meaning.PHONE):
                continue
            name, category = identity
            out.identifiers.append(
                Hit(name, category, digest or "plain", decoded.location, decoded.name, False, "decoder",
                    meaning=decoded.meaning.value)
            )  # fmt: skip
            out.sensitive[decoded.value] = category.value

    # -- PHI engine

    def _engine_hits(self, fields: Sequence[DecodedField], canary_params: set[str], out: RequestHits) -> None:
        if self.engine is None:
            return
        chosen = [f for f in fields if not f.hashed and f.meaning not in _NOT_CONTENT and f.name not in canary_params]
        analysis = analyse_fields(self.engine, chosen)
        out.engine_failed = analysis.failed
        out.people = analysis.people
        for detection in analysis.detections:
            decoded = chosen[detection.field]
            value = decoded.value[detection.start : detection.end]
            if detection.category in ENGINE_IDENTIFIERS and detection.confidence >= ENGINE_MIN_CONFIDENCE:
                out.identifiers.append(
                    Hit(detection.category.value, detection.category, "plain", decoded.location, decoded.name, False,
                        "phi-engine", meaning=decoded.meaning.value)
                )  # fmt: skip
                if value:
                    out.sensitive[value] = detection.category.value
            elif detection.category in ENGINE_HEALTH:
                # Only vocabulary words name the term: the span itself may hold more than a public word.
                terms = self.terms.find(value) if detection.category is not DataCategory.LAB_RESULT else []
                out.health.append(
                    Hit(detection.category.value, detection.category, "plain", decoded.location, decoded.name, True,
                        "phi-engine", term=", ".join(terms) or None, meaning=decoded.meaning.value)
                )  # fmt: skip

    # -- health vocabulary and page context

    def _vocabulary_hits(
        self, fields: Sequence[DecodedField], page: PageFacts, out: RequestHits, *, vendor_known: bool
    ) -> None:
        for decoded in fields:
            if decoded.hashed or decoded.meaning in _NOT_CONTENT:
                continue
            if decoded.location == "header" and not (vendor_known and decoded.meaning is Meaning.REFERRER):
                # A Referer sent with a CDN font or an image is how browsers work; to a tracker it is a page view.
                continue
            value = decoded.value
            url_like = decoded.meaning in (Meaning.PAGE_URL, Meaning.REFERRER) or value.startswith(("http:", "https:"))
            terms = self.terms.find_in_url(value) if url_like else self.terms.find(value)
            category = (
                DataCategory.SEARCH_TERM if decoded.meaning is Meaning.SEARCH_TERM else DataCategory.HEALTH_CONDITION
            )
            if terms:
                out.health.append(
                    Hit(category.value, category, "plain", decoded.location, decoded.name, True, "vocabulary",
                        term=", ".join(terms), meaning=decoded.meaning.value)
                )  # fmt: skip
            elif page.condition_page and decoded.meaning in PAGE_MEANINGS and _is_page(value, page):
                out.health.append(
                    Hit(DataCategory.HEALTH_CONDITION.value, DataCategory.HEALTH_CONDITION, "plain", decoded.location,
                        decoded.name, True, "condition-page", meaning=decoded.meaning.value)
                )  # fmt: skip


def _credible(match: CanaryMatch, decoded: DecodedField | None, unique_seen: bool) -> bool:
    """A hit on a plausible-not-unique canary value (phone, birth date, ZIP) counts when it is a digest or other
    non-textual encoding, when a unique canary value is in the same request, or when the parameter is meant
    to hold that kind of value."""
    if match.field not in _CORROBORATING_MEANINGS:
        return True
    if match.encoding not in TEXT_ENCODINGS and match.encoding not in _CASE_FORMS:
        return True
    if unique_seen:
        return True
    return decoded is not None and decoded.meaning is _CORROBORATING_MEANINGS[match.field]


def _plausible(meaning: Meaning, value: str, *, trusted: bool) -> bool:
    """Whether a plain value looks like what its parameter is meant to hold (untrusted: email and phone only)."""
    if value.lower() in _PLACEHOLDERS:
        return False
    if meaning is Meaning.EMAIL:
        return bool(_EMAIL_SHAPE.fullmatch(value))
    if meaning is Meaning.PHONE:
        digits = len(_DIGITS.findall(value))
        return 7 <= digits <= 15 and digits >= len(value.replace(" ", "")) * 0.6
    if not trusted:
        return False
    if meaning is Meaning.DATE_OF_BIRTH:
        try:
            parse_date(value)
        except ValueError:
            return value.isdigit() and len(value) == 8
        return True
    return len(value) >= 2


def _is_page(value: str, page: PageFacts) -> bool:
    text = value.strip()
    if page.url and _same_url(text, page.url):
        return True
    return bool(page.title) and text == (page.title or "").strip()


def _same_url(a: str, b: str) -> bool:
    return a.split("#", 1)[0].rstrip("/") == b.split("#", 1)[0].rstrip("/")


def _unique(hits: list[Hit]) -> list[Hit]:
    """One hit per (field, location, parameter); the first (strongest source) wins."""
    seen: set[tuple[str, str, str | None]] = set()
    kept = []
    for hit in hits:
        key = (hit.field, hit.location, hit.param)
        if key not in seen:
            seen.add(key)
            kept.append(hit)
    return kept
