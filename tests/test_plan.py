from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from phileak.errors import InputError
from phileak.plan import EntityType, load_plan

CONTRACT_PLAN = """
[organisation]
name = "Example Health"
entity_type = "covered-entity"
jurisdictions = ["US-CA", "US-TX", "EU-FR"]
discovery_date = 2026-11-20
residents = { "US-CA" = 400, "US-TX" = 300 }
hds_certified_hosts = []

[scope]
allow = ["*.example-health.test", "127.0.0.1/32", "s3://exh-*"]

[[web]]
url = "https://www.example-health.test/"
[[dicom]]
target = "127.0.0.1:4242"
[[storage]]
url = "s3://exh-reports"
endpoint = "http://127.0.0.1:8333"
[[files]]
path = "./exports"

[options]
resolve = ["*=127.0.0.1"]
insecure = true
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(text)
    return path


def test_contract_example_plan_parses(tmp_path: Path) -> None:
    plan = load_plan(write(tmp_path, CONTRACT_PLAN))
    assert plan.organisation.entity_type is EntityType.COVERED_ENTITY
    assert plan.organisation.discovery_date == date(2026, 11, 20)
    assert plan.organisation.residents == {"US-CA": 400, "US-TX": 300}
    assert plan.scope.allow == ["*.example-health.test", "127.0.0.1/32", "s3://exh-*"]
    assert plan.options.resolve == ["*=127.0.0.1"] and plan.options.insecure
    by_probe = {t.probe: t for t in plan.targets}
    assert by_probe["web"].ref == "https://www.example-health.test/"
    assert by_probe["dicom"].ref == "127.0.0.1:4242" and by_probe["dicom"].port == 4242
    assert by_probe["storage"].options == {"endpoint": "http://127.0.0.1:8333"}
    assert by_probe["storage"].host == "127.0.0.1"
    assert by_probe["files"].ref == str((tmp_path / "exports").resolve())
    profile = plan.profile()
    assert profile["organisation"]["name"] == "Example Health"
    assert profile["scope"] == plan.scope.allow


def test_discovery_datetime_keeps_offset(tmp_path: Path) -> None:
    text = CONTRACT_PLAN.replace("discovery_date = 2026-11-20", "discovery_date = 2026-11-20T15:30:00+01:00")
    plan = load_plan(write(tmp_path, text))
    assert isinstance(plan.organisation.discovery_date, datetime)
    assert plan.organisation.discovery_date.utcoffset() is not None


@pytest.mark.parametrize("quoted", ['"2026-11-20T00:00:00+09:00"', '"2026-11-20 00:00:00+09:00"'])
def test_a_quoted_discovery_date_time_keeps_its_offset(tmp_path: Path, quoted: str) -> None:
    text = CONTRACT_PLAN.replace("discovery_date = 2026-11-20", f"discovery_date = {quoted}")
    plan = load_plan(write(tmp_path, text))
    moment = plan.organisation.discovery_date
    assert isinstance(moment, datetime) and moment.utcoffset() == timedelta(hours=9)
    assert plan.profile()["organisation"]["discovery_date"] == "2026-11-20T00:00:00+09:00"


def test_a_quoted_date_stays_a_date(tmp_path: Path) -> None:
    plan = load_plan(write(tmp_path, CONTRACT_PLAN.replace("= 2026-11-20", '= "2026-11-20"')))
    assert plan.organisation.discovery_date == date(2026, 11, 20)
    assert not isinstance(plan.organisation.discovery_date, datetime)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[organisation\nname=1", "malformed TOML"),
        ("[scope]\nallow=[]", "missing [organisation]"),
        ('[organisation]\nname="x"\nentity_type="hospital"', "entity_type"),
        ('[organisation]\nname="x"\nentity_type="health-app"\n[[web]]\nurl="ftp://x.test/"', "not a web URL"),
        ('[organisation]\nname="x"\nentity_type="health-app"\n[[dicom]]\nport=1', "needs a string 'target'"),
        ('[organisation]\nname="x"\nentity_type="health-app"\n[[storage]]\nurl="ftp://b"', "unknown storage"),
        ('[organisation]\nname="x"\nentity_type="health-app"\n[mystery]\na=1', "unknown section"),
        ('[organisation]\nname="x"\nentity_type="health-app"\ndiscovery_date=2026-11-20T10:00:00', "offset"),
        ('[organisation]\nname="x"\ndiscovery_date="2026-11-20T10:00:00"', "offset"),
        ('[organisation]\nname="x"\ndiscovery_date="2026-11-20T25:00:00+01:00"', "discovery_date"),
        ('[organisation]\nname="x"\njurisdictions=["US-CA"]\nresidents={ "US-CA" = true }', "residents.US-CA"),
        ('[organisation]\nname="x"\njurisdictions=["US-CA"]\nresidents={ "US-CA" = "600" }', "residents.US-CA"),
        ('[organisation]\nname="x"\njurisdictions=["US-CA"]\nresidents={ "US-CA" = 600.0 }', "residents.US-CA"),
        ('[organisation]\nname="x"\njurisdictions=["US-CA"]\nresidents={ "US-CA" = -1 }', "residents.US-CA"),
        ('[organisation]\nname="x"\njurisdictions=["US-CA"]\nresidents={ "US-ZZ" = 1 }', "unknown jurisdiction"),
        ('[organisation]\nname="x"\njurisdictions=["XX-YY"]', "unknown jurisdiction"),
        ('[organisation]\nname="x"\ntimezone="Mars/Olympus"', "not an IANA time zone"),
    ],
)
def test_bad_plans_are_one_line_input_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        load_plan(write(tmp_path, text))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_plan_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_plan(tmp_path / "absent.toml")
