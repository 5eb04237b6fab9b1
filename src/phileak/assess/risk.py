"""The HIPAA four-factor risk assessment (45 CFR 164.402(2)), pre-filled from the evidence.

An impermissible use or disclosure of PHI is presumed a breach unless a documented assessment of these four
factors shows a low probability that the PHI has been compromised. phileak fills in what the scan proves and
asks for the rest: a pixel firing is an acquisition; an open server or bucket may have been read by anyone,
which only access logs can rule out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from phileak.assess.facts import ExposureFacts
from phileak.assess.groups import IMAGING_SERVER, PUBLIC_STORAGE, TRACKING
from phileak.assess.matching import page_contexts
from phileak.assess.profile import OrgProfile
from phileak.assess.questions import Question
from phileak.assess.wording import ANYONE, by_type, data_words, join_words, vendors
from phileak.model import DataCategory, Finding
from phileak.plan import EntityType

CITATION = "45 CFR 164.402(2)"
# 164.402(2)(i)-(iv), verbatim.
FACTOR_TEXT = {
    "i": "The nature and extent of the protected health information involved, including the types of identifiers "
    "and the likelihood of re-identification",
    "ii": "The unauthorized person who used the protected health information or to whom the disclosure was made",
    "iii": "Whether the protected health information was actually acquired or viewed",
    "iv": "The extent to which the risk to the protected health information has been mitigated",
}
# Safe Harbor identifiers, 164.514(b)(2)(i)(A)-(R).
SAFE_HARBOR = {
    DataCategory.PERSON_NAME: "A", DataCategory.ADDRESS: "B", DataCategory.DATE_OF_BIRTH: "C", DataCategory.DATE: "C",
    DataCategory.PHONE: "D", DataCategory.FAX: "E", DataCategory.EMAIL: "F", DataCategory.SSN: "G",
    DataCategory.MRN: "H", DataCategory.HEALTH_PLAN_ID: "I", DataCategory.ACCOUNT_NUMBER: "J",
    DataCategory.LICENCE_NUMBER: "K", DataCategory.DEVICE_ID: "M", DataCategory.URL: "N",
    DataCategory.IP_ADDRESS: "O", DataCategory.BIOMETRIC: "P", DataCategory.PHOTO: "Q", DataCategory.FR_NIR: "R",
}  # fmt: skip
CLINICAL = frozenset({DataCategory.HEALTH_CONDITION, DataCategory.LAB_RESULT, DataCategory.MEDICATION,
                      DataCategory.PROCEDURE, DataCategory.MEDICAL_IMAGE})  # fmt: skip
HEALTH_CONTEXT = frozenset({DataCategory.SEARCH_TERM, DataCategory.LOGIN_STATE, DataCategory.PROVIDER_NAME})
PROFILING = frozenset({"advertising", "social"})
PHI_CONTEXTS = frozenset({"authenticated", "identity-collected", "app"})

AGAINST = "against a low probability of compromise"
UNDETERMINED = "undetermined until confirmed"
TOWARDS = "towards a low probability of compromise"


@dataclass(frozen=True)
class RiskAssessment:
    data: dict[str, Any]
    questions: tuple[Question, ...]


def hipaa_risk_assessment(findings: Sequence[Finding], facts: ExposureFacts, profile: OrgProfile) -> RiskAssessment:
    grouped = by_type(findings)
    exposing = [f for group in (TRACKING, IMAGING_SERVER, PUBLIC_STORAGE) for f in grouped.get(group, [])]
    questions: list[Question] = []
    factors = [
        _nature(exposing, facts),
        _recipient(grouped),
        _acquired(grouped, questions),
        _mitigation(grouped, questions),
    ]
    questions += [
        Question("hipaa-secured", "Was any of the exposed PHI secured (encrypted or destroyed per HHS guidance)?",
                 "Only unsecured PHI is a reportable breach (45 CFR 164.402)."),
        Question("hipaa-exclusions", "Does one of the three exclusions apply (good-faith workforce access; "
                 "inadvertent disclosure between authorized persons; a recipient who could not retain the data)?",
                 "45 CFR 164.402(1) excludes these from the definition of breach."),
    ]  # fmt: skip
    conclusion, supports = _conclusion(grouped, factors)
    data: dict[str, Any] = {
        "regime": "HIPAA",
        "citation": CITATION,
        "applies": _applies(profile),
        "presumption": (
            "An impermissible use or disclosure of PHI is presumed to be a breach unless a documented assessment "
            "of these four factors shows a low probability that the PHI has been compromised (164.402(2)); the "
            "burden of proof is on the covered entity or business associate (164.414(b))."
        ),
        "factors": factors,
        "conclusion": conclusion,
        "supports": supports,
        "to_confirm": [q.text for q in questions],
        "caveats": _caveats(grouped),
    }
    return RiskAssessment(data, tuple(questions))


def _applies(profile: OrgProfile) -> bool | None:
    if profile.entity_type is None:
        return None
    return profile.entity_type in (EntityType.COVERED_ENTITY, EntityType.BUSINESS_ASSOCIATE)


def _factor(number: str, evidence: list[str], finding: str, weighs: str) -> dict[str, Any]:
    return {"factor": f"164.402(2)({number})", "text": FACTOR_TEXT[number], "evidence": evidence,
            "finding": finding, "weighs": weighs}  # fmt: skip


def _nature(exposing: list[Finding], facts: ExposureFacts) -> dict[str, Any]:
    present = {c for f in exposing for c in f.data_categories}
    identifiers = sorted((SAFE_HARBOR[c], c.value) for c in present if c in SAFE_HARBOR)
    evidence = [f"{facts.people.describe()} individuals affected"]
    if identifiers:
        evidence.append("Safe Harbor identifiers: " + ", ".join(f"({letter}) {name}" for letter, name in identifiers))
    clinical = sorted(c.value for c in present & CLINICAL)
    context = sorted(c.value for c in present & HEALTH_CONTEXT)
    if clinical:
        evidence.append(f"clinical information: {data_words(clinical)} (high clinical sensitivity)")
    if context:
        evidence.append(f"health context: {data_words(context)}")
    if DataCategory.SEARCH_TERM in present:
        evidence.append("health searches: Kaiser and Blue Shield treated these as reportable PHI")
    if DataCategory.SSN in present:
        evidence.append("Social Security numbers: the highest financial risk")
    if DataCategory.DATE_OF_BIRTH in present:
        evidence.append("dates of birth raise the likelihood of re-identification")
    if DataCategory.MEDICAL_IMAGE in present:
        evidence.append("medical images: DICOM headers carry names, dates of birth and IDs")
    direct = [c for c in present if c in SAFE_HARBOR and c is not DataCategory.IP_ADDRESS]
    health = present & (CLINICAL | HEALTH_CONTEXT)
    if not exposing:
        return _factor("i", evidence, "No exposure of PHI was found by this scan.", UNDETERMINED)
    if direct and health:
        finding = "Direct identifiers together with health information: the data identifies the individuals."
        return _factor("i", evidence, finding, AGAINST)
    if health:
        finding = ("Health information with an IP address as the only identifier: an identifier (Safe Harbor O), "
                   "but IP plus an unauthenticated page alone is no longer PHI after AHA v. Becerra.")  # fmt: skip
        return _factor("i", evidence, finding, UNDETERMINED)
    return _factor("i", evidence, "Identifiers without health information found in the evidence.", UNDETERMINED)


def _recipient(grouped: dict[str, list[Finding]]) -> dict[str, Any]:
    evidence, weighs = [], UNDETERMINED
    tracking = grouped.get(TRACKING, [])
    if tracking:
        evidence.append("tracking recipients: " + join_words(vendors(tracking)))
        profiling = sorted({f.recipient.vendor or f.recipient.host for f in tracking
                            if f.recipient and f.recipient.category in PROFILING})  # fmt: skip
        if profiling:
            evidence.append(f"advertising or social platforms ({join_words(profiling)}) are not HIPAA-regulated and "
                            "use data for ads")  # fmt: skip
            weighs = AGAINST
        else:
            evidence.append("a vendor receiving PHI needs a business associate agreement (OCR bulletin)")
    if IMAGING_SERVER in grouped or PUBLIC_STORAGE in grouped:
        evidence.append(f"open server or bucket: the recipient is {ANYONE}; an unknown scanner weighs heavily")
        weighs = AGAINST
    finding = (
        "The recipients are third parties outside the organisation's control."
        if evidence
        else "No recipient identified."
    )
    return _factor("ii", evidence, finding, weighs)


def _acquired(grouped: dict[str, list[Finding]], questions: list[Question]) -> dict[str, Any]:
    evidence: list[str] = []
    weighs = UNDETERMINED
    tracking = grouped.get(TRACKING, [])
    sent = [f for f in tracking if f.kind != "session-replay-present"]
    if sent:
        evidence.append(f"{len(sent)} tracking finding(s) captured the data leaving the browser: a pixel firing is "
                        "a transmission, i.e. an acquisition by the vendor")  # fmt: skip
        weighs = AGAINST
    for group in (IMAGING_SERVER, PUBLIC_STORAGE):
        for target in sorted({f.target for f in grouped.get(group, [])}):
            evidence.append(f"{target}: open without authentication; retrieval by others cannot be ruled out "
                            "without access logs")  # fmt: skip
            questions.append(Question(
                f"access-logs:{target}",
                f"Do access logs of {target} cover the whole exposure window, and do they show retrievals by "
                "anyone other than your staff and this scan?",
                "164.402(2)(iii): logs showing no third-party retrieval are the main rebuttal evidence for an open "
                "server or bucket; without them the presumption of a breach stands.",
            ))  # fmt: skip
    if sent:
        finding = "Acquired: the tracking vendors received the data."
    elif evidence:
        finding = "Cannot be ruled out without access logs: the presumption stands until they are reviewed."
    else:
        finding = "No acquisition shown by this scan."
    return _factor("iii", evidence, finding, weighs)


def _mitigation(grouped: dict[str, list[Finding]], questions: list[Question]) -> dict[str, Any]:
    evidence = ["phileak sees the exposure as it was at scan time; closing it is shown by a re-scan "
                "(`phileak verify FINDING_ID`)"]  # fmt: skip
    questions.append(Question(
        "mitigation-closed", "When was each exposure closed (tracking code removed, server or bucket made private)?",
        "164.402(2)(iv): closing the exposure is part of mitigation.",
    ))  # fmt: skip
    if TRACKING in grouped:
        names = join_words(vendors(grouped[TRACKING]))
        evidence.append("a vendor's promise to remove or de-identify PHI does not count as mitigation (OCR bulletin)")
        questions.append(Question(
            "mitigation-vendor", f"Have the vendors ({names}) confirmed in writing that they deleted the data, and is "
            "there a business associate agreement with any of them?",
            "164.402(2)(iv): recipient assurances and deletion are mitigation; OCR requires a BAA for a vendor that "
            "receives PHI.",
        ))  # fmt: skip
    return _factor("iv", evidence, "Not established by the scan: to be confirmed.", UNDETERMINED)


def _conclusion(grouped: dict[str, list[Finding]], factors: list[dict[str, Any]]) -> tuple[str, str]:
    if not any(group in grouped for group in (TRACKING, IMAGING_SERVER, PUBLIC_STORAGE)):
        return "This scan found no impermissible disclosure of PHI to assess.", "no-breach-found"
    if factors[2]["weighs"] == AGAINST and factors[1]["weighs"] == AGAINST:
        return (
            "The evidence supports a breach: the data was acquired by third parties outside HIPAA, so a low "
            "probability of compromise cannot be shown. Notify unless the PHI was secured or an exclusion applies."
        ), "breach"
    return (
        "The evidence supports the presumption of a breach: notify unless access logs show no retrieval by "
        "anyone else and the exposure is closed, documented in this assessment."
    ), "breach-unless-rebutted"


def _caveats(grouped: dict[str, list[Finding]]) -> list[str]:
    outside = [
        f for f in grouped.get(TRACKING, [])
        if not page_contexts(f) & PHI_CONTEXTS
        and not {c.value for c in f.data_categories} - {DataCategory.IP_ADDRESS.value, DataCategory.URL.value,
                                                         DataCategory.SEARCH_TERM.value,
                                                         DataCategory.HEALTH_CONDITION.value}
    ]  # fmt: skip
    if not outside:
        return []
    return [
        f"{len(outside)} tracking finding(s) concern unauthenticated public pages with an IP address as the only "
        "identifier: AHA v. Becerra (N.D. Tex., 20 June 2024) vacated OCR's reading that this is PHI. They are left "
        "out of the HIPAA duties but can still matter under the FTC Act, HBNR and state laws (e.g. Washington's "
        "My Health My Data Act)."
    ]
