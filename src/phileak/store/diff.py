"""What changed between two scans, finding by finding (by Finding.id)."""

from __future__ import annotations

from dataclasses import dataclass, field

from phileak.model import Finding


@dataclass(frozen=True)
class ScanDiff:
    new: list[Finding] = field(default_factory=list)  # in the new scan only
    fixed: list[Finding] = field(default_factory=list)  # in the old scan only (as the old scan saw them)
    still: list[Finding] = field(default_factory=list)  # in both (as the new scan saw them)


def diff_findings(old: list[Finding], new: list[Finding]) -> ScanDiff:
    old_ids = {finding.id for finding in old}
    new_ids = {finding.id for finding in new}
    return ScanDiff(
        new=[finding for finding in new if finding.id not in old_ids],
        fixed=[finding for finding in old if finding.id not in new_ids],
        still=[finding for finding in new if finding.id in old_ids],
    )
