"""Orderings and tallies shared by the reporters, so every format lists findings the same way."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from phileak.model import Finding, Severity


def by_severity(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by probe, target, kind and id: the order of the JSON contract."""
    return sorted(findings, key=lambda f: (-f.severity.rank, f.probe, f.target, f.kind, f.id))


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    """Findings per severity, every severity present (most severe first), zero when none."""
    counts = Counter(f.severity for f in findings)
    return {severity: counts[severity] for severity in sorted(Severity, key=lambda s: -s.rank)}


def probe_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Findings per probe, most findings first, then by name."""
    counts = Counter(f.probe for f in findings)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
