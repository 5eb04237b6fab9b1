"""The obligations engine: rule files, thresholds at their edges, routing by entity type and jurisdiction, the
French trio and the HDS check, and questions instead of guesses for a missing or contradictory profile."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel

from assess_cases import exposure, hds_finding, open_pacs, organisation, public_bucket, tracking_leak
from phileak.assess import assess, obligations_for
from phileak.assess.facts import Count, exposure_facts
from phileak.assess.obligations import Evaluation, Obligation, evaluate_obligations
from phileak.assess.rules_model import REGIMES, load_rules
from phileak.errors import InputError
from phileak.testing import make_report

RULES_DIR = Path(__file__).resolve().parents[1] / "src" / "phileak" / "assess" / "rules"
CONTRACT_KEYS = {"regime", "duty", "recipient", "deadline", "citation", "reason"}


def _keys(obligations: list[Obligation]) -> set[str]:
    return {o.key for o in obligations}


def _one(obligations: list[Obligation], key: str) -> Obligation:
    found = [o for o in obligations if o.key == key]
    assert len(found) == 1, f"{key} in {sorted(_keys(obligations))}"
    return found[0]


def _skipped(result: Evaluation, key: str) -> list[str]:
    return [s["reason"] for s in result.not_applicable if f"{s['regime']}/{s['duty']}" == key]


def _question_ids(result: Evaluation) -> set[str]:
    return {q.id for q in result.questions}


# ------------------------------------------------------------------ rule files


def test_every_rule_file_validates_and_every_rule_has_a_citation() -> None:
    regimes = load_rules()
    assert [r.regime for r in regimes] == list(REGIMES)
    for regime in regimes:
        assert (RULES_DIR / f"{regime.regime.lower().replace('-', '_')}.toml").exists()
        for rule in regime.rules:
            assert rule.citation.strip(), f"{regime.regime}/{rule.duty}"
            assert rule.url and rule.url.startswith("https://"), f"{regime.regime}/{rule.duty}"
            assert rule.deadline.text.strip()


def test_every_duty_is_documented() -> None:
    documented = (Path(__file__).resolve().parents[1] / "docs" / "obligations.md").read_text(encoding="utf-8")
    rows = {(line.split("|")[1].strip(), line.split("|")[2].strip()) for line in documented.splitlines()
            if line.startswith("| ") and line.count("|") >= 6}  # fmt: skip
    for regime in load_rules():
        for rule in regime.rules:
            assert (regime.regime, f"`{rule.duty}`") in rows, f"{regime.regime}/{rule.duty} not in docs/obligations.md"


def test_the_rule_files_on_disk_load_the_same_way(tmp_path: Path) -> None:
    for path in RULES_DIR.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    assert [r.regime for r in load_rules(tmp_path)] == list(REGIMES)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('citation = "Tex. Bus. & Com. Code 521.053"\nurl', "url", "citation"),
        (
            'kinds = ["@tracking", "@imaging-server", "@public-storage"]',
            'kinds = ["@trackers"]',
            "unknown finding kind",
        ),
        ('amount = 60, text = "no later than 60 days (phileak', 'amount = 60, holidays = "US", text = "x (', "holiday"),
        ('op = ">=", value = 250', 'op = "=>", value = 250', "op"),
    ],
)
def test_a_broken_rule_file_is_an_input_error_naming_file_and_field(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    for path in RULES_DIR.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    texas = tmp_path / "us_tx.toml"
    text = texas.read_text(encoding="utf-8")
    assert old in text
    texas.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError, match=r"us_tx\.toml") as error:
        load_rules(tmp_path)
    assert message in str(error.value)


# ------------------------------------------------------------------ HIPAA thresholds


@pytest.mark.parametrize(
    ("people", "hhs_now", "annual_log"),
    [(499, False, True), (500, True, False), (501, True, False)],
)
def test_hhs_is_notified_with_the_individuals_from_500_else_logged(people: int, hhs_now: bool,
                                                                   annual_log: bool) -> None:  # fmt: skip
    result = evaluate_obligations(organisation(), [public_bucket(people=people)], exposure(people))
    keys = _keys(result.obligations)
    assert ("HIPAA/notify-hhs" in keys) is hhs_now
    assert ("HIPAA/log-for-hhs" in keys) is annual_log
    assert _one(result.obligations, "HIPAA/notify-individuals").deadline == "2027-01-19"
    if hhs_now:
        hhs = _one(result.obligations, "HIPAA/notify-hhs")
        assert hhs.deadline == "2027-01-19" and hhs.citation == "45 CFR 164.408(b)"
        assert f"{people} individuals affected: meets" in hhs.reason
    else:
        log = _one(result.obligations, "HIPAA/log-for-hhs")
        assert log.deadline == "2027-03-01" and log.citation == "45 CFR 164.408(c)"
        assert any("does not meet" in r for r in _skipped(result, "HIPAA/notify-hhs"))


@pytest.mark.parametrize(("residents", "media"), [(499, False), (500, False), (501, True)])
def test_media_notice_needs_more_than_500_residents_of_a_state(residents: int, media: bool) -> None:
    org = organisation(jurisdictions=["US-CA", "US-TX"], residents={"US-CA": residents, "US-TX": 10})
    result = evaluate_obligations(org, [public_bucket()], exposure(residents + 10))
    notices = [o for o in result.obligations if o.key == "HIPAA/notify-media"]
    assert bool(notices) is media
    if media:
        assert [o.jurisdiction for o in notices] == ["US-CA"]
        assert "US-CA" in notices[0].recipient and notices[0].deadline == "2027-01-19"
    assert any("US-TX" in r for r in _skipped(result, "HIPAA/notify-media"))


def test_the_plans_residents_are_a_floor_on_the_hhs_count() -> None:
    # 3 people seen by the scan, but the plan counts 600 Californians and 300 Texans: 900 at least.
    org = organisation(jurisdictions=["US-CA", "US-TX", "US-NY"], residents={"US-CA": 600, "US-TX": 300})
    result = evaluate_obligations(org, [open_pacs(people=3)], exposure(3))
    hhs = _one(result.obligations, "HIPAA/notify-hhs")
    assert hhs.status == "applies" and "900 individuals affected" in hhs.reason and "meets" in hhs.reason
    assert "HIPAA/log-for-hhs" not in _keys(result.obligations)
    after = _one(result.obligations, "US-NY/notify-attorney-general-after-hhs")
    assert "HIPAA/notify-hhs" in after.deadline_basis and after.deadline == "2027-01-26"
    report = make_report([open_pacs(people=3)], profile={"organisation": org})
    fields = assess(report, exposure(3))["assessment"]["hhs_portal"]["fields"]
    assert fields["Breach Affecting"]["value"] == "500 or More Individuals"
    assert fields["Individuals Affected"]["value"] == 900 and fields["Individuals Affected"]["confirm"]


def test_the_plans_residents_are_a_floor_on_the_ftc_count() -> None:
    org = organisation(entity_type="health-app", residents={"US-CA": 600})
    result = evaluate_obligations(org, [tracking_leak()], exposure(3))
    assert _one(result.obligations, "FTC-HBNR/notify-ftc").status == "applies"
    assert "FTC-HBNR/log-for-ftc" not in _keys(result.obligations)


def test_an_estimate_on_both_sides_of_500_asks_for_the_count_instead_of_guessing() -> None:
    result = evaluate_obligations(organisation(), [public_bucket()], exposure(None, low=400, high=700))
    assert _one(result.obligations, "HIPAA/notify-hhs").status == "to-confirm"
    assert _one(result.obligations, "HIPAA/log-for-hhs").status == "to-confirm"
    assert "affected-count" in _question_ids(result)


def test_an_estimate_wholly_above_500_settles_the_threshold() -> None:
    result = evaluate_obligations(organisation(), [public_bucket()], exposure(40, low=900, high=1400))
    assert _one(result.obligations, "HIPAA/notify-hhs").status == "applies"
    assert "HIPAA/log-for-hhs" not in _keys(result.obligations)


def test_residents_per_state_unknown_is_a_question_unless_the_total_settles_it() -> None:
    many = evaluate_obligations(organisation(), [public_bucket()], exposure(600))
    assert _one(many.obligations, "HIPAA/notify-media").status == "to-confirm"
    assert "residents-US-CA" in _question_ids(many)
    few = evaluate_obligations(organisation(), [public_bucket()], exposure(400))
    assert "HIPAA/notify-media" not in _keys(few.obligations)
    assert any("400 people affected in total" in r for r in _skipped(few, "HIPAA/notify-media"))


# ------------------------------------------------------------------ states


@pytest.mark.parametrize(("texans", "attorney_general"), [(249, False), (250, True), (251, True)])
def test_texas_attorney_general_from_250_texans_within_30_days(texans: int, attorney_general: bool) -> None:
    org = organisation(jurisdictions=["US-TX"], residents={"US-TX": texans})
    result = evaluate_obligations(org, [public_bucket()], exposure(texans))
    assert ("US-TX/notify-attorney-general" in _keys(result.obligations)) is attorney_general
    assert _one(result.obligations, "US-TX/notify-individuals").deadline == "2027-01-19"
    if attorney_general:
        notice = _one(result.obligations, "US-TX/notify-attorney-general")
        assert notice.deadline == "2026-12-20"
        assert notice.notice_draft is not None
        assert any(s["ref"] == "521.053(i)" for s in notice.notice_draft["sections"])


def test_the_texas_notice_gives_the_number_of_texans_not_everyone() -> None:
    org = organisation(jurisdictions=["US-TX", "US-CA"], residents={"US-TX": 300, "US-CA": 700})
    result = evaluate_obligations(org, [open_pacs()], exposure(1000))
    draft = _one(result.obligations, "US-TX/notify-attorney-general").notice_draft
    assert draft is not None
    [numbers] = [s for s in draft["sections"] if s["element"] == "The number of Texas residents affected"]
    assert numbers["text"].startswith("300 residents of US-TX") and "1000" not in numbers["text"]


def test_california_attorney_general_gets_a_sample_15_days_after_the_residents() -> None:
    org = organisation(residents={"US-CA": 501})
    result = evaluate_obligations(org, [public_bucket()], exposure(501))
    assert _one(result.obligations, "US-CA/notify-residents").deadline == "2026-12-20"
    assert _one(result.obligations, "US-CA/notify-attorney-general").deadline == "2027-01-04"


def test_california_30_days_do_not_apply_to_a_breach_discovered_before_2026() -> None:
    result = evaluate_obligations(organisation(discovery_date="2025-12-01"), [public_bucket()], exposure(40))
    residents = _one(result.obligations, "US-CA/notify-residents")
    assert residents.deadline is None
    assert "predates" in residents.reason


def test_new_york_attorney_general_5_business_days_after_hhs() -> None:
    org = organisation(jurisdictions=["US-NY"])
    result = evaluate_obligations(org, [public_bucket(people=600)], exposure(600))
    assert _one(result.obligations, "HIPAA/notify-hhs").deadline == "2027-01-19"
    after = _one(result.obligations, "US-NY/notify-attorney-general-after-hhs")
    assert after.deadline == "2027-01-26"
    assert "HIPAA/notify-hhs" in after.deadline_basis


def test_the_california_facility_duty_waits_for_confirmation_of_licensing() -> None:
    result = evaluate_obligations(organisation(), [open_pacs()], exposure(20))
    cdph = _one(result.obligations, "US-CA/notify-cdph")
    assert cdph.status == "to-confirm" and cdph.condition is not None
    assert "condition:US-CA/notify-cdph" in _question_ids(result)


# ------------------------------------------------------------------ FTC, business associates, GDPR


def test_a_health_app_disclosing_to_advertisers_owes_ftc_hbnr_notices_not_hipaa() -> None:
    org = organisation(entity_type="health-app", jurisdictions=["US-WA"])
    leak = tracking_leak(context="app")
    result = evaluate_obligations(org, [leak], exposure(120))
    keys = _keys(result.obligations)
    assert {"FTC-HBNR/notify-individuals", "FTC-HBNR/log-for-ftc"} <= keys
    assert not any(k.startswith("HIPAA/") for k in keys)
    individuals = _one(result.obligations, "FTC-HBNR/notify-individuals")
    assert individuals.deadline == "2027-01-19" and individuals.citation == "16 CFR 318.4"
    assert individuals.notice_draft is not None
    third_parties = next(s for s in individuals.notice_draft["sections"] if "third parties" in s["element"])
    assert "Meta (www.facebook.test)" in third_parties["text"]
    consent = _one(result.obligations, "US-WA/obtain-sharing-consent")
    assert consent.status == "applies" and consent.deadline is None


def test_a_business_associate_notifies_the_covered_entity() -> None:
    org = organisation(entity_type="business-associate")
    result = evaluate_obligations(org, [open_pacs()], exposure(20))
    notice = _one(result.obligations, "HIPAA/notify-covered-entity")
    assert notice.deadline == "2027-01-19" and notice.citation == "45 CFR 164.410"
    assert "HIPAA/notify-individuals" not in _keys(result.obligations)
    assert notice.notice_draft is not None
    assert any(s["ref"] == "164.410" for s in notice.notice_draft["sections"])


def test_gdpr_outside_france_notifies_the_authority_and_the_data_subjects() -> None:
    org = organisation(entity_type="eu-controller", jurisdictions=["EU-DE"])
    result = evaluate_obligations(org, [public_bucket()], exposure(40))
    authority = _one(result.obligations, "GDPR/notify-supervisory-authority")
    assert authority.deadline == "2026-11-23T00:00:00+01:00"
    refs = [s["ref"] for s in authority.notice_draft["sections"]] if authority.notice_draft else []
    assert {"Art. 33(3)(a)", "Art. 33(3)(b)", "Art. 33(3)(c)", "Art. 33(3)(d)"} <= set(refs)
    subjects = _one(result.obligations, "GDPR/notify-data-subjects")
    assert subjects.status == "applies" and "health data" in subjects.reason
    assert "FR-CNIL/notify-cnil" not in _keys(result.obligations)


# ------------------------------------------------------------------ France


def test_a_french_health_establishment_gets_the_french_trio() -> None:
    org = organisation(entity_type="fr-health-establishment", jurisdictions=["EU-FR"],
                       hds_certified_hosts=["*.hds-cloud.test"])  # fmt: skip
    result = evaluate_obligations(org, [open_pacs(), public_bucket()], exposure(60))
    keys = _keys(result.obligations)
    assert {
        "FR-CNIL/notify-cnil",
        "FR-HEALTH-INCIDENT/declare-health-incident",
        "FR-HDS/use-hds-certified-host",
    } <= keys
    assert "GDPR/notify-supervisory-authority" not in keys  # the CNIL is France's authority
    incident = _one(result.obligations, "FR-HEALTH-INCIDENT/declare-health-incident")
    assert incident.deadline is None and "sans délai" in incident.reason
    assert "signalement.social-sante.gouv.fr" in incident.recipient


def test_the_entity_type_alone_makes_the_establishment_french() -> None:
    result = evaluate_obligations(organisation(entity_type="fr-health-establishment", jurisdictions=[]),
                                  [public_bucket()], exposure(40))  # fmt: skip
    assert "EU-FR" in result.profile.jurisdictions
    assert "FR-CNIL/notify-cnil" in _keys(result.obligations)


@pytest.mark.parametrize(
    ("certified", "flagged"),
    [([], True), (["*.amazonaws.test"], False), (["s3.eu-west-3.amazonaws.test"], False), (["other.test"], True)],
)
def test_hds_check_flags_storage_hosted_outside_the_certified_hosts(certified: list[str], flagged: bool) -> None:
    org = organisation(entity_type="eu-controller", jurisdictions=["EU-FR"], hds_certified_hosts=certified)
    result = evaluate_obligations(org, [public_bucket()], exposure(40))
    assert ("FR-HDS/use-hds-certified-host" in _keys(result.obligations)) is flagged
    if flagged:
        hds = _one(result.obligations, "FR-HDS/use-hds-certified-host")
        assert hds.status == "to-confirm"  # self-hosting is exempt: the user confirms it is a third party
        assert hds.citation.startswith("CSP L.1111-8")


def test_the_storage_probes_hds_finding_triggers_the_hds_duty() -> None:
    org = organisation(entity_type="fr-health-establishment", jurisdictions=["EU-FR"])
    result = evaluate_obligations(org, [hds_finding()], exposure(None))
    assert "FR-HDS/use-hds-certified-host" in _keys(result.obligations)


# ------------------------------------------------------------------ bad or missing profile


def test_an_unknown_jurisdiction_is_an_input_error_naming_the_supported_ones() -> None:
    with pytest.raises(InputError) as error:
        obligations_for(organisation(jurisdictions=["US-CA", "Mars"]), [public_bucket()], exposure(40))
    message = str(error.value)
    assert "Mars" in message and "US-CA" in message and "EU-FR" in message
    assert "\n" not in message


def test_an_unknown_jurisdiction_in_residents_is_an_input_error_too() -> None:
    with pytest.raises(InputError, match="residents"):
        obligations_for(organisation(residents={"CA": 10}), [public_bucket()], exposure(40))


def test_no_discovery_date_gives_duties_without_dates_and_a_question() -> None:
    result = evaluate_obligations(organisation(discovery_date=None), [public_bucket()], exposure(40))
    individuals = _one(result.obligations, "HIPAA/notify-individuals")
    assert individuals.deadline is None
    assert "without the discovery date" in individuals.reason
    assert "discovery-date" in _question_ids(result)


@pytest.mark.parametrize("entity_type", [None, "hospital"])
def test_an_unknown_entity_type_is_asked_not_guessed(entity_type: str | None) -> None:
    result = evaluate_obligations(organisation(entity_type=entity_type), [public_bucket()], exposure(40))
    assert "entity-type" in _question_ids(result)
    assert not any(o.regime in ("HIPAA", "FTC-HBNR") for o in result.obligations)
    assert any("entity type is unknown" in r for r in _skipped(result, "HIPAA/notify-individuals"))
    assert "US-CA/notify-residents" in _keys(result.obligations)  # jurisdiction-only rules still apply


def test_residents_of_a_state_not_listed_is_a_contradiction_to_resolve() -> None:
    result = evaluate_obligations(organisation(residents={"US-NY": 12}), [public_bucket()], exposure(40))
    assert "residents-US-NY" in _question_ids(result)
    assert not any(o.regime == "US-NY" for o in result.obligations)


def test_no_exposure_finding_means_no_notice_duty() -> None:
    tracker_only = tracking_leak()
    quiet = tracker_only.model_copy(update={"kind": "tracker-present", "data_categories": []})
    assert obligations_for(organisation(), [quiet], exposure(0)) == []


# ------------------------------------------------------------------ the contract


def test_assess_returns_the_contract_with_a_disclaimer() -> None:
    org = organisation(jurisdictions=["US-CA", "US-TX", "EU-FR"], residents={"US-CA": 400, "US-TX": 300})
    report = make_report([tracking_leak(), open_pacs(), public_bucket()], profile={"organisation": org})
    result = assess(report, exposure(700))
    assessment = result["assessment"]
    assert "not legal advice" in assessment["disclaimer"].lower()
    assert assessment["affected_individuals"] == 700
    assert assessment["risk_assessment"]["supports"] == "breach"
    assert assessment["hhs_portal"]["fields"]["Individuals Affected"]["value"] == 700
    assert any(q["id"] == "tracking-audience" for q in assessment["questions"])
    obligations = result["obligations"]
    assert obligations
    for item in obligations:
        assert set(item) >= CONTRACT_KEYS
        assert item["regime"] in REGIMES and item["citation"]
        if item["deadline"] is None:
            assert item["reason"]
        elif "T" in item["deadline"]:
            assert datetime.fromisoformat(item["deadline"]).tzinfo is not None
        else:
            date.fromisoformat(item["deadline"])
    dated = [o["deadline"][:10] for o in obligations if o["deadline"]]
    assert dated == sorted(dated)


def test_assess_on_a_scan_without_a_profile_asks_for_one() -> None:
    result = assess(make_report([public_bucket()]), exposure(40))
    assert result["obligations"] == []
    assert any(q["id"] == "profile" for q in result["assessment"]["questions"])
    assert "not legal advice" in result["assessment"]["disclaimer"].lower()


def test_assess_falls_back_to_a_floor_when_no_exposure_is_given() -> None:
    report = make_report([public_bucket(people=40)], profile={"organisation": organisation()})
    result = assess(report)
    assert result["assessment"]["affected_individuals"] == 40
    assert {o["duty"] for o in result["obligations"] if o["regime"] == "HIPAA"} >= {"notify-individuals"}


# ------------------------------------------------------------------ counts


@pytest.mark.parametrize(
    ("count", "op", "value", "expected"),
    [
        (Count(exact=499), ">=", 500, False),
        (Count(exact=500), ">=", 500, True),
        (Count(low=520, high=900), ">=", 500, True),
        (Count(low=400, high=700), ">=", 500, None),
        (Count(low=40), ">=", 500, None),  # a floor below the threshold settles nothing
        (Count(low=600), ">", 500, True),  # a floor above it does
        (Count(low=600), "<", 500, False),
        (Count(), ">=", 500, None),
    ],
)
def test_a_count_settles_a_threshold_only_when_it_can(count: Count, op: str, value: int,
                                                      expected: bool | None) -> None:  # fmt: skip
    assert count.compare(op, value) is expected


def test_the_exposure_can_be_an_object_or_a_dict() -> None:
    class Sized(BaseModel):
        affected_individuals: int | None
        estimate: dict[str, int] | None
        data_categories: list[str]
        recipients: list[dict[str, str]]
        kinds: list[str]

    model = Sized(affected_individuals=30, estimate={"low": 200, "high": 260}, data_categories=["email"],
                  recipients=[{"host": "t.test"}], kinds=["bucket-public-list"])  # fmt: skip
    facts = exposure_facts(model)
    assert facts.people == Count(low=200, high=260)  # with an interval, the observed 30 is a floor
    assert facts.data_categories == ("email",)
    assert exposure_facts({"affected_individuals": 7}).people == Count(exact=7)
