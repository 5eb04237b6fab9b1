"""A ScanReport with what the reporters show beyond the contract's core: the sized exposure and, for
`phileak report --since`, the changes since an earlier scan. Every reporter accepts a plain ScanReport too."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from phileak.assess.sizing import Exposure, size_exposure
from phileak.model import Finding, Scan, ScanReport


class ScanChanges(BaseModel):
    """How the reported scan differs from an earlier one, by finding id."""

    model_config = ConfigDict(frozen=True)

    since: Scan
    new: list[str] = Field(default_factory=list)  # ids only in the reported scan
    still: list[str] = Field(default_factory=list)  # ids in both
    fixed: list[Finding] = Field(default_factory=list)  # gone, and their target was re-checked: as last seen
    unchecked: list[Finding] = Field(default_factory=list)  # gone, but their target was not checked successfully

    def to_contract(self) -> dict[str, Any]:
        return {
            "since": self.since.to_contract(),
            "new": list(self.new),
            "still": list(self.still),
            "fixed": [finding.to_contract() for finding in self.fixed],
            "unchecked": [finding.to_contract() for finding in self.unchecked],
        }


class AssessedReport(ScanReport):
    exposure: Exposure | None = None
    changes: ScanChanges | None = None

    def to_contract(self, version: str) -> dict[str, Any]:
        data = super().to_contract(version)
        if self.changes is not None:
            data["changes"] = self.changes.to_contract()
        return data


def exposure_of(report: ScanReport) -> Exposure:
    """The report's sized exposure (computed here, without history, when it carries none)."""
    if isinstance(report, AssessedReport) and report.exposure is not None:
        return report.exposure
    return size_exposure(report)


def changes_of(report: ScanReport) -> ScanChanges | None:
    return report.changes if isinstance(report, AssessedReport) else None
