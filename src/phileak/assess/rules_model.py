"""The schema of assess/rules/*.toml, validated on load: one file per regime, one [[rule]] per duty.

Every value a rule carries (deadline, threshold, citation, content element) comes from
shared/reference/regulations.md; what that reference marks "not verified" goes into `unverified`."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from phileak.assess.groups import CATEGORY_GROUPS, KIND_GROUPS, KNOWN_CATEGORIES, KNOWN_KINDS
from phileak.errors import InputError
from phileak.plan import EntityType

REGIMES: tuple[str, ...] = (
    "HIPAA", "FTC-HBNR", "GDPR", "FR-CNIL", "FR-HEALTH-INCIDENT", "FR-HDS", "US-CA", "US-NY", "US-TX", "US-WA",
)  # fmt: skip
PAGE_CONTEXTS = frozenset({"authenticated", "identity-collected", "app", "condition-page", "public-page"})
HOLIDAY_CALENDARS = frozenset({"US", "FR"})
_JURISDICTION_PATTERN = re.compile(r"^(US|EU)(-([A-Z]{2}|\*))?$")

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeadlineKind(StrEnum):
    CALENDAR_DAYS = "calendar-days"
    BUSINESS_DAYS = "business-days"
    HOURS = "hours"  # from the discovery instant; the deadline is a date-time with offset
    WITHOUT_DELAY = "without-delay"  # the law sets no period: "sans délai", "without undue delay"
    AFTER_YEAR_END = "after-year-end"  # N days after the end of the calendar year of discovery (annual logs)
    NONE = "none"  # a duty with no date in the reference (hosting legality, conduct, documentation)


class Deadline(_Strict):
    kind: DeadlineKind
    amount: int | None = Field(default=None, gt=0)
    # Anchors "REGIME/duty": the period runs from the first of these duties that applies, not from discovery.
    after: list[str] = Field(default_factory=list)
    holidays: str | None = None  # calendar of public holidays for business days ("US" federal, "FR")
    text: Text  # the period as the reference states it
    effective_from: date | None = None  # the period applies to discoveries on or after this date

    @model_validator(mode="after")
    def _consistent(self) -> Deadline:
        counted = self.kind in (
            DeadlineKind.CALENDAR_DAYS, DeadlineKind.BUSINESS_DAYS, DeadlineKind.HOURS, DeadlineKind.AFTER_YEAR_END,
        )  # fmt: skip
        if counted and self.amount is None:
            raise ValueError(f"a '{self.kind}' deadline needs an amount")
        if not counted and self.amount is not None:
            raise ValueError(f"a '{self.kind}' deadline takes no amount")
        if (self.kind is DeadlineKind.BUSINESS_DAYS) != (self.holidays is not None):
            raise ValueError("business days need a holiday calendar (holidays = 'US' or 'FR'), other kinds none")
        if self.holidays is not None and self.holidays not in HOLIDAY_CALENDARS:
            raise ValueError(f"unknown holiday calendar {self.holidays!r}; known: {sorted(HOLIDAY_CALENDARS)}")
        if self.after and self.kind not in (DeadlineKind.CALENDAR_DAYS, DeadlineKind.BUSINESS_DAYS):
            raise ValueError("only calendar-day and business-day deadlines can run from another duty")
        for anchor in self.after:
            regime, _, duty = anchor.partition("/")
            if regime not in REGIMES or not duty:
                raise ValueError(f"anchor {anchor!r} is not 'REGIME/duty'")
        return self


class Threshold(_Strict):
    """A count condition. `individuals`: everyone affected; `residents`: those of `jurisdiction`;
    `residents-of-each-state`: applied to each US state separately (one obligation per state that meets it)."""

    measure: Literal["individuals", "residents", "residents-of-each-state"]
    op: Literal[">=", ">", "<", "<="]
    value: int = Field(ge=0)
    jurisdiction: str | None = None
    text: Text  # the threshold as the reference states it

    @model_validator(mode="after")
    def _jurisdiction_when_needed(self) -> Threshold:
        if (self.measure == "residents") != (self.jurisdiction is not None):
            raise ValueError("a 'residents' threshold needs a jurisdiction; other measures take none")
        return self


class FindingMatch(_Strict):
    """Which findings trigger a rule: kind, and optionally page context, categories, recipient, hosting."""

    kinds: list[str] = Field(min_length=1)
    page_contexts: list[str] = Field(default_factory=list)
    # Each inner list is "any of"; every inner list must be satisfied by the finding's own categories.
    categories_all_of: list[list[str]] = Field(default_factory=list)
    recipient_categories: list[str] = Field(default_factory=list)
    # Storage or imaging host absent from the profile's hds_certified_hosts (France).
    hosted_outside_hds: bool = False

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: list[str]) -> list[str]:
        for kind in kinds:
            known = kind[1:] in KIND_GROUPS if kind.startswith("@") else kind in KNOWN_KINDS
            if not known:
                raise ValueError(f"unknown finding kind or group {kind!r}")
        return kinds

    @field_validator("page_contexts")
    @classmethod
    def _known_contexts(cls, contexts: list[str]) -> list[str]:
        unknown = set(contexts) - PAGE_CONTEXTS
        if unknown:
            raise ValueError(f"unknown page context(s) {sorted(unknown)}; known: {sorted(PAGE_CONTEXTS)}")
        return contexts

    @field_validator("categories_all_of")
    @classmethod
    def _known_categories(cls, groups: list[list[str]]) -> list[list[str]]:
        for group in groups:
            if not group:
                raise ValueError("an empty category group can never be met")
            for name in group:
                known = name[1:] in CATEGORY_GROUPS if name.startswith("@") else name in KNOWN_CATEGORIES
                if not known:
                    raise ValueError(f"unknown data category or group {name!r}")
        return groups


class Applies(_Strict):
    """Who and what a rule concerns. Empty entity_types / jurisdictions: any."""

    entity_types: list[EntityType] = Field(default_factory=list)
    jurisdictions: list[str] = Field(default_factory=list)
    jurisdictions_except: list[str] = Field(default_factory=list)
    findings: list[FindingMatch] = Field(default_factory=list)

    @field_validator("jurisdictions", "jurisdictions_except")
    @classmethod
    def _patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if not _JURISDICTION_PATTERN.match(pattern):
                raise ValueError(f"jurisdiction pattern {pattern!r} is not US, US-XX, US-*, EU, EU-XX or EU-*")
        return patterns


class AppliesOverride(_Strict):
    """A rule's own `applies`: each field given replaces the regime's default."""

    entity_types: list[EntityType] | None = None
    jurisdictions: list[str] | None = None
    jurisdictions_except: list[str] | None = None
    findings: list[FindingMatch] | None = None

    def over(self, default: Applies) -> Applies:
        update = {k: v for k, v in self.model_dump(exclude_none=True).items()}
        return Applies.model_validate({**default.model_dump(), **update})


class ConditionMet(_Strict):
    """When the evidence itself settles a rule's condition: the entity type is one of these (if given) and
    a finding matches one of these (if given)."""

    entity_types: list[EntityType] = Field(default_factory=list)
    findings: list[FindingMatch] = Field(default_factory=list)
    reason: Text


class Fill(StrEnum):
    """What phileak can write into a notice element from the findings."""

    WHAT_HAPPENED = "what-happened"
    DATA_TYPES = "data-types"
    THIRD_PARTIES = "third-parties"
    NUMBERS = "numbers"
    STEPS_FOR_INDIVIDUALS = "steps-for-individuals"
    WHAT_WE_ARE_DOING = "what-we-are-doing"
    CONTACT = "contact"
    DPO_CONTACT = "dpo-contact"
    LIKELY_CONSEQUENCES = "likely-consequences"
    LAW_ENFORCEMENT = "law-enforcement"
    INDIVIDUALS_LIST = "individuals-list"
    PORTAL_FIELDS = "portal-fields"
    FORM = "form"  # a requirement on the notice's form (plain language, a title, type size): not a section


class ContentElement(_Strict):
    ref: Text  # e.g. "164.404(c)(1)(A)"
    text: Text  # the element as the reference states it
    fill: Fill | None = None


class Rule(_Strict):
    duty: Slug
    summary: Text
    citation: Text
    url: Annotated[str, StringConstraints(pattern=r"^https://\S+$")] | None = None
    recipient: Text
    applies: AppliesOverride = Field(default_factory=AppliesOverride)
    threshold: Threshold | None = None
    deadline: Deadline
    # The duty holds only if this is true and the evidence cannot tell: the obligation is "to-confirm".
    condition: str | None = None
    condition_met_by: ConditionMet | None = None
    content_elements: list[ContentElement] = Field(default_factory=list)
    notice: bool = False  # draft a notice skeleton from the content elements
    notice_title: str | None = None  # a title the law prescribes ("Notice of Data Breach")
    questions: list[Text] = Field(default_factory=list)
    notes: list[Text] = Field(default_factory=list)
    unverified: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def _coherent(self) -> Rule:
        if self.condition_met_by is not None and self.condition is None:
            raise ValueError("condition_met_by without a condition")
        if self.notice and not self.content_elements:
            raise ValueError("a notice draft needs content elements")
        return self


class RegimeRules(_Strict):
    regime: Literal[
        "HIPAA", "FTC-HBNR", "GDPR", "FR-CNIL", "FR-HEALTH-INCIDENT", "FR-HDS", "US-CA", "US-NY", "US-TX", "US-WA",
    ]  # fmt: skip
    title: Text
    source: Text
    applies: Applies
    rules: list[Rule] = Field(alias="rule", min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _unique_and_triggered(self) -> RegimeRules:
        duties = [rule.duty for rule in self.rules]
        duplicated = sorted({d for d in duties if duties.count(d) > 1})
        if duplicated:
            raise ValueError(f"duplicate duties {duplicated}")
        for rule in self.rules:
            if not self.applies_to(rule).findings:
                raise ValueError(f"rule {rule.duty!r} has no finding matchers (regime [applies] or its own)")
        return self

    def applies_to(self, rule: Rule) -> Applies:
        return rule.applies.over(self.applies)


RULES_PACKAGE = "phileak.assess.rules"


def parse_regime(text: str, where: str) -> RegimeRules:
    try:
        return RegimeRules.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: malformed TOML: {exc}") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        location = ".".join(str(part) for part in error["loc"])
        raise InputError(f"{where}: {location}: {error['msg']}") from None


def load_rules(directory: Path | None = None) -> tuple[RegimeRules, ...]:
    """Every regime file, validated, in REGIMES order; anchors between duties checked across files."""
    if directory is None:
        return _builtin_rules()
    return _checked([(path.name, path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.toml"))])


@cache
def _builtin_rules() -> tuple[RegimeRules, ...]:
    folder = resources.files(RULES_PACKAGE)
    files = sorted((entry for entry in folder.iterdir() if entry.name.endswith(".toml")), key=lambda e: e.name)
    return _checked([(entry.name, entry.read_text(encoding="utf-8")) for entry in files])


def _checked(sources: list[tuple[str, str]]) -> tuple[RegimeRules, ...]:
    regimes = [parse_regime(text, name) for name, text in sources]
    names = [r.regime for r in regimes]
    if len(set(names)) != len(names):
        raise InputError(f"rule files: a regime is defined twice ({sorted(names)})")
    known = {f"{r.regime}/{rule.duty}" for r in regimes for rule in r.rules}
    for regime in regimes:
        for rule in regime.rules:
            missing = [a for a in rule.deadline.after if a not in known]
            if missing:
                raise InputError(f"{regime.regime}/{rule.duty}: deadline anchor(s) {missing} name no rule")
    return tuple(sorted(regimes, key=lambda r: REGIMES.index(r.regime)))
