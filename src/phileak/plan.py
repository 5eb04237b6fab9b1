"""The audit plan: an organisation's profile, its authorised scope and its targets of each kind (TOML)."""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from phileak.errors import InputError
from phileak.targets import PROBES, Target, parse_target

_TARGET_KEY = {"web": "url", "har": "path", "dicom": "target", "storage": "url", "files": "path"}
_LOCAL_PROBES = ("har", "files")


class EntityType(StrEnum):
    COVERED_ENTITY = "covered-entity"
    BUSINESS_ASSOCIATE = "business-associate"
    HEALTH_APP = "health-app"
    EU_CONTROLLER = "eu-controller"
    FR_HEALTH_ESTABLISHMENT = "fr-health-establishment"


class Organisation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    # Unknown entity type or discovery date: the assessment asks instead of guessing.
    entity_type: EntityType | None = None
    jurisdictions: list[str] = Field(default_factory=list)
    discovery_date: date | datetime | None = None
    # Strict: true, "600" or 600.0 are not a number of people.
    residents: dict[str, Annotated[int, Field(strict=True, ge=0)]] = Field(default_factory=dict)
    hds_certified_hosts: list[str] = Field(default_factory=list)
    timezone: str | None = None  # IANA zone for deadlines counted in hours; else the first jurisdiction's

    @field_validator("discovery_date", mode="before")
    @classmethod
    def _a_time_makes_a_datetime(cls, value: object) -> object:
        """A string with a time part is a date-time (pydantic's date would take "2026-11-20T00:00:00+09:00" as
        the date 2026-11-20 and lose the offset)."""
        if isinstance(value, str) and len(text := value.strip()) > 10:
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not a date (2026-11-20) or a date-time with offset (2026-11-20T15:30:00+01:00)"
                ) from None
        return value

    @field_validator("discovery_date")
    @classmethod
    def _offset_required(cls, value: date | datetime | None) -> date | datetime | None:
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("a date-time needs an offset, e.g. 2026-11-20T15:30:00+01:00")
        return value


class PlanOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    resolve: list[str] = Field(default_factory=list)
    insecure: bool = False


class PlanScope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allow: list[str] = Field(default_factory=list)


class AuditPlan(BaseModel):
    organisation: Organisation
    scope: PlanScope = Field(default_factory=PlanScope)
    options: PlanOptions = Field(default_factory=PlanOptions)
    targets: list[Target] = Field(default_factory=list)
    source: Path | None = None

    model_config = ConfigDict(arbitrary_types_allowed=True)

    def profile(self) -> dict[str, Any]:
        """What the store and the report keep of the plan: the organisation and the scope, JSON-ready."""
        return {
            "organisation": self.organisation.model_dump(mode="json"),
            "scope": list(self.scope.allow),
            "plan": str(self.source) if self.source else None,
        }


def load_plan(path: str | Path) -> AuditPlan:
    """Read and validate an audit plan; any problem is one InputError line naming the file."""
    plan_path = Path(path)
    try:
        raw = tomllib.loads(plan_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"cannot read plan {plan_path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read plan {plan_path}: {exc.__class__.__name__}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"malformed TOML in {plan_path}: {exc}") from None
    return parse_plan(raw, base_dir=plan_path.parent, source=plan_path)


def parse_plan(raw: dict[str, Any], *, base_dir: Path, source: Path | None = None) -> AuditPlan:
    where = str(source) if source else "plan"
    unknown = set(raw) - {"organisation", "scope", "options", *PROBES}
    if unknown:
        raise InputError(f"{where}: unknown section(s) {', '.join(sorted(unknown))}")
    if "organisation" not in raw:
        raise InputError(f"{where}: missing [organisation] (name, entity_type, jurisdictions, discovery_date)")
    try:
        organisation = Organisation.model_validate(raw["organisation"])
        scope = PlanScope.model_validate(raw.get("scope", {}))
        options = PlanOptions.model_validate(raw.get("options", {}))
    except ValidationError as exc:
        raise InputError(f"{where}: {_first_error(exc)}") from None
    _check_profile(organisation, where)
    targets = [
        target for probe in PROBES for target in _targets_of(probe, raw.get(probe, []), base_dir, where)
    ]
    return AuditPlan(organisation=organisation, scope=scope, options=options, targets=targets, source=source)


def _check_profile(organisation: Organisation, where: str) -> None:
    """Read the organisation as the assessment will (jurisdiction codes, residents, time zone, discovery), so a
    plan it would refuse is refused before any probe runs and nothing is stored."""
    from phileak.assess.profile import read_profile

    try:
        read_profile(organisation.model_dump(mode="json"))
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def _targets_of(probe: str, entries: Any, base_dir: Path, where: str) -> list[Target]:
    if not isinstance(entries, list):
        raise InputError(f"{where}: [{probe}] must be an array of tables ([[{probe}]])")
    key = _TARGET_KEY[probe]
    targets = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get(key), str):
            raise InputError(f"{where}: [[{probe}]] entry {number} needs a string '{key}'")
        options = {k: v for k, v in entry.items() if k != key}
        text = entry[key]
        if probe in _LOCAL_PROBES and not Path(text).is_absolute():
            text = str((base_dir / text).resolve())
        targets.append(parse_target(probe, text, options))
    return targets


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error["loc"])
    return f"{location}: {error['msg']}"
