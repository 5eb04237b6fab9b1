"""The HHS OCR breach portal fields, pre-filled from the profile and the evidence (reference §3).

Each field carries its value (None when only the organisation knows it), the basis for it, and whether the user
must confirm it. Type and Location may be comma-joined when several exposures are reported together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from phileak.assess.facts import ExposureFacts
from phileak.assess.groups import IMAGING_SERVER, PUBLIC_STORAGE, TRACKING
from phileak.assess.profile import OrgProfile
from phileak.assess.questions import Question
from phileak.assess.thresholds import affected_total
from phileak.assess.wording import by_type
from phileak.model import Finding
from phileak.plan import EntityType

FILING_FORM = "https://ocrnotifications.hhs.gov/"
ENTITY_TYPES = ("Healthcare Provider", "Health Plan", "Healthcare Clearinghouse", "Business Associate")
UNAUTHORIZED = "Unauthorized Access/Disclosure"
NETWORK_SERVER = "Network Server"

# Per exposure type: (Type of Breach, Location of Breached Information, basis).
EXPOSURE_FIELDS = {
    TRACKING: (
        UNAUTHORIZED, NETWORK_SERVER,
        "tracking leak: Kaiser's tracking breach (13.4M, 2024) was filed as Unauthorized Access/Disclosure, "
        "Network Server",
    ),
    IMAGING_SERVER: (
        UNAUTHORIZED, NETWORK_SERVER,
        "open imaging server: the PACS answered strangers without authentication; Hacking/IT Incident fits instead "
        "if access logs show an intrusion",
    ),
    PUBLIC_STORAGE: (
        UNAUTHORIZED, NETWORK_SERVER,
        "public bucket: cloud storage open to anyone; 'Other' is the alternative location if you describe it as "
        "cloud storage; Hacking/IT Incident fits if access logs show an intrusion",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class PortalFields:
    data: dict[str, Any]
    questions: tuple[Question, ...]


def hhs_portal_fields(findings: Sequence[Finding], facts: ExposureFacts, profile: OrgProfile) -> PortalFields:
    questions: list[Question] = []
    grouped = by_type(findings)
    per_exposure = [
        {"exposure": group, "type_of_breach": kind, "location": location, "basis": basis}
        for group, (kind, location, basis) in EXPOSURE_FIELDS.items()
        if group in grouped
    ]
    fields = {
        "Name of Covered Entity": _field(profile.name, "the plan's organisation name", profile.name is None),
        "State": _state(profile, questions),
        "Covered Entity Type": _entity_type(profile, questions),
        "Individuals Affected": _individuals(facts, profile),
        "Breach Affecting": _affecting(facts, profile),
        "Type of Breach": _joined([p["type_of_breach"] for p in per_exposure], per_exposure),
        "Location of Breached Information": _joined([p["location"] for p in per_exposure], per_exposure),
        "Business Associate Present": _business_associate(profile, questions),
        "Report Type": _field("Initial", "first report of this breach (an addendum updates it)", False),
        "Breach Submission Date": _field(None, "set when the report is submitted", False),
    }
    data = {
        "applies": profile.entity_type in (EntityType.COVERED_ENTITY, EntityType.BUSINESS_ASSOCIATE)
        if profile.entity_type
        else None,
        "filing_form": FILING_FORM,
        "fields": fields,
        "per_exposure": per_exposure,
        "note": "Breaches of 500 or more individuals are published on the portal's public list.",
    }
    return PortalFields(data, tuple(questions))


def _field(value: Any, basis: str, confirm: bool) -> dict[str, Any]:
    return {"value": value, "basis": basis, "confirm": confirm}


def _state(profile: OrgProfile, questions: list[Question]) -> dict[str, Any]:
    states = [code.removeprefix("US-") for code in profile.jurisdictions if code.startswith("US-")]
    if len(states) == 1:
        return _field(states[0], "the only US state in the plan's jurisdictions", False)
    questions.append(Question("hhs-state", "Which State goes on the HHS breach report (the covered entity's)?",
                              "The plan lists " + (", ".join(states) or "no US state") + "."))  # fmt: skip
    return _field(None, "several or no US states in the plan: the covered entity's own State", True)


def _entity_type(profile: OrgProfile, questions: list[Question]) -> dict[str, Any]:
    if profile.entity_type is EntityType.BUSINESS_ASSOCIATE:
        return _field("Business Associate", "entity_type business-associate", False)
    questions.append(Question(
        "hhs-entity-type", "For the HHS report, is the covered entity a Healthcare Provider, a Health Plan or a "
        "Healthcare Clearinghouse?", "The portal's Covered Entity Type; the plan says only 'covered-entity'.",
    ))  # fmt: skip
    return _field(None, "one of " + ", ".join(ENTITY_TYPES[:3]) + ": the plan does not say which", True)


def _individuals(facts: ExposureFacts, profile: OrgProfile) -> dict[str, Any]:
    people, note = affected_total(facts, profile)
    if people.exact is not None:
        if note:
            return _field(people.exact, f"the residents the plan counts per State{note}", True)
        return _field(people.exact, "distinct individuals counted across the findings", False)
    if people.known:
        return _field(None, f"estimated {people.low}-{people.high} (95% interval){note}: report an exact count",
                      True)  # fmt: skip
    if people.low:
        return _field(None, f"at least {people.low}{note}: report an exact count", True)
    return _field(None, "not counted by the scan: count the people from your records and logs", True)


def _affecting(facts: ExposureFacts, profile: OrgProfile) -> dict[str, Any]:
    people, note = affected_total(facts, profile)
    over = people.compare(">=", 500)
    if over is None:
        return _field(None, "500 or more vs fewer than 500: depends on the count", True)
    value = "500 or More Individuals" if over else "Fewer Than 500 Individuals"
    return _field(value, f"{people.describe()} individuals{note}", False)


def _joined(values: list[str], per_exposure: list[dict[str, Any]]) -> dict[str, Any]:
    if not values:
        return _field(None, "no tracking leak, open server or public bucket among the findings", True)
    joined = ", ".join(dict.fromkeys(values))
    basis = "; ".join(p["basis"] for p in per_exposure)
    return _field(joined, basis, True)


def _business_associate(profile: OrgProfile, questions: list[Question]) -> dict[str, Any]:
    if profile.entity_type is EntityType.BUSINESS_ASSOCIATE:
        return _field("Yes", "the reporting organisation is a business associate", False)
    questions.append(Question(
        "hhs-business-associate", "Was a business associate involved (a vendor operating the site, the imaging "
        "server or the storage)?", "The portal's Business Associate Present (Yes/No).",
    ))  # fmt: skip
    return _field("No", "no business associate known to the plan: confirm", True)
