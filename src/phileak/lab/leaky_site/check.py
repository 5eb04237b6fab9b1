"""`python -m phileak.lab.leaky_site.check REPORT.json`: check a phileak JSON report of the lab against the leaky
site's ground truth (expected.toml). Prints how many seeded leaks were found, each one missed, and any decoy
reported; exit status 0 when all were found and no decoy was reported.

Options: --no-submit when the scan did not submit forms (dry or real), --no-flows when it ran without the lab's
flows file (the portal steps).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from phileak.lab.leaky_site import SITE_HOST
from phileak.lab.leaky_site.expected import load_ground_truth
from phileak.model import Finding


def site_findings(report: dict[str, object]) -> list[Finding]:
    """The web findings of a contract JSON report whose target is the leaky site."""
    raw = report.get("findings")
    if not isinstance(raw, list):
        raise ValueError("not a phileak JSON report (no findings list)")
    findings = [Finding.model_validate(item) for item in raw]
    return [f for f in findings if f.probe == "web" and urlsplit(f.target).hostname == SITE_HOST]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m phileak.lab.leaky_site.check", description=__doc__)
    parser.add_argument("report", type=Path, help="a report written with --format json")
    parser.add_argument("--no-submit", action="store_true", help="the scan did not submit forms")
    parser.add_argument("--no-flows", action="store_true", help="the scan ran without the lab's flows file")
    args = parser.parse_args(argv)
    try:
        findings = site_findings(json.loads(args.report.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as exc:
        print(f"check: cannot read {args.report}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    verdict = load_ground_truth().check(findings, submitted=not args.no_submit, flows=not args.no_flows)
    print(verdict.summary())
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
