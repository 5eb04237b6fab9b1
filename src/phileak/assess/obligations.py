"""The obligations engine: rule files x organisation profile x findings x exposure -> duties with dates.

A rule applies when the entity type and a jurisdiction fit, a finding meets one of its matchers, its threshold
is met and its condition holds. What cannot be settled from the evidence (a count, a condition, the entity type)
is never guessed: the duty is listed "to-confirm" with its question, or left out with the reason and the
question that would decide it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from phileak.assess.deadlines import Anchor, Due, compute
from phileak.assess.facts import ExposureFacts, exposure_facts
from phileak.assess.jurisdictions import matches
from phileak.assess.matching import finding_matches, matching_findings
from phileak.assess.notices import NoticeContext, draft_notice
from phileak.assess.profile import OrgProfile, read_profile
from phileak.assess.questions import Questions
from phileak.assess.rules_model import Applies, RegimeRules, Rule, load_rules
from phileak.assess.thresholds import Verdict, evaluate
from phileak.model import Finding

Status = Literal["applies", "to-confirm"]


class Obligation(BaseModel):
    """One duty. The first six fields are the public contract; the rest are phileak's extras."""

    model_config = ConfigDict(frozen=True)

    regime: str
    duty: str
    recipient: str
    deadline: str | None
    citation: str
    reason: str
    status: Status = "applies"
    condition: str | None = None
    deadline_basis: str = ""
    url: str | None = None
    jurisdiction: str | None = None
    content_elements: list[dict[str, str]] = Field(default_factory=list)
    notice_draft: dict[str, Any] | None = None
    findings: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    unverified: list[str] = Field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.regime}/{self.duty}"

    def to_contract(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        return {k: v for k, v in data.items() if v not in (None, [], "") or k == "deadline"}


@dataclass
class Evaluation:
    profile: OrgProfile
    facts: ExposureFacts
    obligations: list[Obligation] = field(default_factory=list)
    not_applicable: list[dict[str, str]] = field(default_factory=list)
    questions: Questions = field(default_factory=Questions)


def obligations_for(profile: Mapping[str, Any] | None, findings: list[Finding], exposure: object) -> list[Obligation]:
    """Every duty the findings trigger for this organisation, soonest deadline first."""
    return evaluate_obligations(profile, findings, exposure).obligations


def evaluate_obligations(
    profile: Mapping[str, Any] | None,
    findings: Sequence[Finding],
    exposure: object,
    *,
    regimes: tuple[RegimeRules, ...] | None = None,
) -> Evaluation:
    org = read_profile(profile)
    result = Evaluation(profile=org, facts=exposure_facts(exposure), questions=Questions(org.questions))
    pending: list[tuple[RegimeRules, Rule, list[Finding], Verdict]] = []
    for regime in regimes if regimes is not None else load_rules():
        for rule in regime.rules:
            for matched, verdict in _instances(regime, rule, findings, result):
                pending.append((regime, rule, matched, verdict))
    # Duties dated from another duty are built last, once the one they follow has its date.
    pending.sort(key=lambda item: bool(item[1].deadline.after))
    for regime, rule, matched, verdict in pending:
        result.obligations.append(_obligation(regime, rule, matched, verdict, result))
    result.obligations.sort(key=_soonest_first)
    return result


def _instances(
    regime: RegimeRules, rule: Rule, findings: Sequence[Finding], result: Evaluation
) -> list[tuple[list[Finding], Verdict]]:
    org = result.profile
    applies = regime.applies_to(rule)
    skip = _not_for_this_organisation(applies, org)
    if skip is not None:
        if skip:
            result.not_applicable.append(_skipped(regime, rule, skip))
        return []
    matched = matching_findings(applies.findings, findings, org.hds_certified_hosts)
    if not matched:
        result.not_applicable.append(_skipped(regime, rule, "no finding of the kinds and data this duty concerns"))
        return []
    instances = []
    for verdict in evaluate(rule.threshold, result.facts, org):
        if verdict.question is not None:
            result.questions.extend([verdict.question])
        if verdict.met is False:
            where = f" ({verdict.jurisdiction})" if verdict.jurisdiction else ""
            result.not_applicable.append(_skipped(regime, rule, f"threshold not met{where}: {verdict.reason}"))
            continue
        instances.append((matched, verdict))
    return instances


def _not_for_this_organisation(applies: Applies, org: OrgProfile) -> str | None:
    """None when the rule concerns this organisation; "" when it plainly does not (another entity type or
    jurisdiction: not worth listing); a reason when the profile cannot tell."""
    if applies.entity_types:
        if org.entity_type is None:
            return "the entity type is unknown (see the questions)"
        if org.entity_type not in applies.entity_types:
            return ""
    if applies.jurisdictions:
        if not org.jurisdictions:
            return "no jurisdiction in the profile (see the questions)"
        if not _relevant_jurisdictions(applies, org):
            return ""
    return None


def _relevant_jurisdictions(applies: Applies, org: OrgProfile) -> list[str]:
    return [
        code for code in org.jurisdictions
        if matches(code, applies.jurisdictions) and not matches(code, applies.jurisdictions_except)
    ]  # fmt: skip


def _obligation(
    regime: RegimeRules, rule: Rule, matched: list[Finding], verdict: Verdict, result: Evaluation
) -> Obligation:
    org = result.profile
    applies = regime.applies_to(rule)
    status: Status = "to-confirm" if verdict.met is None else "applies"
    condition_text, condition_open = _condition(rule, matched, org)
    if condition_open:
        status = "to-confirm"
        result.questions.ask(
            f"condition:{regime.regime}/{rule.duty}", f"Confirm whether {rule.condition}.",
            f"{regime.regime} {rule.duty} ({rule.citation}), and any duty with the same condition, applies only then.",
        )  # fmt: skip
    for number, text in enumerate(rule.questions, start=1):
        result.questions.ask(f"{regime.regime}/{rule.duty}/{number}", text, f"{regime.regime} {rule.citation}")
    due = compute(rule.deadline, org.discovery, _anchor(rule, result.obligations))
    reason = _reason(applies, rule, matched, verdict, condition_text, due, org)
    obligation = Obligation(
        regime=regime.regime,
        duty=rule.duty,
        recipient=_recipient(rule, verdict),
        deadline=due.value,
        citation=rule.citation,
        reason=reason,
        status=status,
        condition=rule.condition if condition_open else None,
        deadline_basis=due.basis,
        url=rule.url,
        jurisdiction=verdict.jurisdiction,
        content_elements=[{"ref": e.ref, "text": e.text} for e in rule.content_elements],
        findings=[f.id for f in matched],
        notes=list(rule.notes),
        unverified=list(rule.unverified),
    )
    if rule.notice:
        context = NoticeContext(profile=org, facts=result.facts, findings=matched, obligation_deadline=due.value,
                                recipient=obligation.recipient, regime=regime.regime, duty=rule.duty)  # fmt: skip
        obligation = obligation.model_copy(update={"notice_draft": draft_notice(rule, context)})
    return obligation


def _condition(rule: Rule, matched: list[Finding], org: OrgProfile) -> tuple[str, bool]:
    """The sentence about the rule's condition, and whether it is still open."""
    if rule.condition is None:
        return "", False
    met_by = rule.condition_met_by
    if met_by is not None:
        entity_ok = not met_by.entity_types or org.entity_type in met_by.entity_types
        findings_ok = not met_by.findings or any(
            finding_matches(m, f, org.hds_certified_hosts) for m in met_by.findings for f in matched
        )
        if entity_ok and findings_ok:
            return f"Condition ({rule.condition}) met: {met_by.reason}.", False
    return f"Applies only if {rule.condition}: to confirm.", True


def _anchor(rule: Rule, built: list[Obligation]) -> Anchor | None:
    for key in rule.deadline.after:
        candidates = [o for o in built if o.key == key and o.deadline is not None]
        candidates.sort(key=lambda o: o.status != "applies")
        if candidates:
            return Anchor(label=f"the {key} notice", day=_date_of(candidates[0].deadline or ""))
    return None


def _date_of(value: str) -> date:
    return date.fromisoformat(value[:10])


def _recipient(rule: Rule, verdict: Verdict) -> str:
    if rule.threshold is not None and rule.threshold.measure == "residents-of-each-state" and verdict.jurisdiction:
        return f"{rule.recipient} ({verdict.jurisdiction})"
    return rule.recipient


def _reason(
    applies: Applies, rule: Rule, matched: list[Finding], verdict: Verdict, condition: str, due: Due,
    org: OrgProfile,
) -> str:  # fmt: skip
    who = []
    if applies.entity_types and org.entity_type is not None:
        who.append(f"entity type {org.entity_type.value}")
    relevant = _relevant_jurisdictions(applies, org) if applies.jurisdictions else []
    if relevant:
        who.append("jurisdiction " + ", ".join(relevant))
    kinds = sorted({f.kind for f in matched})
    parts = [
        f"{rule.summary}",
        f"Applies to {org.display_name}" + (f" ({'; '.join(who)})" if who else "") + f": {len(matched)} finding(s) "
        f"of kind {', '.join(kinds)}.",
    ]
    if verdict.reason:
        parts.append(f"Threshold: {verdict.reason}.")
    if condition:
        parts.append(condition)
    parts.append(f"Deadline: {due.basis}.")
    return " ".join(parts)


def _skipped(regime: RegimeRules, rule: Rule, reason: str) -> dict[str, str]:
    return {"regime": regime.regime, "duty": rule.duty, "citation": rule.citation, "reason": reason}


def _soonest_first(obligation: Obligation) -> tuple[int, str]:
    return (0, obligation.deadline) if obligation.deadline else (1, "")
