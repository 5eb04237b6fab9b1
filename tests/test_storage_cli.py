"""`phileak scan storage` target forms: provider https URLs, name lists, and names generated from an organisation
name, which are probed only inside an explicit scope (never contacted otherwise)."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import phileak

CLOSED = "http://127.0.0.1:9"  # nothing listens: an in-scope bucket fails fast, an out-of-scope one is refused


def scan_json(tmp_path: Path, *args: str) -> tuple[int, dict[str, object]]:
    run = phileak("scan", "storage", *args, "--endpoint", CLOSED, "--format", "json", "--quiet",
                  "--timeout", "20", "--db", str(tmp_path / "s.db"), cwd=tmp_path)
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, json.loads(run.stdout)


def outcome_targets(report: dict[str, object]) -> dict[str, str]:
    return {o["target"]: o["status"] for o in report["outcomes"]}  # type: ignore[index, union-attr]


def test_generated_names_need_an_explicit_scope(tmp_path: Path) -> None:
    run = phileak("scan", "storage", "--candidates-from", "Example Health", "--endpoint", CLOSED, cwd=tmp_path)
    assert run.returncode == 2
    assert "needs --allow or --scope" in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_generated_names_outside_the_scope_are_refused_not_contacted(tmp_path: Path) -> None:
    _, report = scan_json(tmp_path, "--candidates-from", "Example Health", "--candidates", "12",
                          "--allow", "s3://example-health-*", "--allow", "127.0.0.1/32")
    statuses = outcome_targets(report)
    assert len(statuses) == 12
    assert statuses["s3://example-health"] == "out-of-scope"  # the rule needs a suffix
    in_scope = {t for t, s in statuses.items() if s != "out-of-scope"}
    assert in_scope and all(t.startswith("s3://example-health-") for t in in_scope)


def test_name_lists_and_https_forms_become_storage_targets(tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("# our buckets\nlgh-lab-reports\n\ngs://lgh-scans\n")
    _, report = scan_json(tmp_path, "https://lgh-exports.s3.eu-west-3.amazonaws.com/2026/", "--names", str(names),
                          "--allow", "s3://lgh-*", "--allow", "gs://lgh-*", "--allow", "127.0.0.1/32")
    assert set(outcome_targets(report)) == {"s3://lgh-exports/2026/", "s3://lgh-lab-reports", "gs://lgh-scans"}
