"""Deadline arithmetic: calendar days, business days (public holidays from the `holidays` package), hours from
the discovery instant, and "N days after the end of the calendar year".

Calendar-day deadlines do not roll forward over weekends or holidays: the reference gives no such rule, and the
earlier date is the safe one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from phileak.assess.rules_model import Deadline, DeadlineKind
from phileak.errors import InputError

HOLIDAY_NAMES = {"US": "US federal public holidays", "FR": "French public holidays"}


@dataclass(frozen=True)
class Discovery:
    """When the breach was discovered. `instant` is always aware; `assumed` says how it was derived when the
    plan gave only a date (None when the plan gave the instant itself)."""

    instant: datetime
    day: date
    assumed: str | None = None

    def describe(self) -> str:
        if self.assumed is None:
            return self.instant.isoformat()
        return f"{self.day.isoformat()} ({self.assumed})"


def parse_discovery(value: object, zones: Sequence[str] = ()) -> Discovery | None:
    """The plan's discovery_date (a date, or a date-time with offset; objects or ISO strings). A date alone is
    taken as the start of that day in the organisation's zone: of `zones` (UTC when empty), the one where the
    day starts first, i.e. the earliest instant the date can mean, so no deadline counted in hours comes out
    later than the law's."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return _from_day(value, zones)
    elif isinstance(value, str):
        text = value.strip()
        try:
            if "T" not in text and " " not in text:
                return _from_day(date.fromisoformat(text), zones)
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise InputError(
                f"discovery_date {value!r} is not a date (2026-11-20) or a date-time with offset "
                "(2026-11-20T15:30:00+01:00)"
            ) from None
    else:
        raise InputError(f"discovery_date must be a date or a date-time, not {type(value).__name__}")
    if moment.tzinfo is None:
        raise InputError("discovery_date: a date-time needs an offset, e.g. 2026-11-20T15:30:00+01:00")
    return Discovery(instant=moment, day=moment.date())


def _from_day(day: date, zones: Sequence[str]) -> Discovery:
    starts = [(datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(zone)), zone) for zone in zones]
    if not starts:
        starts = [(datetime.combine(day, time(0, 0), tzinfo=UTC), "UTC")]
    instant, zone = min(starts, key=lambda pair: pair[0])
    which = f"in {zone}" if len(starts) == 1 else f"in {zone}, where it starts first among {len(starts)} zones"
    assumed = f"a date only: assumed {instant.isoformat()}, the start of that day {which}"
    return Discovery(instant=instant, day=day, assumed=assumed)


def add_calendar_days(start: date, days: int) -> date:
    return start + timedelta(days=days)


@cache
def _calendar(code: str) -> holidays.HolidayBase:
    if code not in HOLIDAY_NAMES:
        raise ValueError(f"no holiday calendar {code!r}")
    return holidays.country_holidays(code)


def is_business_day(day: date, calendar: str) -> bool:
    return day.weekday() < 5 and day not in _calendar(calendar)


def add_business_days(start: date, days: int, calendar: str) -> tuple[date, list[tuple[date, str]]]:
    """The date `days` business days after `start` (Monday to Friday, not a public holiday of `calendar`;
    the start day itself is not counted), and the public holidays on weekdays that were skipped."""
    day = start
    counted = 0
    skipped: list[tuple[date, str]] = []
    holiday_table = _calendar(calendar)
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() >= 5:
            continue
        if day in holiday_table:
            skipped.append((day, str(holiday_table.get(day))))
            continue
        counted += 1
    return day, skipped


def add_hours(instant: datetime, hours: int) -> datetime:
    """Elapsed hours, not wall-clock ones (a change of summer time inside the window does not move the end),
    shown in the discovery instant's own offset or zone."""
    if instant.tzinfo is None:
        raise ValueError("hours run from an aware instant")
    return (instant.astimezone(UTC) + timedelta(hours=hours)).astimezone(instant.tzinfo)


def after_year_end(day: date, days: int) -> date:
    """`days` days after 31 December of `day`'s year: HIPAA's annual log for breaches under 500."""
    return date(day.year, 12, 31) + timedelta(days=days)


@dataclass(frozen=True)
class Anchor:
    """Another duty's deadline a period runs from (e.g. New York's AG notice, 5 business days after HHS)."""

    label: str
    day: date


@dataclass(frozen=True)
class Due:
    """A computed deadline: an ISO date or date-time (None when the law sets none or it cannot be computed)
    and how it was reached."""

    value: str | None
    basis: str
    day: date | None = None


def compute(deadline: Deadline, discovery: Discovery | None, anchor: Anchor | None = None) -> Due:
    text = deadline.text
    if deadline.kind is DeadlineKind.WITHOUT_DELAY:
        return Due(None, f"{text}: the law sets no period; act at once")
    if deadline.kind is DeadlineKind.NONE:
        return Due(None, f"{text}: no deadline")
    if discovery is None:
        return Due(None, f"{text}: cannot be dated without the discovery date (the plan gives none)")
    if deadline.effective_from is not None and discovery.day < deadline.effective_from:
        return Due(
            None,
            f"{text}: this period applies to breaches discovered from {deadline.effective_from.isoformat()}; "
            f"the discovery ({discovery.day.isoformat()}) predates it and the earlier rule is not in phileak's "
            "reference",
        )
    amount = deadline.amount or 0
    if deadline.kind is DeadlineKind.HOURS:
        end = add_hours(discovery.instant, amount)
        value = end.isoformat(timespec="seconds")
        return Due(value, f"{text}: {amount} hours after discovery at {discovery.describe()} = {value}", end.date())
    if deadline.kind is DeadlineKind.AFTER_YEAR_END:
        day = after_year_end(discovery.day, amount)
        return Due(
            day.isoformat(),
            f"{text}: {amount} days after 31 December {discovery.day.year} (discovered {discovery.day}) = {day}",
            day,
        )
    if deadline.after:
        if anchor is None:
            return Due(None, f"{text}: runs from {' or '.join(deadline.after)}, which does not apply or has no date")
        start, start_text = anchor.day, f"{anchor.label} (due {anchor.day.isoformat()}; sooner if sent sooner)"
    else:
        start, start_text = discovery.day, f"discovery on {discovery.day.isoformat()}"
    if deadline.kind is DeadlineKind.CALENDAR_DAYS:
        day = add_calendar_days(start, amount)
        return Due(day.isoformat(), f"{text}: {amount} calendar days after {start_text} = {day}", day)
    calendar = deadline.holidays or "US"
    day, skipped = add_business_days(start, amount, calendar)
    holidays_text = ", ".join(f"{d.isoformat()} {name}" for d, name in skipped) or "none in the period"
    return Due(
        day.isoformat(),
        f"{text}: {amount} business days (Monday-Friday, not {HOLIDAY_NAMES[calendar]}; skipped: "
        f"{holidays_text}) after {start_text} = {day}",
        day,
    )
