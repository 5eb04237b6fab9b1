"""Hostile and odd DICOM peers, written here in Python on loopback: every one ends as a per-target outcome within
phileak's limit, the scan goes on, and nothing crashes. Also: honeypot signs, the response cap, and one
association per host at a time.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pynetdicom import AE, evt
from pynetdicom.events import EventHandlerType

from phileak.model import OutcomeStatus, Scan
from phileak.phi.identity import IdentityHasher
from phileak.probes.base import Limits, ScanContext
from phileak.probes.dicom.probe import DicomProbe
from phileak.runner import Runner
from phileak.scope import Scope
from phileak.store import Store
from phileak.targets import parse_target

SCAN_ID = "scan-dicom-hostile"
LIMIT_S = 10.0
VERIFICATION = "1.2.840.10008.1.1"
PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
PYNETDICOM_UID = "1.2.826.0.1.3680043.9.3811.2.0.1"  # DICOMHawk's default implementation class UID

# ---------------------------------------------------------------- raw TCP peers


class RawPeer:
    """Accepts connections on `address` and hands each to `behaviour` in its own thread."""

    def __init__(self, address: str, behaviour: Callable[[socket.socket], None]) -> None:
        self._server = socket.create_server((address, 0))
        self.address = address
        self.port: int = self._server.getsockname()[1]
        self._behaviour = behaviour
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def target(self) -> str:
        return f"{self.address}:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection, suppress(OSError):
            self._behaviour(connection)

    def close(self) -> None:
        self._stop.set()
        self._server.close()


def _drain(connection: socket.socket, seconds: float) -> None:
    connection.settimeout(seconds)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if not connection.recv(65536):
                return
        except TimeoutError:
            return


def garbage(connection: socket.socket) -> None:
    connection.settimeout(2)
    connection.recv(4096)
    connection.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n" * 4)
    _drain(connection, 2)


def garbage_pdu(connection: socket.socket) -> None:
    connection.settimeout(2)
    connection.recv(4096)
    connection.sendall(b"\x02\x00\x00\x00\x00\x04\xff\xff\xff\xff")  # an A-ASSOCIATE-AC too short to be one
    _drain(connection, 2)


def silent(connection: socket.socket) -> None:
    _drain(connection, 30)


def huge_length_then_stall(connection: socket.socket) -> None:
    connection.settimeout(2)
    connection.recv(4096)
    connection.sendall(b"\x02\x00\x7f\xff\xff\xff" + bytes(10))  # announces 2 GB, sends 10 bytes
    _drain(connection, 30)


# ---------------------------------------------------------------- pynetdicom peers


@dataclass
class ScpPeer:
    address: str
    port: int
    server: Any
    associations: list[int] = field(default_factory=list)

    @property
    def target(self) -> str:
        return f"{self.address}:{self.port}"


def patient(index: int) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "PATIENT"
    ds.PatientID = f"HOSTILE-{index:04d}"
    ds.PatientName = f"Decoy^Person{index}"
    return ds


def endless_find(event: Any) -> Iterator[tuple[int, Dataset | None]]:
    index = 0
    while event.assoc.is_established and not event.is_cancelled and index < 100_000:
        yield 0xFF00, patient(index % 7)
        index += 1
        time.sleep(0.01)


def abort_mid_query(event: Any) -> Iterator[tuple[int, Dataset | None]]:
    for index in range(3):
        yield 0xFF00, patient(index)
    event.assoc.abort()


def two_patients(event: Any) -> Iterator[tuple[int, Dataset | None]]:
    level = event.identifier.QueryRetrieveLevel
    for index in range(2):
        ds = patient(index)
        ds.QueryRetrieveLevel = level
        if level == "STUDY":
            ds.StudyInstanceUID = f"1.2.3.4.{index}"
            ds.ModalitiesInStudy = "CT"
        yield 0xFF00, ds
    yield 0x0000, None


def limited_find(event: Any) -> Iterator[tuple[int, Dataset | None]]:
    """An archive with a result limit (Orthanc's LimitFindResults): some matches, then 0xFE00."""
    level = event.identifier.QueryRetrieveLevel
    for index in range(3):
        ds = patient(index)
        ds.QueryRetrieveLevel = level
        if level == "STUDY":
            ds.StudyInstanceUID = f"1.2.3.5.{index}"
        yield 0xFF00, ds
    yield 0xFE00, None


def out_of_resources_at_patient_level(event: Any) -> Iterator[tuple[int, Dataset | None]]:
    """Patient Root refused for its size (0xA700 Out of Resources); Study Root answered."""
    if event.identifier.QueryRetrieveLevel == "PATIENT":
        yield 0xA700, None
        return
    yield from two_patients(event)


def out_of_resources(event: Any) -> Iterator[tuple[int, Dataset | None]]:
    yield 0xA700, None


def no_match(event: Any) -> Iterator[tuple[int, Dataset | None]]:
    yield 0x0000, None


def start_scp(
    address: str,
    find: Callable[[Any], Iterator[tuple[int, Dataset | None]]],
    *,
    version_name: str | None = None,
    uid: str | None = None,
    echo_delay_s: float = 0.0,
    active: list[int] | None = None,
) -> ScpPeer:
    ae = AE(ae_title="HOSTILE")
    for context in (VERIFICATION, PATIENT_ROOT_FIND, STUDY_ROOT_FIND):
        ae.add_supported_context(context)
    if version_name:
        ae.implementation_version_name = version_name
    if uid:
        ae.implementation_class_uid = uid
    gauge = active if active is not None else [0, 0]  # associations [established now, most at once]
    established: set[int] = set()

    def on_established(event: Any) -> None:
        established.add(id(event.assoc))
        gauge[0] += 1
        gauge[1] = max(gauge[1], gauge[0])

    def on_ended(event: Any) -> None:
        if id(event.assoc) in established:
            established.discard(id(event.assoc))
            gauge[0] -= 1

    def on_echo(event: Any) -> int:
        time.sleep(echo_delay_s)
        return 0x0000

    handlers: list[EventHandlerType] = [
        (evt.EVT_C_FIND, find),
        (evt.EVT_C_ECHO, on_echo),
        (evt.EVT_ESTABLISHED, on_established),
        (evt.EVT_RELEASED, on_ended),
        (evt.EVT_ABORTED, on_ended),
        (evt.EVT_CONN_CLOSE, on_ended),
    ]
    server = ae.start_server((address, 0), block=False, evt_handlers=handlers)
    assert server is not None
    return ScpPeer(address, server.server_address[1], server, gauge)


# ---------------------------------------------------------------- running the probe


def context(options: dict[str, Any] | None = None, limit_s: float = LIMIT_S) -> ScanContext:
    return ScanContext(
        scan_id=SCAN_ID,
        scope=Scope.from_rules(["127.0.0.0/8"]),
        identity=IdentityHasher(b"dicom-hostile-test-key-0123456"),
        limits=Limits(timeout_s=limit_s, retries=0),
        options={"level": "standard", **(options or {})},
    )


@contextmanager
def store_at(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(str(tmp_path / "hostile.db"))
    store.create_scan(Scan(id=SCAN_ID, targets=[]))
    try:
        yield store
    finally:
        store.close()


def scan(store: Store, targets: list[str], ctx: ScanContext) -> float:
    started = time.monotonic()
    asyncio.run(Runner(store, ctx, {"dicom": DicomProbe()}).run([parse_target("dicom", t) for t in targets]))
    return time.monotonic() - started


@pytest.fixture(scope="module")
def raw_peers() -> Iterator[dict[str, RawPeer]]:
    peers = {
        "garbage": RawPeer("127.0.0.11", garbage),
        "garbage-pdu": RawPeer("127.0.0.12", garbage_pdu),
        "silent": RawPeer("127.0.0.13", silent),
        "huge-length": RawPeer("127.0.0.14", huge_length_then_stall),
    }
    yield peers
    for peer in peers.values():
        peer.close()


@pytest.fixture(scope="module")
def scp_peers() -> Iterator[dict[str, ScpPeer]]:
    peers = {
        "endless": start_scp("127.0.0.21", endless_find),
        "aborting": start_scp("127.0.0.22", abort_mid_query),
        "benign": start_scp("127.0.0.23", two_patients),
        "honeypot": start_scp("127.0.0.24", two_patients, version_name="ORTHANC", uid=PYNETDICOM_UID),
        "limited": start_scp("127.0.0.25", limited_find),
        "a700-patient-root": start_scp("127.0.0.26", out_of_resources_at_patient_level),
        "a700": start_scp("127.0.0.27", out_of_resources),
        "empty": start_scp("127.0.0.28", no_match),
    }
    yield peers
    for peer in peers.values():
        peer.server.shutdown()


def test_every_hostile_peer_is_a_per_target_error_within_the_limit(
    tmp_path: Path, raw_peers: dict[str, RawPeer], scp_peers: dict[str, ScpPeer]
) -> None:
    targets = {name: peer.target for name, peer in raw_peers.items()}
    targets.update({name: scp_peers[name].target for name in ("endless", "aborting", "benign")})
    with store_at(tmp_path) as store:
        elapsed = scan(store, list(targets.values()), context())
        outcomes = {outcome.target: outcome for outcome in store.outcomes(SCAN_ID)}
        findings = store.findings(SCAN_ID)

    assert elapsed < LIMIT_S + 4.0  # every target ran at once, each under its own limit
    reasons = {name: (outcomes[t].status, outcomes[t].reason or "") for name, t in targets.items()}
    for name in ("garbage", "garbage-pdu"):
        assert reasons[name][0] is OutcomeStatus.ERROR
        assert "does not speak DICOM" in reasons[name][1], reasons[name]
    for name in ("silent", "huge-length"):
        assert reasons[name][0] in (OutcomeStatus.ERROR, OutcomeStatus.TIMEOUT)
        assert "never answered" in reasons[name][1] or "budget" in reasons[name][1], reasons[name]
    assert reasons["endless"][0] is OutcomeStatus.ERROR
    assert "did not finish within phileak's time budget" in reasons["endless"][1]
    assert reasons["aborting"][0] is OutcomeStatus.ERROR
    assert "mid-query after 3 answers" in reasons["aborting"][1]
    assert reasons["benign"] == (OutcomeStatus.OK, "")
    # what the misbehaving servers did expose is still reported, marked incomplete
    exposed = {f.target: f for f in findings if f.kind == "dicom-query-exposed"}
    assert exposed[targets["aborting"]].evidence.model_dump()["complete"] is False
    assert exposed[targets["aborting"]].title.endswith("at least 3 patients exposed")
    assert exposed[targets["endless"]].affected_individuals == 7
    assert exposed[targets["benign"]].affected_individuals == 2
    assert not any(f.target in (targets["garbage"], targets["silent"]) for f in findings)


def test_at_passive_every_raw_hostile_peer_is_a_per_target_error_within_the_limit(
    tmp_path: Path, raw_peers: dict[str, RawPeer], scp_peers: dict[str, ScpPeer]
) -> None:
    """Passive runs in phileak's own event loop (no child process): the same peers end the same way."""
    targets = {name: peer.target for name, peer in raw_peers.items()}
    targets["benign"] = scp_peers["benign"].target
    with store_at(tmp_path) as store:
        elapsed = scan(store, list(targets.values()), context({"level": "passive"}, limit_s=4.0))
        outcomes = {outcome.target: outcome for outcome in store.outcomes(SCAN_ID)}
        kinds = {(f.target, f.kind) for f in store.findings(SCAN_ID)}

    assert elapsed < 4.0 + 3.0
    reasons = {name: (outcomes[t].status, outcomes[t].reason or "") for name, t in targets.items()}
    for name in ("garbage", "garbage-pdu", "huge-length"):
        assert reasons[name][0] is OutcomeStatus.ERROR
        assert "does not speak DICOM" in reasons[name][1], reasons[name]
    assert reasons["silent"][0] in (OutcomeStatus.ERROR, OutcomeStatus.TIMEOUT)
    assert "never answered" in reasons["silent"][1] or "budget" in reasons["silent"][1], reasons["silent"]
    assert reasons["benign"] == (OutcomeStatus.OK, "")
    assert (targets["benign"], "dicom-association-open") in kinds
    assert not any(target == targets["garbage"] for target, _ in kinds)


def test_the_response_cap_ends_an_endless_query_without_an_error(tmp_path: Path, scp_peers: dict[str, ScpPeer]) -> None:
    target = scp_peers["endless"].target
    with store_at(tmp_path) as store:
        scan(store, [target], context({"dicom_max_responses": 40}))
        [outcome] = store.outcomes(SCAN_ID)
        exposed = [f for f in store.findings(SCAN_ID) if f.kind == "dicom-query-exposed"]

    assert outcome.status is OutcomeStatus.OK, outcome.reason
    [finding] = exposed
    evidence = finding.evidence.model_dump()
    assert evidence["capped"] is True and evidence["complete"] is False
    assert [q["responses"] for q in evidence["queries"]][:2] == [40, 40]
    assert finding.affected_individuals == 7  # 40 answers, 7 distinct people


def test_a_dicomhawk_like_identity_is_flagged_and_not_counted(tmp_path: Path, scp_peers: dict[str, ScpPeer]) -> None:
    with store_at(tmp_path) as store:
        scan(store, [scp_peers["honeypot"].target], context())
        findings = {f.kind: f for f in store.findings(SCAN_ID)}

    honeypot = findings["dicom-honeypot-suspected"]
    codes = {sign["code"] for sign in honeypot.evidence.model_dump()["signs"]}
    assert {"version-name-orthanc", "pynetdicom-in-disguise"} <= codes
    exposed = findings["dicom-query-exposed"]
    assert exposed.affected_individuals is None
    assert exposed.evidence.model_dump()["patients"] == 2
    assert "not counted" in exposed.title


def test_one_association_per_host_at_a_time(tmp_path: Path) -> None:
    shared = [0, 0]
    first = start_scp("127.0.0.31", two_patients, echo_delay_s=0.4, active=shared)
    second = start_scp("127.0.0.31", two_patients, echo_delay_s=0.4, active=shared)
    try:
        with store_at(tmp_path) as store:
            scan(store, [first.target, second.target], context({"level": "passive"}))
            assert {o.status for o in store.outcomes(SCAN_ID)} == {OutcomeStatus.OK}
        assert shared == [0, 1]

        # Control: two probes (no shared lock) on the same host do overlap, so the gauge can see it.
        async def unshared() -> None:
            ctx = context({"level": "passive"})

            async def one(target: str) -> None:
                async for _ in DicomProbe().scan(parse_target("dicom", target), ctx):
                    pass

            await asyncio.gather(one(first.target), one(second.target))

        asyncio.run(unshared())
        assert shared[1] == 2
    finally:
        first.server.shutdown()
        second.server.shutdown()


def test_a_server_result_limit_is_a_floor_not_an_exact_count_nor_an_error(
    tmp_path: Path, scp_peers: dict[str, ScpPeer]
) -> None:
    """0xFE00 after matches is the server's own limit: the count is "at least", the audit sizes it as a floor
    with no ceiling, and the STUDY level is still asked."""
    from phileak.assess.sizing import size_exposure
    from phileak.model import ScanReport

    with store_at(tmp_path) as store:
        scan(store, [scp_peers["limited"].target], context())
        [outcome] = store.outcomes(SCAN_ID)
        findings = store.findings(SCAN_ID)
        report = ScanReport(scan=store.get_scan(SCAN_ID), findings=findings, outcomes=[outcome])
    assert outcome.status is OutcomeStatus.OK, outcome.reason
    [exposed] = [f for f in findings if f.kind == "dicom-query-exposed"]
    evidence = exposed.evidence.model_dump()
    assert evidence["complete"] is False and "at least 3 patients" in exposed.title
    assert [q["level"] for q in evidence["queries"]][:2] == ["PATIENT", "STUDY"]
    assert "result limit" in evidence["stopped"]
    exposure = size_exposure(report)
    assert exposure.precision == "lower-bound" and exposure.affected_individuals == 3
    assert exposure.estimate is not None and exposure.estimate.high is None


def test_out_of_resources_is_not_a_refusal(tmp_path: Path, scp_peers: dict[str, ScpPeer]) -> None:
    """0xA700 at the PATIENT level and answers at the STUDY level: exposed. 0xA700 everywhere: unknown, not
    'not exposed'."""
    with store_at(tmp_path) as store:
        scan(store, [scp_peers["a700-patient-root"].target, scp_peers["a700"].target], context())
        findings = store.findings(SCAN_ID)
    by_target = {(f.target, f.kind): f for f in findings}
    exposed = by_target[(scp_peers["a700-patient-root"].target, "dicom-query-exposed")]
    assert exposed.affected_individuals == 2
    assert (scp_peers["a700"].target, "dicom-find-refused") not in by_target
    failed = by_target[(scp_peers["a700"].target, "dicom-find-failed")]
    assert failed.severity.value == "low" and "0xA700" in failed.title


def test_an_open_empty_archive_exposes_zero_people_not_an_unknown_number(
    tmp_path: Path, scp_peers: dict[str, ScpPeer]
) -> None:
    with store_at(tmp_path) as store:
        scan(store, [scp_peers["empty"].target], context())
        [exposed] = [f for f in store.findings(SCAN_ID) if f.kind == "dicom-query-exposed"]
    assert exposed.affected_individuals == 0 and exposed.evidence.model_dump()["patients"] == 0


def test_a_checked_called_ae_title_is_not_access_control(tmp_path: Path) -> None:
    """The server answers anyone who calls it by its own title: without that title phileak says the title is
    checked (low, not 'refuses unknown callers'), and with --called-ae it finds the open query."""
    ae = AE(ae_title="RADPACS01")
    ae.require_called_aet = True
    for sop_class in (VERIFICATION, PATIENT_ROOT_FIND, STUDY_ROOT_FIND):
        ae.add_supported_context(sop_class)
    server = ae.start_server(("127.0.0.29", 0), block=False, evt_handlers=[(evt.EVT_C_FIND, two_patients)])
    target = f"127.0.0.29:{server.server_address[1]}"
    try:
        with store_at(tmp_path) as store:
            scan(store, [target], context())
            [refused] = [f for f in store.findings(SCAN_ID) if f.kind == "dicom-association-refused"]
        assert refused.severity.value == "low" and "not access control" in refused.title
        assert "--called-ae" in refused.remediation
        (tmp_path / "again").mkdir()
        with store_at(tmp_path / "again") as store:
            scan(store, [target], context({"dicom_called_aes": ["RADPACS01"]}))
            kinds = {f.kind: f for f in store.findings(SCAN_ID)}
        assert kinds["dicom-query-exposed"].affected_individuals == 2
    finally:
        server.shutdown()
