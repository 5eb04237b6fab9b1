"""What a web or app leak means legally, by page context, and the severity that follows.

HHS OCR's bulletin on online tracking technologies (1 Dec 2022, updated 18 Mar 2024) distinguishes authenticated
pages (tracking generally has access to PHI), unauthenticated pages (generally not PHI, except where identifying
information is collected, e.g. booking an appointment or using a symptom checker) and mobile apps (generally PHI).
*AHA v. Becerra* (N.D. Tex. 4:23-cv-1110, 20 Jun 2024) vacated the bulletin only "to the extent" HIPAA is
triggered by an IP address plus a visit to an unauthenticated public page about specific health conditions or
providers. Outside HIPAA, the FTC Act s.5 and the Health Breach Notification Rule (amended 2024: unauthorized
disclosures are breaches) and state health-privacy laws still reach such disclosures.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from phileak.model import Severity


class PageContext(StrEnum):
    AUTHENTICATED = "authenticated"
    IDENTITY_COLLECTED = "identity-collected"
    APP = "app"
    CONDITION_PAGE = "condition-page"
    PUBLIC_PAGE = "public-page"


class LeakKind(StrEnum):
    PHI = "phi-to-third-party"
    HEALTH_CONTEXT = "health-context-to-third-party"
    IDENTIFIERS = "identifiers-to-third-party"
    LOGGED_IN = "logged-in-to-vendor"
    SESSION_REPLAY = "session-replay-present"
    TRACKER = "tracker-present"


# Contexts in which OCR reads identifiable tracking data as PHI, untouched by AHA v. Becerra.
PHI_CONTEXTS: Final = frozenset({PageContext.AUTHENTICATED, PageContext.IDENTITY_COLLECTED, PageContext.APP})
# Vendors whose business is profiling and ad targeting: the enforcement cases (Meta, Google Ads, TikTok, X...)
# and session replay, which records whatever the patient types.
PROFILING_CATEGORIES: Final = frozenset({"advertising", "social", "session-replay"})

READINGS: Final[dict[PageContext, str]] = {
    PageContext.AUTHENTICATED: (
        "Authenticated page: per the HHS OCR bulletin (Dec 2022, updated Mar 2024), tracking technologies on "
        "pages reached after login generally have access to PHI; disclosing it to a vendor without a business "
        "associate agreement or the patient's HIPAA authorization is impermissible (45 CFR 164.502(a)). "
        "AHA v. Becerra (N.D. Tex., 20 Jun 2024) did not vacate this part."
    ),
    PageContext.IDENTITY_COLLECTED: (
        "Unauthenticated page that collects identifying information (booking, symptom checker, sign-up): per the "
        "HHS OCR bulletin this is PHI, as it relates to the individual's past, present or future health care. "
        "AHA v. Becerra vacated only the IP-address-plus-public-page theory, not this one."
    ),
    PageContext.APP: (
        "Mobile or desktop app: per the HHS OCR bulletin, a covered entity's app generally handles PHI (device "
        "IDs, identifiers, health inputs); for non-HIPAA health apps the FTC Health Breach Notification Rule "
        "(amended 2024) treats an unauthorized disclosure as a breach."
    ),
    PageContext.CONDITION_PAGE: (
        "Unauthenticated public page about a health condition or provider (or a health search made on it): "
        "AHA v. Becerra (N.D. Tex., 20 Jun "
        "2024) vacated the OCR bulletin's reading that an IP address plus such a visit is PHI, so on its own this "
        "is not a HIPAA disclosure under that ruling (HHS is evaluating its next steps). It can still be an unfair "
        "or deceptive practice (FTC Act s.5, HBNR for non-HIPAA entities) and fall under state health-privacy laws "
        "(e.g. Washington's My Health My Data Act), and it becomes PHI once identifiers or an account link go with it."
    ),
    PageContext.PUBLIC_PAGE: (
        "Unauthenticated page with no health topic detected: generally not PHI under the HHS OCR bulletin unless "
        "identifying information goes with health information."
    ),
}


def classify(*, authenticated: bool, identity_collected: bool, app: bool, condition_page: bool) -> PageContext:
    if authenticated:
        return PageContext.AUTHENTICATED
    if identity_collected:
        return PageContext.IDENTITY_COLLECTED
    if app:
        return PageContext.APP
    return PageContext.CONDITION_PAGE if condition_page else PageContext.PUBLIC_PAGE


def severity(kind: LeakKind, context: PageContext, vendor_category: str | None, *, account_linked: bool) -> Severity:
    """Severity of one occurrence. `account_linked`: login cookies of the vendor went with the request."""
    profiling = vendor_category in PROFILING_CATEGORIES
    if kind is LeakKind.PHI:
        if context in PHI_CONTEXTS:
            return Severity.CRITICAL if profiling or account_linked else Severity.HIGH
        return Severity.HIGH
    if kind is LeakKind.IDENTIFIERS:
        return Severity.HIGH if profiling or account_linked else Severity.MEDIUM
    if kind is LeakKind.HEALTH_CONTEXT:
        if context in (PageContext.AUTHENTICATED, PageContext.APP) or account_linked:
            return Severity.HIGH
        return Severity.MEDIUM if profiling or context is PageContext.IDENTITY_COLLECTED else Severity.LOW
    if kind is LeakKind.LOGGED_IN:
        return Severity.HIGH if context in PHI_CONTEXTS else Severity.MEDIUM
    if kind is LeakKind.SESSION_REPLAY:
        return Severity.HIGH if context in PHI_CONTEXTS else Severity.MEDIUM
    return Severity.INFO


def remediation(kind: LeakKind, vendor_name: str | None, context: PageContext) -> str:
    who = vendor_name or "this third party"
    if kind is LeakKind.PHI:
        return (
            f"Stop sending patient identifiers and health information to {who}: remove the tag from authenticated, "
            "booking and symptom-checker pages, or turn off its automatic data collection (Meta automatic advanced "
            "matching and automatic events, Google user-provided data, form-field capture). Disclosing PHI to a "
            "tracking vendor needs a business associate agreement or the patient's authorization; most ad vendors "
            "sign neither. Assess past transmissions as a possible breach (45 CFR 164.402) and keep this evidence."
        )
    if kind is LeakKind.IDENTIFIERS:
        return (
            f"Turn off the identity features of {who} (advanced matching, enhanced conversions, user-provided data, "
            "hashed email/phone): hashing does not anonymise an email or phone number. On a health organisation's "
            "site, identifiers next to any health context become PHI."
        )
    if kind is LeakKind.HEALTH_CONTEXT:
        return (
            f"Keep page URLs, titles and search terms of health pages away from {who}: remove the tag from condition, "
            "provider, search and booking pages, or strip paths, titles and query strings in a server-side tagging "
            "proxy before anything leaves. Avoid condition names in URLs. "
            + ("On this page context OCR reads it as PHI." if context in PHI_CONTEXTS else "")
        ).strip()
    if kind is LeakKind.LOGGED_IN:
        return (
            f"{who} receives its own login cookies with these hits, so it can tie each page view to the visitor's "
            "account there. Do not load its tag on health pages, or load it only after consent and without "
            "credentials (no third-party cookies)."
        )
    if kind is LeakKind.SESSION_REPLAY:
        return (
            f"{who} records the page (DOM, clicks, typed text). Exclude authenticated, form and symptom pages from "
            "recording, mask all text and inputs by default (data-clarity-mask, data-hj-suppress, fs-exclude), and "
            "do not use it on PHI pages without a business associate agreement."
        )
    return (
        f"Inventory {who}: confirm a legal basis (business associate agreement, consent) for every health page it is "
        "on, or remove it."
    )
