"""The organisation profile as the legal side reads it (the plan's [organisation], stored in
Scan.profile["organisation"]), with a question for everything missing or contradictory.

Malformed values (an unknown jurisdiction, a count that is not a number, a date that is not a date) are an
InputError; missing or contradictory ones become questions, never guesses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from phileak.assess.deadlines import Discovery, parse_discovery
from phileak.assess.jurisdictions import EU_CAPITAL_ZONES, WITH_LOCAL_RULES, check_codes, zone_of
from phileak.assess.questions import Question
from phileak.errors import InputError
from phileak.plan import EntityType

ENTITY_TYPES_TEXT = ", ".join(e.value for e in EntityType)
_US_ENTITIES = (EntityType.COVERED_ENTITY, EntityType.BUSINESS_ASSOCIATE)


@dataclass(frozen=True)
class OrgProfile:
    name: str | None = None
    entity_type: EntityType | None = None
    jurisdictions: tuple[str, ...] = ()
    discovery: Discovery | None = None
    residents: dict[str, int] = field(default_factory=dict)
    hds_certified_hosts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    questions: tuple[Question, ...] = ()

    @property
    def display_name(self) -> str:
        return self.name or "the organisation"

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "entity_type": self.entity_type.value if self.entity_type else None,
            "jurisdictions": list(self.jurisdictions),
            "discovery": self.discovery.instant.isoformat() if self.discovery else None,
            "discovery_assumption": self.discovery.assumed if self.discovery else None,
            "residents": dict(self.residents),
            "notes": list(self.notes),
        }


def read_profile(organisation: object) -> OrgProfile:
    if not isinstance(organisation, Mapping) or not organisation:
        return OrgProfile(
            questions=(
                Question(
                    "profile", "Which organisation is this (run `phileak audit PLAN.toml` with an [organisation] "
                    "section: name, entity_type, jurisdictions, discovery_date)?",
                    "Without a profile no duty can be routed or dated.",
                ),
            )
        )  # fmt: skip
    questions: list[Question] = []
    notes: list[str] = []
    entity_type = _entity_type(organisation.get("entity_type"), questions)
    jurisdictions = _jurisdictions(organisation.get("jurisdictions"), entity_type, questions, notes)
    residents = _residents(organisation.get("residents"), jurisdictions, questions)
    zones = _zones(organisation.get("timezone"), jurisdictions)
    discovery = parse_discovery(organisation.get("discovery_date"), zones)
    if discovery is None:
        questions.append(
            Question(
                "discovery-date", "When was the exposure discovered (discovery_date: a date, or a date-time with "
                "offset such as 2026-11-20T15:30:00+01:00)?",
                "Every deadline runs from discovery; without it no date can be given.",
            )
        )  # fmt: skip
    name = organisation.get("name")
    hosts = organisation.get("hds_certified_hosts") or []
    if not isinstance(hosts, list):
        raise InputError("hds_certified_hosts must be a list of host names")
    return OrgProfile(
        name=str(name) if name else None,
        entity_type=entity_type,
        jurisdictions=tuple(jurisdictions),
        discovery=discovery,
        residents=residents,
        hds_certified_hosts=tuple(str(h).strip().lower() for h in hosts if str(h).strip()),
        notes=tuple(notes),
        questions=tuple(questions),
    )


def _entity_type(value: object, questions: list[Question]) -> EntityType | None:
    if value in (None, ""):
        questions.append(
            Question(
                "entity-type", f"What kind of organisation is this (entity_type: {ENTITY_TYPES_TEXT})?",
                "HIPAA (covered entities and business associates), the FTC Health Breach Notification Rule "
                "(health apps) and the French health-incident duty depend on it; they are not assessed until "
                "it is known.",
            )
        )  # fmt: skip
        return None
    try:
        return EntityType(str(value))
    except ValueError:
        questions.append(
            Question(
                "entity-type", f"entity_type '{value}' is not one phileak knows: which of {ENTITY_TYPES_TEXT} is it?",
                "HIPAA, FTC HBNR and the French health-incident duty depend on it; they are not assessed until "
                "it is known.",
            )
        )  # fmt: skip
        return None


def _jurisdictions(
    value: object, entity_type: EntityType | None, questions: list[Question], notes: list[str]
) -> list[str]:
    if value is None:
        value = []
    if not isinstance(value, list | tuple):
        raise InputError('jurisdictions must be a list such as ["US-CA", "EU-FR"]')
    codes = check_codes(value, "jurisdictions")
    if entity_type is EntityType.FR_HEALTH_ESTABLISHMENT and "EU-FR" not in codes:
        codes.append("EU-FR")
        notes.append("jurisdictions: EU-FR added, as a French health establishment is in France")
    if entity_type is EntityType.EU_CONTROLLER and not any(c == "EU" or c.startswith("EU-") for c in codes):
        codes.append("EU")
        questions.append(
            Question(
                "eu-member-state", "In which EU member states is the controller established, and where do the "
                "affected people live (jurisdictions: EU-DE, EU-FR, ...)?",
                "The entity type says GDPR controller but no EU jurisdiction is listed: the lead supervisory "
                "authority and any national rules depend on it.",
            )
        )  # fmt: skip
    if entity_type in _US_ENTITIES and not any(c == "US" or c.startswith("US-") for c in codes):
        questions.append(
            Question(
                "us-states", "In which US states do the affected people live (jurisdictions: US-CA, US-TX, ...)?",
                "A HIPAA entity with no US jurisdiction listed: HIPAA is assessed, but state laws and the "
                "per-state media threshold cannot be.",
            )
        )  # fmt: skip
    if not codes:
        questions.append(
            Question(
                "jurisdictions", "Where is the organisation established and where do the affected people live "
                "(jurisdictions: US-CA, EU-FR, ...)?",
                "State, GDPR and French rules apply by jurisdiction; none is listed.",
            )
        )  # fmt: skip
    for code in codes:
        if code not in WITH_LOCAL_RULES and code not in ("US", "EU"):
            notes.append(f"{code}: no state or national rules are encoded for it; federal or EU-wide rules only")
    return codes


def _residents(value: object, jurisdictions: list[str], questions: list[Question]) -> dict[str, int]:
    if value in (None, {}):
        return {}
    if not isinstance(value, Mapping):
        raise InputError('residents must be a table such as { "US-CA" = 400 }')
    residents: dict[str, int] = {}
    for raw_code, count in value.items():
        code = check_codes([raw_code], "residents")[0]
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InputError(f"residents: {raw_code} must be a whole number of people, not {count!r}")
        residents[code] = count
        if code not in jurisdictions:
            questions.append(
                Question(
                    f"residents-{code}", f"residents counts people in {code}, which jurisdictions does not list: "
                    f"add {code} to jurisdictions if its residents are affected?",
                    f"Contradictory profile: {code} rules were not applied.",
                )
            )  # fmt: skip
    return residents


def _zones(explicit: object, jurisdictions: list[str]) -> list[str]:
    if explicit:
        try:
            ZoneInfo(str(explicit))
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(f"timezone '{explicit}' is not an IANA time zone (e.g. Europe/Paris)") from None
        return [str(explicit)]
    if "EU" in jurisdictions:
        return sorted(set(EU_CAPITAL_ZONES.values()))
    return sorted({zone for code in jurisdictions if (zone := zone_of(code)) is not None})
