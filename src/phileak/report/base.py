"""The reporter seam: one Protocol, one module per format, one line per format in REPORTERS."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol, TextIO

from phileak.errors import InputError
from phileak.model import ScanReport
from phileak.report.csv import CsvReporter
from phileak.report.html import HtmlReporter
from phileak.report.json import JsonlReporter, JsonReporter
from phileak.report.sarif import SarifReporter
from phileak.report.table import TableReporter


class Reporter(Protocol):
    """Writes a whole ScanReport in one format. Reporters keep no state between calls."""

    def write(self, report: ScanReport, out: TextIO) -> None: ...


REPORTERS: dict[str, type[Reporter]] = {
    "table": TableReporter,
    "json": JsonReporter,
    "jsonl": JsonlReporter,
    "sarif": SarifReporter,
    "csv": CsvReporter,
    "html": HtmlReporter,
}


def reporter_for(fmt: str) -> Reporter:
    """A reporter for `fmt`; InputError (one line) naming the known formats when there is none."""
    try:
        reporter_class = REPORTERS[fmt]
    except KeyError:
        known = ", ".join(sorted(REPORTERS))
        raise InputError(f"unknown report format {fmt!r} (one of: {known})") from None
    return reporter_class()


def render(fmt: str, report: ScanReport, out: TextIO) -> None:
    """Write `report` to `out` in format `fmt`."""
    reporter_for(fmt).write(report, out)


def render_to_path(fmt: str, report: ScanReport, path: str | os.PathLike[str]) -> None:
    """Write `report` to `path` atomically: into a temporary file beside it, renamed over `path` only once
    the reporter has finished. On any error `path` is untouched (still absent, or the older file intact)
    and the temporary file is removed. An OSError becomes a one-line InputError. The file is created
    readable by its owner only (mode 0600): a report describes where patient data leaks."""
    reporter = reporter_for(fmt)
    destination = Path(path)
    try:
        descriptor, partial_name = tempfile.mkstemp(
            dir=destination.parent, prefix=f".{destination.name}.", suffix=".partial"
        )
    except OSError as exc:
        raise InputError(f"cannot write report to {destination}: {exc.strerror or exc}") from None
    partial = Path(partial_name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            reporter.write(report, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, destination)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InputError(f"cannot write report to {destination}: {exc.strerror or exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
