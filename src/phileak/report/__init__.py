"""Reports: one module per output format behind the Reporter protocol (see base.py)."""

from phileak.report.base import REPORTERS, Reporter, render, render_to_path, reporter_for

__all__ = ["REPORTERS", "Reporter", "render", "render_to_path", "reporter_for"]
