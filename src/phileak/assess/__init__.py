"""From findings to duties: the assessment block and the obligations of the contract.

`assess(report)` sizes the exposure (assess/sizing.py), routes the organisation profile through the rule files
(assess/rules/*.toml), pre-fills the HIPAA risk assessment and the HHS portal fields, and lists the questions
the user must answer where the evidence cannot. Not legal advice, and it says so."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from phileak.assess.facts import ExposureFacts
from phileak.assess.groups import IMAGING_SERVER, PUBLIC_STORAGE, TRACKING, exposure_type
from phileak.assess.hhs_portal import hhs_portal_fields
from phileak.assess.obligations import Evaluation, Obligation, evaluate_obligations, obligations_for
from phileak.assess.questions import Question
from phileak.assess.risk import hipaa_risk_assessment
from phileak.model import Finding, ScanReport, summarise

DISCLAIMER = (
    "Not legal advice. phileak maps technical evidence to notification rules from its reference "
    "(shared/reference/regulations.md); deadlines, thresholds and drafts must be checked by counsel against the "
    "law in force and the facts only the organisation knows. Items marked 'to-confirm' or 'unverified' are not "
    "settled."
)
REFERENCE = "shared/reference/regulations.md"


def assess(report: ScanReport, exposure: object | None = None) -> dict[str, Any]:
    """{"assessment": {...}, "obligations": [...]} for a scan; `exposure` defaults to size_exposure(report)."""
    sized = exposure if exposure is not None else _size(report)
    organisation = report.scan.profile.get("organisation") if isinstance(report.scan.profile, Mapping) else None
    evaluation = evaluate_obligations(organisation, report.findings, sized)
    facts, profile = evaluation.facts, evaluation.profile
    hipaa_relevant = _hipaa_relevant(evaluation)
    risk = portal = None
    if hipaa_relevant:
        assessed = hipaa_risk_assessment(report.findings, facts, profile)
        fields = hhs_portal_fields(report.findings, facts, profile)
        risk, portal = assessed.data, fields.data
        evaluation.questions.extend([*assessed.questions, *fields.questions])
    evaluation.questions.extend(_evidence_questions(report.findings, facts))
    assessment: dict[str, Any] = {
        **_contract_fields(facts, report.findings),
        "disclaimer": DISCLAIMER,
        "reference": REFERENCE,
        "profile": profile.summary(),
        "exposure": _exposure_dict(sized),
        "risk_assessment": risk,
        "hhs_portal": portal,
        "questions": evaluation.questions.to_dicts(),
        "not_applicable": evaluation.not_applicable,
    }
    return {"assessment": assessment, "obligations": [o.to_contract() for o in evaluation.obligations]}


def _size(report: ScanReport) -> object:
    """The sizing engine's Exposure; until it exists, a floor: the largest count one finding proves."""
    try:
        sizing = importlib.import_module("phileak.assess.sizing")
    except ModuleNotFoundError as exc:
        if exc.name != "phileak.assess.sizing":
            raise
        return _floor_exposure(report)
    return sizing.size_exposure(report)


def _floor_exposure(report: ScanReport) -> dict[str, Any]:
    floor = summarise(report.findings)["affected_individuals"]
    return {
        "affected_individuals": None,
        "estimate": {"low": floor, "high": None},
        "data_categories": sorted({c.value for f in report.findings for c in f.data_categories}),
        "recipients": [],
        "kinds": sorted({f.kind for f in report.findings}),
        "method": "floor: the largest count one finding proves (no cross-probe deduplication)",
    }


def _contract_fields(facts: ExposureFacts, findings: list[Finding]) -> dict[str, Any]:
    people = facts.people
    estimate = {"low": people.low, "high": people.high} if people.low is not None and people.high is not None else None
    categories = list(facts.data_categories) or sorted({c.value for f in findings for c in f.data_categories})
    # Only a floor known: the contract's single number is that floor, as before; a floor of 0 says nothing, and
    # the contract gives null when the count is unknown.
    floor = people.low if people.exact is None and people.high is None and people.low else None
    count = people.exact if people.exact is not None else floor
    return {"affected_individuals": count, "estimate": estimate, "data_categories": categories}


def _exposure_dict(exposure: object) -> Any:
    dump = getattr(exposure, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    return exposure if isinstance(exposure, Mapping) else None


def _hipaa_relevant(evaluation: Evaluation) -> bool:
    entity = evaluation.profile.entity_type
    return entity is None or entity.value in ("covered-entity", "business-associate")


def _evidence_questions(findings: list[Finding], facts: ExposureFacts) -> list[Question]:
    questions = []
    if any(exposure_type(f.kind) == TRACKING for f in findings):
        questions.append(Question(
            "tracking-audience", "How many people used the pages where tracking code sent data, while it was there "
            "(server or analytics logs for the exposure window)?",
            "phileak proves a tracking leak with test identities; the people affected are every patient who used "
            f"those pages. The count used here ({facts.people.describe()}) covers only what the scan saw.",
        ))  # fmt: skip
    for finding in findings:
        if exposure_type(finding.kind) in (IMAGING_SERVER, PUBLIC_STORAGE) and not finding.data_categories:
            questions.append(Question(
                f"contents:{finding.target}", f"What does {finding.target} hold? phileak did not identify its "
                "contents (not read, or not inspected).",
                "Whether the open server or bucket holds personal or health data decides every duty for it.",
            ))  # fmt: skip
    return questions


__all__ = ["DISCLAIMER", "Obligation", "assess", "obligations_for"]
