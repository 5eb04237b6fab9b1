"""Draft notice skeletons: each content element a rule requires, filled from the findings where phileak knows
the answer and left as "[TO COMPLETE: ...]" where only the organisation does. Always marked DRAFT: a starting
point for counsel, not legal advice and not a notice to send as is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from phileak.assess.facts import ExposureFacts
from phileak.assess.groups import IMAGING_SERVER, PUBLIC_STORAGE, TRACKING
from phileak.assess.profile import OrgProfile
from phileak.assess.rules_model import ContentElement, Fill, Rule
from phileak.assess.thresholds import affected_total
from phileak.assess.wording import (
    by_type,
    categories_of,
    data_words,
    exposure_clauses,
    join_words,
    recipient_words,
)
from phileak.model import DataCategory, Finding

DRAFT_MARKING = (
    "DRAFT - not legal advice. Prepared by phileak from scan evidence; complete every [TO COMPLETE] part and "
    "review with counsel before sending."
)
TO_COMPLETE = "[TO COMPLETE: {what}]"


@dataclass(frozen=True)
class NoticeContext:
    profile: OrgProfile
    facts: ExposureFacts
    findings: Sequence[Finding]
    obligation_deadline: str | None
    recipient: str
    regime: str
    duty: str


def draft_notice(rule: Rule, context: NoticeContext) -> dict[str, Any]:
    sections = [_section(e, context) for e in rule.content_elements if e.fill is not Fill.FORM]
    title = rule.notice_title or f"{context.regime} {context.duty.replace('-', ' ')}"
    data: dict[str, Any] = {
        "marking": DRAFT_MARKING,
        "title": title,
        "to": context.recipient,
        "send_by": context.obligation_deadline,
        "citation": rule.citation,
        "form": [f"{e.text} ({e.ref})" for e in rule.content_elements if e.fill is Fill.FORM],
        "sections": sections,
    }
    data["text"] = _render(data)
    return data


def _section(element: ContentElement, context: NoticeContext) -> dict[str, Any]:
    filler = _FILLERS.get(element.fill) if element.fill is not None else None
    text = filler(context) if filler is not None else TO_COMPLETE.format(what=element.text)
    return {"ref": element.ref, "element": element.text, "text": text, "complete": "[TO COMPLETE" not in text}


def _render(data: dict[str, Any]) -> str:
    lines = [data["marking"], "", data["title"], f"To: {data['to']}"]
    if data["send_by"]:
        lines.append(f"Send by: {data['send_by']}")
    lines += [f"Form: {requirement}" for requirement in data["form"]]
    for section in data["sections"]:
        lines += ["", f"{section['element']} ({section['ref']})", section["text"]]
    return "\n".join(lines) + "\n"


def _what_happened(ctx: NoticeContext) -> str:
    org = ctx.profile.display_name
    clauses = exposure_clauses(ctx.findings)
    discovery = ctx.profile.discovery
    when = f"On {discovery.day.isoformat()}" if discovery else "[TO COMPLETE: on <discovery date>]"
    what = "; ".join(clauses) if clauses else "[TO COMPLETE: what was exposed]"
    return (
        f"{when}, {org} discovered that {what}. "
        "[TO COMPLETE: the date the breach began (when the tracking code was added, the server opened or the "
        "storage made public) and the date it was stopped.]"
    )


def _data_types(ctx: NoticeContext) -> str:
    categories = categories_of(ctx.findings)
    if not categories:
        return TO_COMPLETE.format(what="the types of information involved (phileak did not identify them)")
    return f"The information involved: {data_words(categories)}."


def _third_parties(ctx: NoticeContext) -> str:
    who = recipient_words(ctx.findings)
    if not who:
        return TO_COMPLETE.format(what="who received or could access the data")
    return f"Received by, or open to: {join_words(who)}."


def _numbers(ctx: NoticeContext) -> str:
    count = _people_count(ctx)
    records = _records(ctx.findings)
    records_text = f"{records} stored objects or files" if records else "[TO COMPLETE: number of records]"
    tracking = (
        " For tracking leaks the people concerned are everyone who used the affected pages while the code was "
        "there: [TO COMPLETE from server or analytics logs]."
        if TRACKING in by_type(ctx.findings)
        else ""
    )
    return f"{count}; {records_text}.{tracking}"


def _people_count(ctx: NoticeContext) -> str:
    """A State's notice counts that State's residents (Tex. Bus. & Com. Code 521.053(i): the number of Texans);
    any other counts everyone affected, the plan's residents per State being a floor on that."""
    people, _ = affected_total(ctx.facts, ctx.profile)
    if ctx.regime.startswith("US-"):
        residents = ctx.profile.residents.get(ctx.regime)
        if residents is not None:
            return f"{residents} residents of {ctx.regime}"
        total = f" ({people.describe()} people affected in total)" if people.exact is not None or people.low else ""
        return f"[TO COMPLETE: number of residents of {ctx.regime} affected{total}]"
    if people.known:
        return f"{people.describe()} people"
    if people.low:
        return f"at least {people.low} people [TO COMPLETE: the number of people]"
    return "[TO COMPLETE: number of people]"


def _records(findings: Sequence[Finding]) -> int:
    total = 0
    for finding in findings:
        objects = (finding.evidence.model_extra or {}).get("objects")
        if isinstance(objects, int) and finding.kind in ("bucket-public-list", "bucket-public-read"):
            total = max(total, objects)
    return total


def _steps(ctx: NoticeContext) -> str:
    categories = set(categories_of(ctx.findings))
    advice = []
    if DataCategory.SSN.value in categories or DataCategory.ACCOUNT_NUMBER.value in categories:
        advice.append("watch account statements and consider a fraud alert or credit freeze")
    if categories & {DataCategory.EMAIL.value, DataCategory.PHONE.value}:
        advice.append("be wary of messages that refer to their care and ask for information or payment")
    if TRACKING in by_type(ctx.findings):
        advice.append("review the privacy and advertising settings of their accounts with the vendors named")
    suggestion = f" Suggestions from the data involved: {'; '.join(advice)}." if advice else ""
    return TO_COMPLETE.format(what="steps individuals should take") + suggestion


def _what_we_are_doing(ctx: NoticeContext) -> str:
    measures = sorted({f.remediation.strip() for f in ctx.findings if f.remediation.strip()})
    if not measures:
        return TO_COMPLETE.format(what="measures taken and planned")
    listed = " ".join(f"- {m}" for m in measures[:8])
    return (
        "[TO COMPLETE: what has been done and when; which of these measures are done.] Measures phileak "
        f"recommends from the evidence: {listed}"
    )


def _likely_consequences(ctx: NoticeContext) -> str:
    grouped = by_type(ctx.findings)
    categories = set(categories_of(ctx.findings))
    out = []
    if TRACKING in grouped:
        out.append("the vendors can link health information to the people concerned and use it for profiling and "
                   "advertising")  # fmt: skip
    if IMAGING_SERVER in grouped or PUBLIC_STORAGE in grouped:
        out.append("anyone could have copied the records: disclosure of health information to unknown persons")
    if DataCategory.SSN.value in categories or DataCategory.FR_NIR.value in categories:
        out.append("identity theft and fraud")
    draft = "; ".join(out) if out else "[TO COMPLETE]"
    return f"Likely consequences (draft, to assess): {draft}."


def _contact(_: NoticeContext) -> str:
    return TO_COMPLETE.format(what="a toll-free telephone number, an e-mail address, a web site or a postal address")


def _dpo(_: NoticeContext) -> str:
    return TO_COMPLETE.format(what="name and contact details of the data protection officer or other contact point")


def _law_enforcement(_: NoticeContext) -> str:
    return TO_COMPLETE.format(what="whether law enforcement is involved or asked for the notice to be delayed")


def _individuals(ctx: NoticeContext) -> str:
    hashes = {h for f in ctx.findings for h in f.evidence.identity_hashes}
    seen = f" (phileak saw {len(hashes)} distinct keyed identities)" if hashes else ""
    return TO_COMPLETE.format(
        what=f"the list of affected individuals from your own records{seen}; phileak stores no identity in clear"
    )


def _portal(_: NoticeContext) -> str:
    return "See assessment.hhs_portal for the pre-filled portal fields."


_FILLERS: dict[Fill, Callable[[NoticeContext], str]] = {
    Fill.WHAT_HAPPENED: _what_happened,
    Fill.DATA_TYPES: _data_types,
    Fill.THIRD_PARTIES: _third_parties,
    Fill.NUMBERS: _numbers,
    Fill.STEPS_FOR_INDIVIDUALS: _steps,
    Fill.WHAT_WE_ARE_DOING: _what_we_are_doing,
    Fill.CONTACT: _contact,
    Fill.DPO_CONTACT: _dpo,
    Fill.LIKELY_CONSEQUENCES: _likely_consequences,
    Fill.LAW_ENFORCEMENT: _law_enforcement,
    Fill.INDIVIDUALS_LIST: _individuals,
    Fill.PORTAL_FIELDS: _portal,
}
