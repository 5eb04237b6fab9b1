"""Inline-SVG charts for the HTML report, as geometry the template draws: horizontal bar charts and a timeline of
when each finding was first and last seen. No script, no external resource."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from phileak.assess.sizing import ExposureWindow
from phileak.model import Severity

SEVERITY_COLOURS = {
    Severity.CRITICAL: "#8b0000",
    Severity.HIGH: "#c0392b",
    Severity.MEDIUM: "#d68910",
    Severity.LOW: "#2874a6",
    Severity.INFO: "#707b7c",
}
NEUTRAL = "#34495e"
PUBLIC = "#8e44ad"
FIXED = "#1e8449"


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    colour: str
    y: int
    width: int


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    label_width: int = 110
    bar_area: int = 220
    row_height: int = 26
    bar_height: int = 18
    empty: str = "No findings."

    @property
    def width(self) -> int:
        return self.label_width + self.bar_area + 50

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * self.row_height


def bar_chart(
    title: str, counts: list[tuple[str, int, str]], *, label_width: int = 110, empty: str = "No findings."
) -> Chart:
    """Horizontal bars scaled to the largest count; a non-zero count always gets a visible bar."""
    largest = max((count for _, count, _ in counts), default=0)
    bars = []
    for row, (label, count, colour) in enumerate(counts):
        width = round(count / largest * Chart.bar_area) if largest else 0
        bars.append(Bar(label, count, colour, row * Chart.row_height, max(width, 2) if count else 0))
    return Chart(title, bars, label_width=label_width, empty=empty)


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


@dataclass(frozen=True)
class Span:
    """One finding's row: seen from x_start to x_end; closed at x_closed (fixed) or still open at the end."""

    label: str
    tooltip: str
    anchor: str
    colour: str
    y: int
    x_start: float
    x_end: float
    x_closed: float | None
    open_at_end: bool


@dataclass(frozen=True)
class Tick:
    x: float
    text: str
    anchor: str  # SVG text-anchor


@dataclass(frozen=True)
class Timeline:
    title: str
    spans: list[Span]
    ticks: list[Tick]
    single_scan: bool
    hidden: int
    label_width: int = 250
    plot_width: int = 380
    row_height: int = 22
    bar_height: int = 12
    axis_height: int = 30

    @property
    def width(self) -> int:
        return self.label_width + self.plot_width + 20

    @property
    def height(self) -> int:
        return max(len(self.spans), 1) * self.row_height + self.axis_height

    @property
    def axis_y(self) -> int:
        return max(len(self.spans), 1) * self.row_height + 4


MAX_TIMELINE_ROWS = 25


def timeline_chart(windows: list[ExposureWindow], reported: datetime, anchors: dict[str, str]) -> Timeline:
    """Rows for the most severe windows (at most MAX_TIMELINE_ROWS), on one time axis from the first sighting to
    the reported scan. With a single scan every row is a dot, and the report says re-scans will draw lines."""
    shown = sorted(windows, key=lambda w: (-w.severity.rank, w.first_seen, w.target))[:MAX_TIMELINE_ROWS]
    shown.sort(key=lambda w: (w.first_seen, -w.severity.rank, w.target))
    moments = [m for w in shown for m in (w.first_seen, w.last_seen, w.closed_seen) if m is not None]
    start = min(moments, default=reported)
    end = max([*moments, _aware(reported)], default=reported)
    layout = Timeline("Timeline: when each finding was seen", [], [], single_scan=start == end, hidden=0)
    total = (end - start).total_seconds()

    def x(moment: datetime) -> float:
        if total <= 0:
            return layout.label_width + layout.plot_width / 2
        return round(layout.label_width + (moment - start).total_seconds() / total * layout.plot_width, 1)

    spans = []
    for row, window in enumerate(shown):
        closed = x(window.closed_seen) if window.closed_seen is not None else None
        state = "still present" if window.present else ("fixed" if window.closed_seen else "not re-checked")
        tooltip = (
            f"{window.title}: first seen {_day(window.first_seen)}, last seen {_day(window.last_seen)} "
            f"({window.scans_seen} scan{'s' if window.scans_seen != 1 else ''}); {state}"
        )
        spans.append(
            Span(
                label=short(window.title, 34),
                tooltip=tooltip,
                anchor=anchors.get(window.finding_id, ""),
                colour=SEVERITY_COLOURS[window.severity],
                y=row * layout.row_height,
                x_start=x(window.first_seen),
                x_end=x(window.last_seen),
                x_closed=closed,
                open_at_end=window.present,
            )
        )
    precise = total < 3600
    ticks = [Tick(x(start), _day(start, precise), "start")]
    if end != start:
        ticks.append(Tick(x(end), _day(end, precise), "end"))
    return Timeline(
        layout.title, spans, ticks, single_scan=layout.single_scan, hidden=max(len(windows) - len(shown), 0)
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _day(moment: datetime, seconds: bool = False) -> str:
    return _aware(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")
