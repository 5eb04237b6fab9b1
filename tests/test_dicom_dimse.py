"""The DIMSE session (association, C-ECHO, C-FIND counting, C-MOVE check) against real Orthanc and dcmqrscp.

The session runs in this process here (the probe runs it in a child); the lab's synthetic studies give the
exact counts to expect.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from dicom_lab import EXPECTED, RunningLab, shared_lab
from phileak.lab.dicom_data import synthetic_studies
from phileak.lab.ports import free_port
from phileak.phi.identity import IdentityHasher
from phileak.probes.dicom import dimse
from phileak.probes.dicom.records import (
    AssociationState,
    FindState,
    MoveState,
    SessionReport,
    SessionRequest,
    TcpState,
)

HASHER = IdentityHasher(b"dicom-dimse-test-key-0123456789")
FIRST_MONTH = EXPECTED.first_study.strftime("%Y-%m")
LAST_MONTH = EXPECTED.last_study.strftime("%Y-%m")


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest) -> RunningLab:
    return shared_lab(request)


def session(port: int, level: str = "standard", **overrides: Any) -> SessionReport:
    request = SessionRequest(
        address="127.0.0.1",
        port=port,
        level=level,  # type: ignore[arg-type]
        identity=HASHER,
        calling_ae="PHILEAKTEST0001",
        move_destination="NODESTTEST01",
        budget_s=30.0,
        step_timeout_s=5.0,
    )
    return dimse.run_session(replace(request, **overrides))


def outcomes(report: SessionReport) -> list[tuple[str, bool, AssociationState, str | None]]:
    return [(a.called_ae, a.tls, a.state, a.reject.code() if a.reject else None) for a in report.attempts]


def test_dcmqrscp_checks_the_called_ae_and_counts_with_a_series_fallback(lab: RunningLab) -> None:
    report = session(lab.port("dcmqrscp"))

    assert outcomes(report) == [
        ("ANY-SCP", False, AssociationState.REJECTED, "1/1/7"),
        ("ORTHANC", False, AssociationState.REJECTED, "1/1/7"),
        ("DCMQRSCP", False, AssociationState.ACCEPTED, None),
    ]
    assert report.attempts[0].reject is not None
    assert report.attempts[0].reject.describe() == "rejected-permanent by service-user: called AE title not recognised"
    assert (report.echo_status, report.implementation_version) == (0, "OFFIS_DCMTK_367")
    counts = report.counts
    assert counts is not None
    assert (counts.patients, counts.studies) == (EXPECTED.patients, EXPECTED.studies)
    assert counts.modalities == EXPECTED.modalities
    assert (counts.modality_source, counts.modality_studies_examined) == ("series", EXPECTED.studies)
    assert (counts.first_study_month, counts.last_study_month) == (FIRST_MONTH, LAST_MONTH)
    assert counts.instances is None  # dcmqrscp leaves NumberOfStudyRelatedInstances empty
    assert len(set(counts.person_hashes)) == EXPECTED.patients
    assert all(h.startswith("h:") for h in counts.person_hashes)
    assert 0 < len(counts.sample_names) <= 3 and all("*" in name for name in counts.sample_names)
    assert [q.state for q in report.queries] == [FindState.COMPLETE] * 3
    assert report.problems == [] and not report.deadline_hit


def test_exposed_orthanc_reports_modalities_in_study_and_its_own_ae(lab: RunningLab) -> None:
    report = session(lab.port("orthanc-exposed"))

    assert outcomes(report) == [("ANY-SCP", False, AssociationState.ACCEPTED, None)]
    counts = report.counts
    assert counts is not None
    assert (counts.patients, counts.studies, counts.instances) == (EXPECTED.patients, EXPECTED.studies, 60)
    assert (counts.modalities, counts.modality_source) == (EXPECTED.modalities, "ModalitiesInStudy")
    assert report.retrieve_ae == "ORTHANC"
    assert {"PatientName", "PatientBirthDate", "PatientID", "StudyDescription", "ReferringPhysicianName"} <= set(
        counts.exposed_attributes
    )
    assert [(q.level, q.state, q.responses) for q in report.queries] == [
        ("PATIENT", FindState.COMPLETE, EXPECTED.patients),
        ("STUDY", FindState.COMPLETE, EXPECTED.studies),
    ]


def test_person_hashes_agree_across_servers_and_with_the_hasher(lab: RunningLab) -> None:
    orthanc, qrscp = session(lab.port("orthanc-exposed")), session(lab.port("dcmqrscp"))
    expected = {HASHER.person(id_value=s.patient.mrn, id_kind="mrn") for s in synthetic_studies()}
    assert orthanc.counts is not None and qrscp.counts is not None
    assert set(orthanc.counts.person_hashes) == set(qrscp.counts.person_hashes) == expected


def test_default_orthanc_accepts_anyone_but_aborts_their_c_find(lab: RunningLab) -> None:
    report = session(lab.port("orthanc-default"))

    assert outcomes(report) == [("ANY-SCP", False, AssociationState.ACCEPTED, None)]
    assert report.echo_status == 0
    assert [(q.level, q.state, q.responses) for q in report.queries] == [("PATIENT", FindState.REFUSED, 0)]
    assert report.find_state is FindState.REFUSED
    assert report.counts is not None and report.counts.patients is None


def test_authenticated_orthanc_checks_the_called_ae_and_refuses_c_find(lab: RunningLab) -> None:
    report = session(lab.port("orthanc-auth"))

    assert outcomes(report) == [
        ("ANY-SCP", False, AssociationState.REJECTED, "1/1/7"),
        ("ORTHANC", False, AssociationState.ACCEPTED, None),
    ]
    assert report.find_state is FindState.REFUSED


def test_tls_orthanc_closes_plain_associations_and_counts_over_tls(lab: RunningLab) -> None:
    report = session(lab.port("orthanc-tls"))

    [plain, tls] = report.attempts
    assert (plain.tls, plain.state) == (False, AssociationState.CLOSED)
    assert (tls.tls, tls.state) == (True, AssociationState.ACCEPTED)
    assert report.tls is not None
    assert report.tls.protocol in ("TLSv1.2", "TLSv1.3")
    assert report.tls.subject == report.tls.issuer == "CN=pacs-tls.lab-hospital.test"
    assert report.tls.self_signed is True
    assert report.tls.not_after is not None and datetime.fromisoformat(report.tls.not_after) > datetime.now(UTC)
    assert report.counts is not None and report.counts.patients == EXPECTED.patients
    assert not report.plain_dicom


def test_a_dicom_tls_target_starts_with_tls(lab: RunningLab) -> None:
    report = session(lab.port("orthanc-tls"), level="passive", tls_first=True)
    assert outcomes(report) == [("ANY-SCP", True, AssociationState.ACCEPTED, None)]
    assert report.echo_status == 0


@pytest.mark.parametrize(
    ("service", "state", "status"),
    [
        ("orthanc-exposed", MoveState.ACCEPTED, 0xC000),  # DicomAlwaysAllowMove: destination unknown
        ("dcmqrscp", MoveState.ACCEPTED, 0xA801),  # refused: move destination unknown
        ("orthanc-default", MoveState.REFUSED, None),  # aborted
    ],
)
def test_retrieval_check_reads_each_vendors_answer_to_a_move_to_nowhere(
    lab: RunningLab, service: str, state: MoveState, status: int | None
) -> None:
    report = session(lab.port(service), level="intrusive")
    assert report.move is not None
    assert (report.move.state, report.move.status) == (state, status)
    assert report.move.used_real_study is (service != "orthanc-default")


def test_lower_levels_do_less(lab: RunningLab) -> None:
    passive = session(lab.port("orthanc-exposed"), level="passive")
    assert (passive.echo_status, passive.queries, passive.counts, passive.move) == (0, [], None, None)
    standard = session(lab.port("orthanc-exposed"))
    assert standard.move is None and standard.counts is not None


def test_the_response_cap_stops_reading_and_aborts(lab: RunningLab) -> None:
    report = session(lab.port("orthanc-exposed"), max_responses=10)

    assert [(q.level, q.state, q.responses) for q in report.queries][:2] == [
        ("PATIENT", FindState.CAPPED, 10),
        ("STUDY", FindState.CAPPED, 10),
    ]
    assert report.counts is not None and report.counts.capped
    assert report.counts.patients is not None and 10 <= report.counts.patients < EXPECTED.patients
    # each capped query ended its association; the next step opened a fresh one
    assert [a.state for a in report.attempts] == [AssociationState.ACCEPTED] * 3


def test_the_series_fallback_is_bounded(lab: RunningLab) -> None:
    report = session(lab.port("dcmqrscp"), series_fallback_studies=5)
    assert report.counts is not None
    assert report.counts.modality_studies_examined == 5
    assert sum(report.counts.modalities.values()) == 5
    assert report.counts.studies == EXPECTED.studies


def test_nothing_listening_is_a_refused_tcp_connect() -> None:
    report = session(free_port(), level="passive")
    assert (report.tcp, report.attempts) == (TcpState.REFUSED, [])


def test_pynetdicom_debug_logs_carry_no_identifier(
    lab: RunningLab, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even with pynetdicom logging everything, the session keeps identifiers out of its log lines."""
    quiet = dimse._quiet_libraries

    def identifiers_off_but_loud() -> None:
        quiet()
        library = logging.getLogger("pynetdicom")
        library.propagate = True
        library.setLevel(logging.DEBUG)

    monkeypatch.setattr(dimse, "_quiet_libraries", identifiers_off_but_loud)
    with caplog.at_level(logging.DEBUG, logger="pynetdicom"):
        report = session(lab.port("orthanc-exposed"))
    assert report.counts is not None and report.counts.patients == EXPECTED.patients
    assert "Find SCP Response" in caplog.text or "C-FIND" in caplog.text  # it did log the queries
    studies = synthetic_studies()
    for study in studies:
        for raw in (study.dicom_name, study.patient.full_name, study.patient.mrn, study.study_uid):
            assert raw.lower() not in caplog.text.lower()
    logging.getLogger("pynetdicom").propagate = False
