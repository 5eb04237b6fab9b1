"""The HIPAA four-factor risk assessment, the HHS portal fields and the draft notices, pre-filled from evidence
of a tracking leak, an open imaging server and a public bucket."""

from __future__ import annotations

from typing import Any

import pytest

from assess_cases import exposure, open_pacs, organisation, public_bucket, tracking_leak
from phileak.assess.facts import exposure_facts
from phileak.assess.hhs_portal import hhs_portal_fields
from phileak.assess.obligations import evaluate_obligations
from phileak.assess.profile import read_profile
from phileak.assess.risk import AGAINST, UNDETERMINED, hipaa_risk_assessment
from phileak.model import DataCategory as C
from phileak.model import Finding


def _risk(findings: list[Finding], people: int | None = 30, **org: Any) -> tuple[dict[str, Any], set[str]]:
    assessed = hipaa_risk_assessment(findings, exposure_facts(exposure(people)), read_profile(organisation(**org)))
    return assessed.data, {q.id for q in assessed.questions}


def _portal(findings: list[Finding], people: int | None = 30, **org: Any) -> dict[str, Any]:
    fields = hhs_portal_fields(findings, exposure_facts(exposure(people)), read_profile(organisation(**org)))
    return fields.data["fields"]


# ------------------------------------------------------------------ four factors


def test_a_pixel_firing_to_an_ad_platform_is_an_acquisition_and_supports_a_breach() -> None:
    data, questions = _risk([tracking_leak()])
    factors = {f["factor"]: f for f in data["factors"]}
    assert [f["factor"] for f in data["factors"]] == [f"164.402(2)({n})" for n in ("i", "ii", "iii", "iv")]
    assert factors["164.402(2)(iii)"]["finding"].startswith("Acquired")
    assert factors["164.402(2)(iii)"]["weighs"] == AGAINST
    assert factors["164.402(2)(ii)"]["weighs"] == AGAINST
    assert any("not HIPAA-regulated" in e for e in factors["164.402(2)(ii)"]["evidence"])
    assert data["supports"] == "breach"
    assert data["applies"] is True
    assert "mitigation-vendor" in questions  # deletion assurances and a BAA are for the user to confirm


@pytest.mark.parametrize("finding", [open_pacs(), public_bucket()], ids=["open-pacs", "public-bucket"])
def test_an_open_server_without_logs_cannot_rule_out_acquisition(finding: Finding) -> None:
    data, questions = _risk([finding])
    acquired = data["factors"][2]
    assert acquired["finding"].startswith("Cannot be ruled out")
    assert acquired["weighs"] == UNDETERMINED
    assert f"access-logs:{finding.target}" in questions
    assert data["supports"] == "breach-unless-rebutted"
    assert any("access logs" in item for item in data["to_confirm"])


def test_nature_and_extent_name_the_identifiers_and_their_weight() -> None:
    data, _ = _risk([open_pacs()], people=20)
    nature = data["factors"][0]
    evidence = " ".join(nature["evidence"])
    assert "20 individuals affected" in evidence
    assert "(A) person-name" in evidence and "(H) mrn" in evidence
    assert "medical images" in evidence and "dates of birth" in evidence
    assert nature["weighs"] == AGAINST


def test_an_ip_address_on_a_public_condition_page_carries_the_aha_caveat() -> None:
    leak = tracking_leak(context="condition-page", categories=[C.IP_ADDRESS, C.HEALTH_CONDITION])
    data, _ = _risk([leak])
    assert data["factors"][0]["weighs"] == UNDETERMINED
    assert any("AHA v. Becerra" in c for c in data["caveats"])
    # ...and that leak alone triggers no HIPAA duty.
    result = evaluate_obligations(organisation(), [leak], exposure(5))
    assert not any(o.regime == "HIPAA" for o in result.obligations)


def test_mitigation_is_never_assumed() -> None:
    data, questions = _risk([public_bucket()])
    assert data["factors"][3]["weighs"] == UNDETERMINED
    assert "mitigation-closed" in questions


def test_outside_hipaa_the_assessment_says_it_does_not_apply() -> None:
    data, _ = _risk([tracking_leak()], entity_type="health-app")
    assert data["applies"] is False


# ------------------------------------------------------------------ HHS portal fields


@pytest.mark.parametrize(
    "finding", [tracking_leak(), open_pacs(), public_bucket()], ids=["tracking", "open-server", "public-bucket"]
)
def test_portal_fields_for_each_kind_of_exposure(finding: Finding) -> None:
    fields = _portal([finding], people=620)
    assert fields["Type of Breach"]["value"] == "Unauthorized Access/Disclosure"
    assert fields["Location of Breached Information"]["value"] == "Network Server"
    assert fields["Individuals Affected"]["value"] == 620
    assert fields["Breach Affecting"]["value"] == "500 or More Individuals"
    assert fields["Name of Covered Entity"]["value"] == "Example Health"
    assert fields["State"]["value"] == "CA"
    assert fields["Covered Entity Type"]["value"] is None and fields["Covered Entity Type"]["confirm"]
    assert fields["Business Associate Present"] == {
        "value": "No", "basis": "no business associate known to the plan: confirm", "confirm": True,
    }  # fmt: skip


def test_portal_fields_for_a_business_associate_below_500() -> None:
    fields = _portal([open_pacs()], people=499, entity_type="business-associate")
    assert fields["Covered Entity Type"]["value"] == "Business Associate"
    assert fields["Business Associate Present"]["value"] == "Yes"
    assert fields["Breach Affecting"]["value"] == "Fewer Than 500 Individuals"


def test_portal_count_from_an_estimate_is_left_for_the_user() -> None:
    facts = exposure_facts(exposure(None, low=300, high=900))
    fields = hhs_portal_fields([public_bucket()], facts, read_profile(organisation())).data["fields"]
    assert fields["Individuals Affected"]["value"] is None
    assert "300-900" in fields["Individuals Affected"]["basis"]
    assert fields["Breach Affecting"]["value"] is None


# ------------------------------------------------------------------ draft notices


def test_the_hipaa_individual_notice_draft_is_filled_from_the_findings() -> None:
    result = evaluate_obligations(organisation(), [tracking_leak(), public_bucket()], exposure(40))
    draft = next(o for o in result.obligations if o.key == "HIPAA/notify-individuals").notice_draft
    assert draft is not None
    assert draft["marking"].startswith("DRAFT - not legal advice")
    sections = {s["ref"]: s for s in draft["sections"]}
    assert set(sections) == {f"164.404(c)(1)({x})" for x in "ABCDE"}
    assert "On 2026-11-20, Example Health discovered" in sections["164.404(c)(1)(A)"]["text"]
    assert "Meta (www.facebook.test)" in sections["164.404(c)(1)(A)"]["text"]
    assert "s3://exh-reports" in sections["164.404(c)(1)(A)"]["text"]
    assert "laboratory results" in sections["164.404(c)(1)(B)"]["text"] and sections["164.404(c)(1)(B)"]["complete"]
    assert "Block Public Access" in sections["164.404(c)(1)(D)"]["text"]
    assert not sections["164.404(c)(1)(E)"]["complete"]  # contact details: only the organisation knows them
    assert draft["form"] == ["Written in plain language (164.404(c)(2))"]
    assert draft["text"].startswith("DRAFT") and "Send by: 2027-01-19" in draft["text"]


def test_the_california_notice_carries_its_prescribed_title() -> None:
    result = evaluate_obligations(organisation(), [open_pacs()], exposure(20))
    draft = next(o for o in result.obligations if o.key == "US-CA/notify-residents").notice_draft
    assert draft is not None and draft["title"] == "Notice of Data Breach"


def test_the_gdpr_notice_gives_numbers_and_consequences() -> None:
    org = organisation(entity_type="eu-controller", jurisdictions=["EU-DE"])
    result = evaluate_obligations(org, [public_bucket()], exposure(40))
    draft = next(o for o in result.obligations if o.key == "GDPR/notify-supervisory-authority").notice_draft
    assert draft is not None
    texts = {s["element"]: s["text"] for s in draft["sections"]}
    numbers = texts["Categories and approximate numbers of data subjects and records"]
    assert numbers.startswith("40 people; 12 stored objects")
    assert "anyone could have copied" in texts["The likely consequences of the breach"]
