"""The lab framework with real processes on loopback: start, readiness, plan, idempotence, shutdown."""

from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phileak.errors import InputError
from phileak.lab import HttpReady, Lab, LabService, Runtime, ServiceState, ServiceStatus, TcpReady
from phileak.lab import plan as lab_plan
from phileak.lab.patients import synthetic_patients
from phileak.lab.ports import free_port, is_free
from phileak.lab.process import ProcessId, is_running
from phileak.lab.services import SERVICES, WWW
from phileak.lab.toml_text import dumps
from phileak.lab.www.__main__ import main as www_main
from phileak.lab.www.content import EXPORT_CSV, EXPORT_TXT, write_exports
from phileak.plan import load_plan


def get(port: int, path: str, method: str = "GET", body: bytes | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=body)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def body_of(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    text = connection.getresponse().read().decode()
    connection.close()
    return text


def by_name(statuses: list[ServiceStatus]) -> dict[str, ServiceStatus]:
    return {status.name: status for status in statuses}


def pid_alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")


@pytest.fixture
def www() -> LabService:
    """The real www service, on a port nobody else on this machine is using right now."""
    return replace(WWW, ports={"http": free_port()})


@pytest.fixture
def labs(tmp_path: Path) -> Iterator[list[Lab]]:
    """Labs a test creates; whatever they still run is stopped afterwards."""
    created: list[Lab] = []
    yield created
    for lab in created:
        lab.down()


def make_lab(labs: list[Lab], state_dir: Path, *services: LabService) -> Lab:
    lab = Lab(state_dir, services)
    labs.append(lab)
    return lab


def test_registry_services_contribute_plan_sections_the_contract_knows(tmp_path: Path) -> None:
    assert [service.name for service in SERVICES][:1] == ["www"]
    for service in SERVICES:
        runtime = Runtime(service.name, service.ports, tmp_path / service.name)
        assert service.argv(runtime), service.name
        if service.plan is not None:
            assert set(service.plan(runtime)) <= {"web", "dicom", "storage", "files", "har"}


def test_a_declaration_whose_readiness_port_is_undeclared_is_refused() -> None:
    with pytest.raises(ValueError, match="readiness port 'dicom' is not among its ports"):
        LabService("pacs", argv=lambda rt: ["x"], ports={"http": 1}, ready=TcpReady("dicom"))


def test_default_state_dir_comes_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHILEAK_LAB_DIR", str(tmp_path / "elsewhere"))
    assert Lab().plan_path == tmp_path / "elsewhere" / "plan.toml"
    monkeypatch.delenv("PHILEAK_LAB_DIR")
    monkeypatch.chdir(tmp_path)
    assert Lab().state_dir == tmp_path / ".phileak-lab"


def test_up_serves_the_site_and_writes_a_plan_for_it(
    tmp_path: Path, www: LabService, labs: list[Lab]
) -> None:
    lab = make_lab(labs, tmp_path / "lab", www)
    [status] = lab.up()
    assert status.state is ServiceState.RUNNING, status.report()
    port = status.ports["http"]
    assert port == www.ports["http"]

    for page in ("/", "/conditions/diabetes.html", "/find-a-doctor.html", "/portal/login.html"):
        assert get(port, page).status == 200, page
    booking = body_of(port, "/appointments/book.html")
    for autocomplete in ("name", "email", "tel", "bday"):
        assert f'autocomplete="{autocomplete}"' in booking
    assert "<script" not in body_of(port, "/")  # no trackers until the web-tracker issue adds them

    [running] = lab.status()
    assert (running.state, running.pid, running.ports) == (ServiceState.RUNNING, status.pid, status.ports)

    plan = tomllib.loads(lab.plan_path.read_text())
    assert plan["organisation"] == {
        "name": "Lab General Hospital",
        "entity_type": "covered-entity",
        "jurisdictions": ["US-CA", "EU-FR"],
        "discovery_date": date.today().isoformat(),
    }
    assert plan["scope"]["allow"] == ["*.lab-hospital.test", "127.0.0.1/32"]
    assert plan["web"] == [{"url": f"http://www.lab-hospital.test:{port}/"}]
    exports = Path(plan["files"][0]["path"])
    assert exports.is_absolute()
    assert {p.name for p in exports.iterdir()} == {EXPORT_CSV, EXPORT_TXT}
    assert plan["options"] == {"resolve": ["*=127.0.0.1"], "insecure": True}
    audit_plan = load_plan(lab.plan_path)
    assert [(t.probe, t.ref) for t in audit_plan.targets] == [
        ("web", f"http://www.lab-hospital.test:{port}/"),
        ("files", str(exports)),
    ]
    assert (lab.state_dir / "logs" / "www.log").read_text().count("GET /index.html") >= 1


def test_up_twice_leaves_the_running_service_alone(tmp_path: Path, www: LabService, labs: list[Lab]) -> None:
    lab = make_lab(labs, tmp_path / "lab", www)
    [first] = lab.up()
    [second] = Lab(tmp_path / "lab", [www]).up()
    assert second.state is ServiceState.RUNNING
    assert second.pid == first.pid
    assert second.detail == "already running"
    assert get(second.ports["http"], "/").status == 200


def test_down_stops_the_process_and_frees_its_port(tmp_path: Path, www: LabService, labs: list[Lab]) -> None:
    lab = make_lab(labs, tmp_path / "lab", www)
    [up] = lab.up()
    assert up.pid is not None and pid_alive(up.pid)

    [down] = lab.down()
    assert down.state is ServiceState.STOPPED
    assert not pid_alive(up.pid)
    assert is_free(up.ports["http"])
    assert not lab.plan_path.exists()
    assert json.loads(lab.state_path.read_text())["services"] == {}
    [after] = lab.status()
    assert (after.state, after.detail) == (ServiceState.STOPPED, "not running")
    [again] = lab.down()
    assert again.state is ServiceState.STOPPED


def test_a_service_never_ready_is_stopped_and_reported_with_its_log(
    tmp_path: Path, www: LabService, labs: list[Lab]
) -> None:
    never_ready = LabService(
        name="sleeper",
        argv=lambda rt: ["sh", "-c", 'echo "warming up as pid $$"; exec sleep 60'],
        ports={"dicom": 0},
        ready=TcpReady("dicom"),
        ready_timeout=1.0,
        stop_timeout=5.0,
    )
    lab = make_lab(labs, tmp_path / "lab", never_ready, www)
    statuses = by_name(lab.up())

    failed = statuses["sleeper"]
    assert failed.state is ServiceState.FAILED
    assert failed.detail.startswith("not ready after 1 s (tcp 127.0.0.1:")
    match = re.fullmatch(r"warming up as pid (\d+)", failed.log_tail[-1])
    assert match, failed.log_tail
    assert not pid_alive(int(match.group(1)))
    assert "warming up" in failed.report()

    assert statuses["www"].state is ServiceState.RUNNING
    assert get(statuses["www"].ports["http"], "/").status == 200
    assert "sleeper" not in json.loads(lab.state_path.read_text())["services"]
    assert by_name(lab.status())["sleeper"].state is ServiceState.STOPPED


def test_a_service_that_exits_early_is_reported_with_its_status(tmp_path: Path, labs: list[Lab]) -> None:
    crasher = LabService(
        name="crasher",
        argv=lambda rt: ["sh", "-c", "echo 'bad config line 3' >&2; exit 3"],
        ports={"http": 0},
        ready=HttpReady("http", "/health"),
        ready_timeout=60.0,
    )
    [status] = make_lab(labs, tmp_path / "lab", crasher).up()
    assert status.state is ServiceState.FAILED
    assert status.detail == "exited with status 3 before it was ready"
    assert status.log_tail == ("bad config line 3",)


def test_a_missing_binary_makes_a_service_unavailable_and_the_others_start(
    tmp_path: Path, www: LabService, labs: list[Lab]
) -> None:
    absent = LabService(
        "pacs", argv=lambda rt: ["/nonexistent/Orthanc"], ports={"http": 1}, ready=TcpReady("http")
    )
    unknown = replace(absent, name="s3", argv=lambda rt: ["phileak-no-such-binary"])
    lab = make_lab(labs, tmp_path / "lab", absent, unknown, www)
    statuses = by_name(lab.up())

    assert statuses["pacs"].state is ServiceState.UNAVAILABLE
    assert statuses["pacs"].line() == "pacs: unavailable: /nonexistent/Orthanc not found"
    assert statuses["s3"].line() == "s3: unavailable: phileak-no-such-binary not found on PATH"
    assert not statuses["s3"].ok
    assert statuses["www"].state is ServiceState.RUNNING
    plan = tomllib.loads(lab.plan_path.read_text())
    assert plan["web"] == [{"url": f"http://www.lab-hospital.test:{statuses['www'].ports['http']}/"}]
    assert "dicom" not in plan


def test_a_busy_default_port_is_replaced_and_the_plan_follows(
    tmp_path: Path, www: LabService, labs: list[Lab]
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        busy = squatter.getsockname()[1]
        lab = make_lab(labs, tmp_path / "lab", replace(www, ports={"http": busy}))
        [status] = lab.up()
        assert status.state is ServiceState.RUNNING
        port = status.ports["http"]
        assert port != busy
        assert f"port {busy} (http) is in use, using {port}" in status.detail
        assert get(port, "/").status == 200
        assert tomllib.loads(lab.plan_path.read_text())["web"][0]["url"].endswith(f":{port}/")


def test_a_stale_state_file_with_a_dead_pid_is_handled(
    tmp_path: Path, www: LabService, labs: list[Lab]
) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    state_dir = tmp_path / "lab"
    state_dir.mkdir()
    record = {
        "pid": dead.pid,
        "start_time": 1,
        "ports": {"http": www.ports["http"]},
        "data_dir": str(state_dir / "data" / "www"),
        "log": str(state_dir / "logs" / "www.log"),
    }
    (state_dir / "state.json").write_text(json.dumps({"version": 1, "services": {"www": record}}))
    lab = make_lab(labs, state_dir, www)

    [stale] = lab.status()
    assert stale.state is ServiceState.STOPPED
    assert stale.detail == f"not running (pid {dead.pid} has exited)"
    [started] = lab.up()
    assert started.state is ServiceState.RUNNING
    assert started.pid != dead.pid
    assert get(started.ports["http"], "/").status == 200


def test_a_recycled_pid_is_never_signalled(tmp_path: Path, labs: list[Lab]) -> None:
    bystander = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        state_dir = tmp_path / "lab"
        state_dir.mkdir()
        record = {"pid": bystander.pid, "start_time": 1, "ports": {}, "data_dir": str(state_dir), "log": "x"}
        (state_dir / "state.json").write_text(json.dumps({"services": {"old-pacs": record}}))
        lab = make_lab(labs, state_dir)

        assert lab.status()[0].state is ServiceState.STOPPED
        [down] = lab.down()
        assert down.detail == f"not running (pid {bystander.pid} had exited)"
        assert bystander.poll() is None
        assert not is_running(ProcessId(bystander.pid, 1))
    finally:
        bystander.kill()
        bystander.wait()


def test_down_also_stops_recorded_services_no_longer_declared(
    tmp_path: Path, www: LabService, labs: list[Lab]
) -> None:
    [up] = make_lab(labs, tmp_path / "lab", www).up()
    [down] = Lab(tmp_path / "lab", []).down()
    assert (down.name, down.state) == ("www", ServiceState.STOPPED)
    assert up.pid is not None and not pid_alive(up.pid)


def test_a_damaged_state_file_is_a_one_line_input_error(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(InputError, match=r"lab state file .*state\.json is unreadable") as caught:
        Lab(tmp_path, []).status()
    assert "\n" not in str(caught.value)
    (tmp_path / "state.json").write_text('{"services": {"www": {"pid": "12"}}}')
    with pytest.raises(InputError, match="is damaged"):
        Lab(tmp_path, []).up()


def test_setup_failure_is_reported_and_others_start(tmp_path: Path, www: LabService, labs: list[Lab]) -> None:
    def broken_setup(runtime: object) -> None:
        raise RuntimeError("config template missing")

    broken = replace(www, name="broken", setup=broken_setup, ports={"http": 0})
    statuses = by_name(make_lab(labs, tmp_path / "lab", broken, www).up())
    assert statuses["broken"].line() == "broken: failed: setup step failed: config template missing"
    assert statuses["www"].state is ServiceState.RUNNING


def test_www_accepts_forms_without_keeping_them_and_hides_listings(
    tmp_path: Path, www: LabService, labs: list[Lab]
) -> None:
    [status] = make_lab(labs, tmp_path / "lab", www).up()
    port = status.ports["http"]
    booked = get(port, "/appointments/book", "POST", b"name=Test+Person&dob=1970-01-01")
    assert (booked.status, booked.getheader("Location")) == (303, "/appointments/thanks.html")
    assert get(port, "/portal/login", "POST", b"username=x&password=y").status == 303
    assert get(port, "/nowhere", "POST", b"a=b").status == 404
    assert get(port, "/appointments/book", "POST", b"x" * (65 * 1024)).status == 413
    assert get(port, "/conditions/").status == 404
    assert "Test+Person" not in (tmp_path / "lab" / "logs" / "www.log").read_text()


def test_exports_are_synthetic_and_deterministic(tmp_path: Path) -> None:
    write_exports(tmp_path / "a")
    write_exports(tmp_path / "b")
    for name in (EXPORT_CSV, EXPORT_TXT):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    rows = (tmp_path / "a" / EXPORT_CSV).read_text().splitlines()
    assert rows[0].startswith("mrn,given_name,family_name,sex,date_of_birth,email,phone")
    assert len(rows) == 26
    patients = synthetic_patients()
    assert len({p.mrn for p in patients}) == len(patients)
    assert all(p.email.endswith("@example.com") and "-555-01" in p.phone for p in patients)
    assert "does not exist" in (tmp_path / "a" / EXPORT_TXT).read_text()


def test_plan_merges_fragments_in_contract_order_and_dedupes_scope() -> None:
    text = lab_plan.render(
        [
            {"files": [{"path": "/x"}]},
            {"storage": [{"url": "s3://lab-phi", "endpoint": "http://127.0.0.1:18333"}]},
            {"dicom": [{"target": "127.0.0.1:14242"}], "web": [{"url": "http://a.test/"}]},
        ],
        ["s3://lab-*", "127.0.0.1/32"],
        date(2026, 11, 20),
    )
    plan = tomllib.loads(text)
    assert list(plan) == ["organisation", "scope", "web", "dicom", "storage", "files", "options"]
    assert plan["scope"]["allow"] == ["*.lab-hospital.test", "127.0.0.1/32", "s3://lab-*"]
    assert plan["storage"] == [{"url": "s3://lab-phi", "endpoint": "http://127.0.0.1:18333"}]
    assert plan["organisation"]["discovery_date"] == "2026-11-20"


toml_scalars = st.one_of(st.text(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.dates())
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)


@given(st.dictionaries(st.text(min_size=0), toml_values, max_size=5), st.text())
def test_toml_writer_round_trips_through_tomllib(table: dict[str, object], name: str) -> None:
    document = {name: table, "entries": [table, {"k": "v"}]}
    assert tomllib.loads(dumps(document)) == document  # type: ignore[arg-type]


def test_toml_writer_escapes_and_refuses_what_toml_cannot_hold() -> None:
    tricky = 'quote " backslash \\ newline \n tab \t nul \x00 del \x7f bell \x07 é 😀'
    assert tomllib.loads(dumps({"t": {"s": tricky}}))["t"]["s"] == tricky
    with pytest.raises(ValueError, match="surrogate"):
        dumps({"t": {"s": "\ud800"}})
    with pytest.raises(TypeError, match="no TOML form for NoneType"):
        dumps({"t": {"s": None}})  # type: ignore[dict-item]


def test_the_www_module_refuses_a_root_without_pages(tmp_path: Path) -> None:
    assert www_main(["--port", "0", "--root", str(tmp_path)]) == 2
