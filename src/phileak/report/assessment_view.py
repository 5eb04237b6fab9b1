"""The assessment and obligations of a report, read defensively into what the HTML report shows: duties with
their dates, questions to answer, the HIPAA four-factor assessment, the HHS portal fields, draft notices.

The blocks are plain JSON from the obligations engine; anything missing or shaped otherwise is left out here and
still shown in full, generically, in the report's appendix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

NOT_LEGAL_ADVICE = (
    "Not legal advice. phileak maps technical evidence to notification rules; every duty, deadline and threshold "
    "here must be checked by counsel against the law in force and the facts only the organisation knows."
)


@dataclass(frozen=True)
class Duty:
    regime: str
    duty: str
    recipient: str
    deadline: str | None  # as the engine wrote it: ISO date or date-time, None for "without delay"
    deadline_text: str
    citation: str
    reason: str
    status: str
    condition: str | None
    jurisdiction: str | None
    content_elements: list[tuple[str, str]]
    notice_title: str | None
    notice_text: str | None

    @property
    def title(self) -> str:
        return self.duty.replace("-", " ").capitalize()

    @property
    def to_confirm(self) -> bool:
        return self.status != "applies"


@dataclass(frozen=True)
class Factor:
    factor: str
    text: str
    evidence: list[str]
    finding: str
    weighs: str


@dataclass(frozen=True)
class RiskView:
    citation: str
    presumption: str
    factors: list[Factor]
    conclusion: str
    to_confirm: list[str]


@dataclass(frozen=True)
class PortalField:
    name: str
    value: str | None
    basis: str
    confirm: bool


@dataclass(frozen=True)
class AssessmentView:
    duties: list[Duty] = field(default_factory=list)
    questions: list[tuple[str, str]] = field(default_factory=list)  # (question, why)
    risk: RiskView | None = None
    portal: list[PortalField] = field(default_factory=list)
    portal_note: str | None = None
    not_applicable: list[dict[str, str]] = field(default_factory=list)
    disclaimer: str = NOT_LEGAL_ADVICE
    organisation: str | None = None
    discovery: str | None = None
    discovery_note: str | None = None

    @property
    def dated_duties(self) -> list[Duty]:
        return [duty for duty in self.duties if duty.deadline]


def assessment_view(assessment: Mapping[str, Any] | None, obligations: Sequence[Any] | None) -> AssessmentView:
    block = assessment if isinstance(assessment, Mapping) else {}
    profile = _mapping(block.get("profile"))
    return AssessmentView(
        duties=[_duty(item) for item in obligations or [] if isinstance(item, Mapping)],
        questions=[
            (str(q.get("question", "")), str(q.get("why", "")))
            for q in _list(block.get("questions"))
            if isinstance(q, Mapping) and q.get("question")
        ],
        risk=_risk(_mapping(block.get("risk_assessment"))),
        portal=_portal(_mapping(_mapping(block.get("hhs_portal")).get("fields"))),
        portal_note=_text(_mapping(block.get("hhs_portal")).get("note")),
        not_applicable=[
            {k: str(v) for k, v in item.items()}
            for item in _list(block.get("not_applicable"))
            if isinstance(item, Mapping)
        ],
        disclaimer=_text(block.get("disclaimer")) or NOT_LEGAL_ADVICE,
        organisation=_text(profile.get("name")),
        discovery=_text(profile.get("discovery")),
        discovery_note=_text(profile.get("discovery_assumption")),
    )


def deadline_text(deadline: str | None) -> str:
    """The deadline as a person reads it: "Tue 19 Jan 2027", "Mon 23 Nov 2026, 00:00 (UTC+01:00)", or "without
    undue delay" when there is none."""
    if not deadline:
        return "without undue delay (no fixed date)"
    try:
        if "T" in deadline:
            moment = datetime.fromisoformat(deadline)
            offset = moment.strftime("%z")
            zone = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
            return f"{moment:%a %d %b %Y, %H:%M} ({zone})"
        return f"{date.fromisoformat(deadline):%a %d %b %Y}"
    except ValueError:
        return deadline


def _duty(item: Mapping[str, Any]) -> Duty:
    deadline = _text(item.get("deadline"))
    notice = _mapping(item.get("notice_draft"))
    elements = [
        (str(e.get("ref", "")), str(e.get("text", "")))
        for e in _list(item.get("content_elements"))
        if isinstance(e, Mapping)
    ]
    return Duty(
        regime=str(item.get("regime", "")),
        duty=str(item.get("duty", "")),
        recipient=str(item.get("recipient", "")),
        deadline=deadline,
        deadline_text=deadline_text(deadline),
        citation=str(item.get("citation", "")),
        reason=str(item.get("reason", "")),
        status=str(item.get("status", "applies")),
        condition=_text(item.get("condition")),
        jurisdiction=_text(item.get("jurisdiction")),
        content_elements=elements,
        notice_title=_text(notice.get("title")),
        notice_text=_text(notice.get("text")),
    )


def _risk(data: Mapping[str, Any]) -> RiskView | None:
    factors = [
        Factor(
            factor=str(f.get("factor", "")),
            text=str(f.get("text", "")),
            evidence=[str(e) for e in _list(f.get("evidence"))],
            finding=str(f.get("finding", "")),
            weighs=str(f.get("weighs", "")),
        )
        for f in _list(data.get("factors"))
        if isinstance(f, Mapping)
    ]
    if not factors:
        return None
    return RiskView(
        citation=str(data.get("citation", "45 CFR 164.402(2)")),
        presumption=str(data.get("presumption", "")),
        factors=factors,
        conclusion=str(data.get("conclusion", "")),
        to_confirm=[str(q) for q in _list(data.get("to_confirm"))],
    )


def _portal(fields: Mapping[str, Any]) -> list[PortalField]:
    out = []
    for name, spec in fields.items():
        entry = _mapping(spec)
        value = entry.get("value")
        out.append(
            PortalField(
                name=str(name),
                value=None if value is None else str(value),
                basis=str(entry.get("basis", "")),
                confirm=bool(entry.get("confirm", False)),
            )
        )
    return out


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
