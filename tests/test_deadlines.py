"""Deadline arithmetic: calendar days, business days over weekends and public holidays, hours from the discovery
instant (with the assumption stated for a date alone), year-end logs, effective dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from assess_cases import exposure, organisation, public_bucket, tracking_leak
from phileak.assess.deadlines import (
    Anchor,
    add_business_days,
    add_hours,
    after_year_end,
    compute,
    is_business_day,
    parse_discovery,
)
from phileak.assess.obligations import evaluate_obligations
from phileak.assess.rules_model import Deadline, DeadlineKind
from phileak.errors import InputError
from phileak.plan import load_plan

PARIS_WINTER = timezone(timedelta(hours=1))


def _due(obligations: list, regime: str, duty: str) -> str | None:
    matches = [o for o in obligations if o.regime == regime and o.duty == duty]
    assert len(matches) == 1, f"{regime}/{duty}: {[o.key for o in obligations]}"
    return matches[0].deadline


# ------------------------------------------------------------------ business days


def test_fifteen_business_days_skip_the_weekends_and_thanksgiving() -> None:
    # Friday 20 Nov 2026: three weekends and Thursday 26 Nov (Thanksgiving) are not business days.
    day, skipped = add_business_days(date(2026, 11, 20), 15, "US")
    assert day == date(2026, 12, 14)
    assert skipped == [(date(2026, 11, 26), "Thanksgiving Day")]


def test_business_days_without_a_holiday_only_skip_the_weekend() -> None:
    day, skipped = add_business_days(date(2026, 9, 11), 5, "US")  # a Friday, no holiday the next week
    assert day == date(2026, 9, 18)
    assert skipped == []


def test_an_observed_federal_holiday_is_not_a_business_day() -> None:
    # 4 July 2026 is a Saturday: the federal holiday is observed on Friday 3 July.
    assert not is_business_day(date(2026, 7, 3), "US")
    assert add_business_days(date(2026, 7, 2), 1, "US")[0] == date(2026, 7, 6)


def test_french_business_days_follow_french_holidays() -> None:
    # 8 May (Victoire 1945) is a French public holiday, not a US one.
    assert add_business_days(date(2026, 5, 7), 1, "FR")[0] == date(2026, 5, 11)
    assert add_business_days(date(2026, 5, 7), 1, "US")[0] == date(2026, 5, 8)


def test_california_1280_15_deadline_and_its_basis_name_the_holiday() -> None:
    result = evaluate_obligations(organisation(), [public_bucket()], exposure(40))
    cdph = next(o for o in result.obligations if o.regime == "US-CA" and o.duty == "notify-cdph")
    assert cdph.deadline == "2026-12-14"
    assert "2026-11-26 Thanksgiving Day" in cdph.deadline_basis
    assert "15 business days" in cdph.deadline_basis


# ------------------------------------------------------------------ hours


def test_gdpr_72_hours_run_from_the_discovery_instant_in_its_offset() -> None:
    org = organisation(entity_type="eu-controller", jurisdictions=["EU-DE"],
                       discovery_date="2026-11-20T15:30:00+01:00")  # fmt: skip
    result = evaluate_obligations(org, [tracking_leak()], exposure(3))
    assert _due(result.obligations, "GDPR", "notify-supervisory-authority") == "2026-11-23T15:30:00+01:00"


def test_72_hours_from_a_quoted_date_time_in_the_plan_keep_its_offset(tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text('[organisation]\nname = "QA Health"\nentity_type = "eu-controller"\n'
                         'jurisdictions = ["EU-FR"]\ndiscovery_date = "2026-11-20T00:00:00+09:00"\n')  # fmt: skip
    org = load_plan(plan_file).profile()["organisation"]
    result = evaluate_obligations(org, [tracking_leak()], exposure(3))
    assert _due(result.obligations, "FR-CNIL", "notify-cnil") == "2026-11-23T00:00:00+09:00"


def test_cnil_72_hours_from_a_date_time() -> None:
    org = organisation(entity_type="fr-health-establishment", jurisdictions=["EU-FR"],
                       discovery_date="2026-11-20T15:30:00+01:00")  # fmt: skip
    result = evaluate_obligations(org, [public_bucket()], exposure(40))
    assert _due(result.obligations, "FR-CNIL", "notify-cnil") == "2026-11-23T15:30:00+01:00"


def test_a_date_alone_is_taken_as_the_start_of_the_day_and_the_reason_says_so() -> None:
    org = organisation(entity_type="fr-health-establishment", jurisdictions=["EU-FR"], discovery_date="2026-11-20")
    result = evaluate_obligations(org, [public_bucket()], exposure(40))
    cnil = next(o for o in result.obligations if o.duty == "notify-cnil")
    assert cnil.deadline == "2026-11-23T00:00:00+01:00"
    assert "assumed 2026-11-20T00:00:00+01:00, the start of that day in Europe/Paris" in cnil.reason


def test_hours_are_elapsed_time_across_a_change_of_summer_time() -> None:
    # Paris leaves summer time at 03:00 on Sunday 25 Oct 2026: 72 elapsed hours from midnight (+02:00) on the
    # 23rd end at 23:00 (+01:00) on the 25th, not at midnight on the 26th.
    discovery = parse_discovery("2026-10-23", ["Europe/Paris"])
    assert discovery is not None
    end = add_hours(discovery.instant, 72)
    assert end.isoformat() == "2026-10-25T23:00:00+01:00"
    fixed = add_hours(datetime(2026, 11, 20, 15, 30, tzinfo=PARIS_WINTER), 72)
    assert fixed.isoformat() == "2026-11-23T15:30:00+01:00"


def test_the_earliest_start_of_the_day_is_taken_across_several_zones() -> None:
    discovery = parse_discovery("2026-11-20", ["Europe/Paris", "Europe/Helsinki"])
    assert discovery is not None
    assert discovery.instant.isoformat() == "2026-11-20T00:00:00+02:00"
    assert discovery.assumed is not None and "Europe/Helsinki" in discovery.assumed


@pytest.mark.parametrize("value", ["2026-11-20T15:30:00", "20/11/2026", "tomorrow", 20261120])
def test_a_discovery_that_is_not_a_date_or_has_no_offset_is_an_input_error(value: object) -> None:
    with pytest.raises(InputError, match="discovery_date"):
        parse_discovery(value, [])


# ------------------------------------------------------------------ calendar days, year end, effective dates


def test_sixty_calendar_days_do_not_roll_over_weekends() -> None:
    deadline = Deadline(kind=DeadlineKind.CALENDAR_DAYS, amount=60, text="60 days")
    due = compute(deadline, parse_discovery("2026-11-20", []))
    assert due.value == "2027-01-19"
    due = compute(deadline, parse_discovery("2026-10-06", []))  # + 60 = Saturday 5 Dec 2026
    assert due.value == "2026-12-05"


def test_the_annual_log_is_due_sixty_days_after_the_year_ends() -> None:
    assert after_year_end(date(2026, 11, 20), 60) == date(2027, 3, 1)
    assert after_year_end(date(2027, 1, 5), 60) == date(2028, 2, 29)  # 2028 is a leap year


def test_a_period_runs_from_another_duty_when_the_rule_says_so() -> None:
    deadline = Deadline(kind=DeadlineKind.BUSINESS_DAYS, amount=5, holidays="US", after=["HIPAA/notify-hhs"],
                        text="5 business days after HHS")  # fmt: skip
    discovery = parse_discovery("2026-11-20", [])
    assert compute(deadline, discovery, Anchor("HHS", date(2027, 1, 19))).value == "2027-01-26"
    orphan = compute(deadline, discovery, None)
    assert orphan.value is None and "HIPAA/notify-hhs" in orphan.basis


def test_a_period_that_took_effect_after_discovery_is_not_applied() -> None:
    deadline = Deadline(kind=DeadlineKind.CALENDAR_DAYS, amount=30, effective_from=date(2026, 1, 1), text="30 days")
    due = compute(deadline, parse_discovery("2025-12-15", []))
    assert due.value is None
    assert "2026-01-01" in due.basis and "predates" in due.basis
    assert compute(deadline, parse_discovery("2026-01-01", [])).value == "2026-01-31"


def test_without_a_discovery_date_no_deadline_is_invented() -> None:
    deadline = Deadline(kind=DeadlineKind.CALENDAR_DAYS, amount=60, text="60 days")
    due = compute(deadline, None)
    assert due.value is None
    assert "discovery date" in due.basis


def test_without_delay_has_no_date_and_says_so() -> None:
    due = compute(Deadline(kind=DeadlineKind.WITHOUT_DELAY, text="sans délai"), parse_discovery("2026-11-20", []))
    assert due.value is None
    assert "sans délai" in due.basis and "no period" in due.basis
