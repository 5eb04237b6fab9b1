"""The passive level's in-process association check (probes/dicom/passive.py) against the real lab peers (four
Orthanc profiles and dcmqrscp) and hostile raw peers: it must say what the pynetdicom session in a child says,
attempt for attempt, and end every misbehaving peer within its budget.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import replace
from typing import Any

import pytest

from dicom_lab import RunningLab, shared_lab
from phileak.lab.ports import free_port
from phileak.phi.identity import IdentityHasher
from phileak.probes.dicom import dimse
from phileak.probes.dicom.passive import associate_rq, passive_session
from phileak.probes.dicom.records import AssociationState, SessionReport, SessionRequest, TcpState
from test_dicom_hostile import RawPeer, garbage, garbage_pdu, huge_length_then_stall, silent

HASHER = IdentityHasher(b"dicom-passive-test-key-0123456789")


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest) -> RunningLab:
    return shared_lab(request)


def request_for(port: int, address: str = "127.0.0.1", **overrides: Any) -> SessionRequest:
    request = SessionRequest(
        address=address,
        port=port,
        level="passive",
        identity=HASHER,
        calling_ae="PHILEAKPASSIVE1",
        move_destination="NODESTPASSIVE",
        budget_s=20.0,
        step_timeout_s=4.0,
    )
    return replace(request, **overrides)


def facts(report: SessionReport) -> dict[str, Any]:
    tls = report.tls
    return {
        "tcp": report.tcp,
        "attempts": [(a.called_ae, a.tls, a.state, a.reject.code() if a.reject else None) for a in report.attempts],
        "accepted_called_ae": report.accepted_called_ae,
        "implementation": (report.implementation_uid, report.implementation_version),
        "echo_status": report.echo_status,
        "tls": (tls.protocol, tls.subject, tls.self_signed) if tls else None,
        "speaks_dicom": report.speaks_dicom,
        "plain_dicom": report.plain_dicom,
    }


@pytest.mark.parametrize(
    ("service", "tls_first"),
    [
        ("orthanc-exposed", False),
        ("orthanc-default", False),
        ("orthanc-auth", False),
        ("orthanc-tls", False),
        ("orthanc-tls", True),
        ("dcmqrscp", False),
    ],
)
def test_passive_says_what_the_child_session_says(lab: RunningLab, service: str, tls_first: bool) -> None:
    request = request_for(lab.port(service), tls_first=tls_first)
    in_child = dimse.run_session(request)  # the pynetdicom session, run in this process here
    in_loop = asyncio.run(passive_session(request))

    assert facts(in_loop) == facts(in_child)
    assert in_loop.queries == [] and in_loop.counts is None and in_loop.move is None
    assert in_loop.errors == [] and not in_loop.deadline_hit


def test_the_lab_variants_read_as_expected(lab: RunningLab) -> None:
    exposed = asyncio.run(passive_session(request_for(lab.port("orthanc-exposed"))))
    assert [(a.called_ae, a.state) for a in exposed.attempts] == [("ANY-SCP", AssociationState.ACCEPTED)]
    assert exposed.echo_status == 0 and exposed.implementation_version is not None

    dcmqrscp = asyncio.run(passive_session(request_for(lab.port("dcmqrscp"))))
    assert dcmqrscp.attempts[0].reject is not None and dcmqrscp.attempts[0].reject.called_ae_unknown
    assert dcmqrscp.accepted_called_ae is not None and dcmqrscp.echo_status == 0

    tls = asyncio.run(passive_session(request_for(lab.port("orthanc-tls"))))
    assert [(a.tls, a.state) for a in tls.attempts] == [
        (False, AssociationState.CLOSED),
        (True, AssociationState.ACCEPTED),
    ]
    assert tls.tls is not None and tls.tls.protocol in ("TLSv1.2", "TLSv1.3") and not tls.plain_dicom


def test_nothing_listening_is_a_refused_tcp_connect_without_attempts() -> None:
    report = asyncio.run(passive_session(request_for(free_port())))
    assert (report.tcp, report.attempts, report.echo_status) == (TcpState.REFUSED, [], None)


def test_one_connection_per_attempt_and_no_bare_tcp_probe() -> None:
    """The first association's connection is the TCP check: a server sees exactly one connection."""
    connections: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)

    def reject_once() -> None:
        conn, _ = server.accept()
        with conn:
            conn.settimeout(2)
            connections.append(conn.recv(6))
            conn.sendall(bytes([0x03, 0, 0, 0, 0, 4, 0, 1, 1, 3]))  # A-ASSOCIATE-RJ: calling AE unknown

    async def run() -> SessionReport:
        serving = asyncio.get_running_loop().run_in_executor(None, reject_once)
        report = await passive_session(request_for(server.getsockname()[1]))
        await serving
        return report

    try:
        report = asyncio.run(run())
    finally:
        server.close()
    assert len(connections) == 1 and connections[0][0] == 0x01  # an A-ASSOCIATE-RQ, nothing before it
    [attempt] = report.attempts
    assert attempt.state is AssociationState.REJECTED
    assert attempt.reject is not None and attempt.reject.calling_ae_unknown


def against_raw_peer(behaviour: Any, **overrides: Any) -> tuple[SessionReport, float]:
    """A passive session against a raw peer on loopback, and how long it took."""
    peer = RawPeer("127.0.0.1", behaviour)
    try:
        started = time.monotonic()
        report = asyncio.run(passive_session(request_for(peer.port, **overrides)))
        return report, time.monotonic() - started
    finally:
        peer.close()


@pytest.mark.parametrize(
    ("behaviour", "states"),
    [
        (garbage, {AssociationState.NOT_DICOM}),
        (garbage_pdu, {AssociationState.NOT_DICOM}),
        (silent, {AssociationState.TIMEOUT}),
        (huge_length_then_stall, {AssociationState.NOT_DICOM}),
    ],
)
def test_hostile_peers_end_within_the_budget(behaviour: Any, states: set[AssociationState]) -> None:
    report, elapsed = against_raw_peer(behaviour, budget_s=3.0, step_timeout_s=1.0)
    assert elapsed < 3.5
    assert report.attempts, report
    fallback = {AssociationState.CLOSED, AssociationState.TIMEOUT, AssociationState.CONNECT_FAILED}  # the TLS try
    assert {a.state for a in report.attempts} <= states | fallback
    assert report.attempts[0].state in states
    assert not report.speaks_dicom and report.accepted_called_ae is None


def test_the_budget_ends_a_peer_that_answers_nothing() -> None:
    report, elapsed = against_raw_peer(silent, budget_s=1.0, step_timeout_s=10.0)
    assert elapsed < 1.5
    assert report.deadline_hit
    assert [a.state for a in report.attempts] == [AssociationState.TIMEOUT]


def test_the_request_carries_the_attempts_titles() -> None:
    from pynetdicom import pdu

    decoded = pdu.A_ASSOCIATE_RQ()
    decoded.decode(associate_rq("PHILEAKAB12", "ORTHANC"))
    assert (decoded.calling_ae_title, decoded.called_ae_title) == ("PHILEAKAB12", "ORTHANC")
    assert [item.abstract_syntax for item in decoded.presentation_context] == [
        "1.2.840.10008.1.1",
        "1.2.840.10008.5.1.4.1.2.1.1",
        "1.2.840.10008.5.1.4.1.2.2.1",
    ]
