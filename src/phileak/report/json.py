"""`json`: the contract document; `jsonl`: one contract finding per line."""

from __future__ import annotations

import json
from typing import TextIO

import phileak
from phileak.model import ScanReport


class JsonReporter:
    def write(self, report: ScanReport, out: TextIO) -> None:
        json.dump(report.to_contract(phileak.__version__), out, indent=2, ensure_ascii=False)
        out.write("\n")


class JsonlReporter:
    def write(self, report: ScanReport, out: TextIO) -> None:
        for finding in report.to_contract(phileak.__version__)["findings"]:
            out.write(json.dumps(finding, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
