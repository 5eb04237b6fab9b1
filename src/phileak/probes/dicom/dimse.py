"""One DIMSE session against one host:port, run in a child process (phileak.isolation.run_isolated).

Steps, one association at a time: TCP connect; A-ASSOCIATE with a random calling AE and called ANY-SCP (plain,
and TLS when plain gets no DICOM answer, or the other way round for dicom-tls:// targets); when the called AE
title is checked, a short list of common titles; C-ECHO; at `standard` C-FIND counting (counting.py); at
`intrusive` a C-MOVE to a destination that does not exist, to read whether retrieval would be authorised.
Never C-STORE, never C-GET.

pynetdicom blocks, and its own timeouts do not bound every hostile peer (a PDU header announcing a huge length,
then silence), so besides its acse/dimse/network/connection timeouts every connected socket gets a read
timeout, and a watchdog shuts the open socket down when the session's budget runs out.
"""

from __future__ import annotations

import logging
import random
import socket
import ssl
import time
from collections.abc import Callable
from typing import cast

from pydicom.dataset import Dataset
from pynetdicom import AE, _config
from pynetdicom.association import Association

from phileak.probes.dicom.association import (
    AttemptWatch,
    SocketGuard,
    client_tls_context,
    keep_responses_from_the_reactor,
)
from phileak.probes.dicom.counting import (
    PATIENT_ROOT_FIND,
    PENDING,
    STUDY_ROOT_FIND,
    STUDY_ROOT_MOVE,
    VERIFICATION,
    Deadline,
    Tally,
    accepts,
    patient_query,
    run_find,
    series_modalities,
    study_query,
)
from phileak.probes.dicom.records import (
    AssociationAttempt,
    AssociationState,
    FindState,
    MoveCheck,
    MoveState,
    QueryStats,
    SessionReport,
    SessionRequest,
    TcpState,
    short_text,
)

_MOVE_REFUSALS = frozenset({0x0122, 0x0124, 0xA701, 0xA702})
_REQUESTED_CONTEXTS = (VERIFICATION, PATIENT_ROOT_FIND, STUDY_ROOT_FIND)


def run_session(request: SessionRequest) -> SessionReport:
    """The child process's entry point: examine request.address:request.port within request.budget_s."""
    _quiet_libraries()
    session = _Session(request)
    return session.run()


def _quiet_libraries() -> None:
    """No identifier may reach a log: pynetdicom logs C-FIND identifiers by default."""
    _config.LOG_REQUEST_IDENTIFIERS = False
    _config.LOG_RESPONSE_IDENTIFIERS = False
    for name in ("pynetdicom", "pydicom"):
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = False
        library_logger.setLevel(logging.ERROR)
    from pydicom import config as pydicom_config

    pydicom_config.settings.reading_validation_mode = pydicom_config.IGNORE


# ---------------------------------------------------------------- the session


class _Session:
    def __init__(self, request: SessionRequest) -> None:
        self.request = request
        # Counted from when the parent started the clock: the child's own start-up comes off the budget.
        budget = request.budget_s if request.not_after is None else request.not_after - time.time()
        self.deadline = Deadline(min(budget, request.budget_s))
        self.guard = SocketGuard(self.deadline)
        self.report = SessionReport(address=request.address, port=request.port)
        self.tally = Tally(request)
        self._associations = 0
        self._tls_transport = request.tls_first
        self._started = time.monotonic()

    def run(self) -> SessionReport:
        try:
            self._run()
        finally:
            self.guard.cancel()
            self.report.deadline_hit = self.guard.fired or self.deadline.expired()
            self.report.elapsed_s = round(time.monotonic() - self._started, 3)
        return self.report

    def _run(self) -> None:
        self.report.tcp = self._tcp_connect()
        if self.report.tcp is not TcpState.OPEN:
            return
        assoc = self._guarded("A-ASSOCIATE", lambda _: self._open(), None)
        if assoc is None:
            return
        steps: list[tuple[str, Callable[[Association | None], Association | None]]] = [("C-ECHO", self._echo)]
        if self.request.level != "passive":
            steps.append(("C-FIND", self._count))
        if self.request.level == "intrusive":
            steps.append(("C-MOVE", self._move_check))
        for name, step in steps:
            assoc = self._guarded(name, step, assoc)
        self._close(assoc)

    def _guarded(
        self, name: str, step: Callable[[Association | None], Association | None], assoc: Association | None
    ) -> Association | None:
        """Run one step; a library error (a hostile peer can provoke them) ends that step, not the session.
        Only the exception's type is kept: pydicom messages may quote received values."""
        try:
            return step(assoc)
        except Exception as exc:
            self.report.errors.append(f"{name} step failed inside phileak ({type(exc).__name__})")
            if assoc is not None and assoc.is_established:
                assoc.abort()
            return None

    # ------------------------------------------------------------ connect and associate

    def _step_timeout(self) -> float:
        return max(0.2, min(self.request.step_timeout_s, self.deadline.remaining()))

    def _tcp_connect(self) -> TcpState:
        try:
            with socket.create_connection((self.request.address, self.request.port), self._step_timeout()):
                return TcpState.OPEN
        except ConnectionRefusedError:
            return TcpState.REFUSED
        except TimeoutError:
            return TcpState.NO_ANSWER
        except OSError:
            return TcpState.UNREACHABLE

    def _open(self) -> Association | None:
        """An established association, once the transport (plain or TLS) and a called AE title the server
        accepts are found; None when there is none (report.attempts say why)."""
        called = self.request.called_aes[0]
        assoc, attempt = self._associate(called, tls=self.request.tls_first)
        if not attempt.answered and not self.deadline.expired():
            # No DICOM answer: DICOM has no STARTTLS, so the port may speak TLS (or plain, for dicom-tls://).
            other, other_attempt = self._associate(called, tls=not self.request.tls_first)
            if other_attempt.answered:
                assoc, attempt = other, other_attempt
        if not attempt.answered:
            return None
        self._tls_transport = attempt.tls
        if assoc is not None or not attempt.worth_other_titles:
            return assoc
        for title in self.request.called_aes[1:]:
            if self.deadline.expired():
                return None
            assoc, attempt = self._associate(title, tls=self._tls_transport)
            if assoc is not None:
                return assoc
            if attempt.reject is not None and attempt.reject.calling_ae_unknown:
                return None  # the called title was right; the server checks who calls
            if not attempt.worth_other_titles:
                return None
        return None

    def _associate(self, called: str, *, tls: bool) -> tuple[Association | None, AssociationAttempt]:
        self._pause_between_associations()
        step = self._step_timeout()
        ae = AE(ae_title=self.request.calling_ae)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = ae.connection_timeout = step
        for context in _REQUESTED_CONTEXTS:
            ae.add_requested_context(context)
        if self.request.level == "intrusive":
            ae.add_requested_context(STUDY_ROOT_MOVE)
        watch = AttemptWatch(self.guard, step)
        library_logger = logging.getLogger("pynetdicom")
        library_logger.addHandler(watch.log)
        try:
            assoc = ae.associate(
                self.request.address,
                self.request.port,
                ae_title=called,
                tls_args=self._tls_args() if tls else None,
                evt_handlers=watch.handlers(),
            )
        finally:
            library_logger.removeHandler(watch.log)
        state = watch.state(assoc)
        if watch.tls_info is not None:
            self.report.tls = watch.tls_info
        attempt = AssociationAttempt(called, tls, state, watch.reject)
        self.report.attempts.append(attempt)
        if state is not AssociationState.ACCEPTED:
            self.guard.detach()
            return None, attempt
        keep_responses_from_the_reactor(assoc)
        self.report.accepted_called_ae = called
        acceptor = assoc.acceptor
        self.report.implementation_uid = short_text(acceptor.implementation_class_uid)
        self.report.implementation_version = short_text(acceptor.implementation_version_name)
        return assoc, attempt

    def _tls_args(self) -> tuple[ssl.SSLContext, str]:
        # pynetdicom types the SNI as str; None (no SNI, for an address) is what ssl expects then.
        return cast(tuple[ssl.SSLContext, str], (client_tls_context(), self.request.server_name))

    def _pause_between_associations(self) -> None:
        if self._associations and self.request.interval_s > 0:
            time.sleep(min(self.request.interval_s, self.deadline.remaining()))
        self._associations += 1

    def _usable(self, assoc: Association | None) -> Association | None:
        """`assoc` while it is established, else a fresh one with the transport and called AE that worked."""
        if assoc is not None and assoc.is_established:
            return assoc
        called = self.report.accepted_called_ae
        if called is None or self.deadline.expired():
            return None
        fresh, _ = self._associate(called, tls=self._tls_transport)
        return fresh

    def _close(self, assoc: Association | None) -> None:
        if assoc is not None and assoc.is_established:
            assoc.release()
            if assoc.is_established:
                assoc.abort()
        self.guard.detach()

    # ------------------------------------------------------------ DIMSE steps

    def _echo(self, assoc: Association | None) -> Association | None:
        assoc = self._usable(assoc)
        if assoc is None:
            return None
        if not accepts(assoc, VERIFICATION):
            self.report.problems.append("Verification (C-ECHO) not accepted")
            return assoc
        status = assoc.send_c_echo()
        if status and "Status" in status:
            self.report.echo_status = int(status.Status)
        else:
            self.report.problems.append("no answer to C-ECHO")
        return assoc if assoc.is_established else None

    def _find(self, assoc: Association, query: Dataset, model: str, on_match: Callable[[Dataset], None]) -> QueryStats:
        stats = run_find(
            assoc,
            query,
            model,
            on_match,
            cap=self.request.max_responses,
            deadline=self.deadline,
            step_timeout_s=self._step_timeout(),
            timed_out=lambda: self.guard.fired,
        )
        self.report.queries.append(stats)
        if stats.state in (FindState.CAPPED, FindState.LIMITED):
            self.tally.capped = True
        return stats

    def _count(self, assoc: Association | None) -> Association | None:
        """C-FIND authorisation is judged apart from association: a server may accept anyone and then abort
        the first C-FIND (Orthanc's default). PATIENT level first, then STUDY level, then SERIES level for
        modalities the STUDY answers left empty."""
        try:
            return self._count_levels(assoc)
        finally:
            self.report.counts = self.tally.counts()
            self.report.retrieve_ae = self.tally.retrieve_ae

    def _count_levels(self, assoc: Association | None) -> Association | None:
        assoc = self._usable(assoc)
        if assoc is None:
            return None
        patient = self._find(assoc, patient_query(), PATIENT_ROOT_FIND, self.tally.add_patient)
        if patient.state in (FindState.REFUSED, FindState.INTERRUPTED, FindState.TIMEOUT):
            return assoc if assoc.is_established else None
        assoc = self._usable(assoc)
        if assoc is None:
            return None
        # Patient details at the STUDY level when the PATIENT query gave none (a server may answer Study Root
        # only, or fail Patient Root with 0xA700 "Out of Resources" and answer Study Root).
        details = patient.state in (FindState.UNSUPPORTED, FindState.FAILED)
        study = self._find(assoc, study_query(details), STUDY_ROOT_FIND, self.tally.add_study)
        if study.state not in (FindState.COMPLETE, FindState.CAPPED, FindState.LIMITED):
            return assoc if assoc.is_established else None
        assoc = self._usable(assoc)
        if assoc is None:
            return None
        series = series_modalities(
            assoc,
            self.tally,
            deadline=self.deadline,
            step_timeout_s=self._step_timeout(),
            timed_out=lambda: self.guard.fired,
        )
        if series is not None:
            self.report.queries.append(series)
        return assoc if assoc.is_established else None

    def _move_check(self, assoc: Association | None) -> Association | None:
        """C-MOVE of one study to a destination AE that does not exist: no image can move anywhere, and the
        status says whether the server would retrieve for an unknown caller."""
        assoc = self._usable(assoc)
        if assoc is None:
            return None
        if not accepts(assoc, STUDY_ROOT_MOVE):
            self.report.move = MoveCheck(MoveState.UNSUPPORTED, detail="Study Root C-MOVE not accepted")
            return assoc
        real = bool(self.tally.study_uids)
        query = Dataset()
        query.QueryRetrieveLevel = "STUDY"
        query.StudyInstanceUID = self.tally.study_uids[0] if real else _random_uid()
        answers = assoc.send_c_move(query, self.request.move_destination, STUDY_ROOT_MOVE)
        status, _ = next(answers, (Dataset(), None))
        if not status or "Status" not in status:
            self.report.move = MoveCheck(MoveState.REFUSED, None, real, "association aborted on C-MOVE")
            return assoc if assoc.is_established else None
        code = int(status.Status)
        if code in PENDING and assoc.is_established:
            assoc.abort()  # nothing can reach a destination that does not exist; stop anyway
        state = MoveState.REFUSED if code in _MOVE_REFUSALS else MoveState.ACCEPTED
        self.report.move = MoveCheck(state, code, real)
        return assoc if assoc.is_established else None


def _random_uid() -> str:
    return f"2.25.{random.SystemRandom().getrandbits(120)}"
