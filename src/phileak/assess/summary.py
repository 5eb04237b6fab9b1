"""The assessment a report carries: the exposure sized across probes and re-scans (assess/sizing.py), then the
obligations engine (`phileak.assess.assess`) when it is there; without it, the contract's assessment block from
the sizing alone, and no obligations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import phileak.assess
from phileak.assess.sizing import Exposure, size_exposure
from phileak.model import ScanReport
from phileak.report.document import AssessedReport, ScanChanges

NOT_LEGAL_ADVICE = (
    "Not legal advice: phileak maps technical evidence to notification rules; check every duty, date and "
    "threshold with counsel."
)

Engine = Callable[..., dict[str, Any]]


def assess_report(
    report: ScanReport, history: Sequence[ScanReport] = (), changes: ScanChanges | None = None
) -> AssessedReport:
    """`report` with its sized exposure, assessment block, obligations (when the engine exists) and changes."""
    exposure = size_exposure(report, history)
    block, obligations = _assessed(report, exposure)
    base = report.model_dump(exclude={"assessment", "obligations"})
    return AssessedReport.model_validate(
        {**base, "assessment": block, "obligations": obligations, "exposure": exposure, "changes": changes}
    )


def assessment_for(report: ScanReport, history: Sequence[ScanReport] = ()) -> dict[str, Any]:
    """The contract's "assessment" block alone (for callers that set only that)."""
    block, _ = _assessed(report, size_exposure(report, history))
    return block


def _assessed(report: ScanReport, exposure: Exposure) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    engine = _engine()
    if engine is None:
        return _sizing_block(exposure), None
    result = engine(report, exposure)
    return dict(result["assessment"]), list(result["obligations"])


def _engine() -> Engine | None:
    engine = getattr(phileak.assess, "assess", None)
    return engine if callable(engine) else None


def _sizing_block(exposure: Exposure) -> dict[str, Any]:
    interval = exposure.estimate
    return {
        # Like the engine: a single number when exact or only a floor is known; an interval goes in "estimate".
        "affected_individuals": None if interval and interval.high is not None else exposure.affected_individuals,
        "estimate": interval.model_dump(mode="json") if interval is not None else None,
        "data_categories": list(exposure.data_categories),
        "method": exposure.method,
        "exposure": exposure.to_dict(),
        "disclaimer": NOT_LEGAL_ADVICE,
    }
