"""The audit-level assessment block of the contract, from a scan's findings.

Until the exposure-sizing engine deduplicates people across probes, the count is a floor: the largest number of
people any single finding proves. The block says so in `method`."""

from __future__ import annotations

from typing import Any

from phileak.model import ScanReport, summarise


def assessment_for(report: ScanReport) -> dict[str, Any]:
    categories = sorted({category.value for finding in report.findings for category in finding.data_categories})
    return {
        "affected_individuals": summarise(report.findings)["affected_individuals"],
        "estimate": None,
        "data_categories": categories,
        "method": "floor: the largest count proven by one finding (no cross-probe deduplication yet)",
    }
