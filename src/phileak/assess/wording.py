"""Plain words for what the findings show, shared by notices, the risk assessment and the HHS portal fields.
Only what a report already shows goes in: kinds, targets, vendors, categories; never an identifier."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from phileak.assess.groups import HOSTING, IMAGING_SERVER, PUBLIC_STORAGE, TRACKING, exposure_type
from phileak.assess.matching import finding_host
from phileak.model import DataCategory, Finding

CATEGORY_WORDS: dict[str, str] = {
    DataCategory.PERSON_NAME: "names",
    DataCategory.EMAIL: "e-mail addresses",
    DataCategory.PHONE: "telephone numbers",
    DataCategory.FAX: "fax numbers",
    DataCategory.DATE_OF_BIRTH: "dates of birth",
    DataCategory.DATE: "dates of care (admission, discharge or service)",
    DataCategory.ADDRESS: "postal addresses",
    DataCategory.SSN: "Social Security numbers",
    DataCategory.FR_NIR: "French social-security numbers (NIR)",
    DataCategory.MRN: "medical record numbers",
    DataCategory.HEALTH_PLAN_ID: "health-plan or insurance member numbers",
    DataCategory.NPI: "provider NPI numbers",
    DataCategory.DEA: "provider DEA numbers",
    DataCategory.ACCOUNT_NUMBER: "account numbers",
    DataCategory.LICENCE_NUMBER: "certificate or licence numbers",
    DataCategory.DEVICE_ID: "device identifiers",
    DataCategory.IP_ADDRESS: "IP addresses",
    DataCategory.URL: "addresses (URLs) of pages visited",
    DataCategory.HEALTH_CONDITION: "health conditions or diagnoses",
    DataCategory.LAB_RESULT: "laboratory results",
    DataCategory.MEDICATION: "medications",
    DataCategory.PROCEDURE: "procedures or examinations",
    DataCategory.PROVIDER_NAME: "the names of treating clinicians",
    DataCategory.SEARCH_TERM: "health searches typed on the site",
    DataCategory.LOGIN_STATE: "the fact of being a logged-in patient",
    DataCategory.MEDICAL_IMAGE: "medical images and their headers",
    DataCategory.BIOMETRIC: "biometric identifiers",
    DataCategory.PHOTO: "photographs",
}
ANYONE = "anyone on the internet"


def categories_of(findings: Iterable[Finding]) -> list[str]:
    return sorted({c.value for f in findings for c in f.data_categories})


def data_words(categories: Iterable[str]) -> str:
    words = [CATEGORY_WORDS.get(c, c.replace("-", " ")) for c in sorted(set(categories))]
    return join_words(words) if words else "no data category identified yet"


def join_words(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def by_type(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        group = exposure_type(finding.kind)
        if group is not None:
            grouped.setdefault(group, []).append(finding)
    return grouped


def vendors(findings: Iterable[Finding]) -> list[str]:
    """Recipients of tracking leaks as "Vendor (host)", sorted."""
    names = set()
    for finding in findings:
        recipient = finding.recipient
        if recipient is not None and exposure_type(finding.kind) == TRACKING:
            names.add(f"{recipient.vendor} ({recipient.host})" if recipient.vendor else recipient.host)
    return sorted(names)


def recipient_words(findings: Sequence[Finding]) -> list[str]:
    grouped = by_type(findings)
    out = vendors(findings)
    if IMAGING_SERVER in grouped or PUBLIC_STORAGE in grouped:
        out.append(f"{ANYONE} (open access: who retrieved data is unknown without access logs)")
    return out


def site_of(target: str) -> str:
    if "://" not in target:
        return target
    return urlsplit(target).hostname or target


def exposure_clauses(findings: Sequence[Finding]) -> list[str]:
    """One clause per exposure type: what happened, in words."""
    grouped = by_type(findings)
    clauses = []
    if TRACKING in grouped:
        found = grouped[TRACKING]
        sites = join_words(sorted({site_of(f.target) for f in found}))
        clauses.append(
            f"tracking code on {sites} sent {data_words(categories_of(found))} of visitors to "
            f"{join_words(vendors(found)) or 'third parties'}"
        )
    if IMAGING_SERVER in grouped:
        targets = join_words(sorted({f.target for f in grouped[IMAGING_SERVER]}))
        clauses.append(f"the imaging server {targets} answered requests from the internet without authentication")
    if PUBLIC_STORAGE in grouped:
        targets = join_words(sorted({f.target for f in grouped[PUBLIC_STORAGE]}))
        clauses.append(f"the cloud storage {targets} could be listed or read by {ANYONE}")
    if HOSTING in grouped:
        hosts = join_words(sorted({finding_host(f) or f.target for f in grouped[HOSTING]}))
        clauses.append(f"health data is hosted on {hosts}, which is not listed as HDS-certified")
    return clauses
