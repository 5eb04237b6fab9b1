"""The wire side of one A-ASSOCIATE attempt, inside the session's child process: what came back (from the raw
PDU bytes), the TLS session and certificate, TCP_NODELAY and a read timeout on the socket, and the watchdog
that shuts the socket down when the session's budget runs out.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import socket
import ssl
import threading
from typing import Any

from pynetdicom import evt
from pynetdicom.association import Association
from pynetdicom.events import EventHandlerType

from phileak.probes.dicom.counting import Deadline
from phileak.probes.dicom.records import AssociationState, RejectReason, TlsInfo

# pynetdicom log lines (ERROR level, never identifiers) that tell why an attempt failed.
_NOT_DICOM_MESSAGES = (
    "Unknown PDU type received",
    "Unable to decode the received PDU data",
    "Received an invalid A-ASSOCIATE response",
)
_TIMEOUT_MESSAGES = ("ACSE timeout reached",)
# PS3.8 9.3: PDU types, and the fixed sizes of the association answers.
_PDU_HEADER = 6
_ASSOCIATE_AC, _ASSOCIATE_RJ, _ABORT = 0x02, 0x03, 0x07
_AC_FIXED_FIELDS = 68
_RJ_LENGTH = 4


# ---------------------------------------------------------------- watchdog


class SocketGuard:
    """At the session deadline, shut down the socket of whatever association is open: a blocking read inside
    pynetdicom then returns, and the session ends with what it has."""

    def __init__(self, deadline: Deadline) -> None:
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self.fired = False
        self._timer = threading.Timer(deadline.remaining(), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            self._socket = sock
            if self.fired:
                _shutdown(sock)

    def detach(self) -> None:
        with self._lock:
            self._socket = None

    def cancel(self) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            if self._socket is not None:
                _shutdown(self._socket)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


# ---------------------------------------------------------------- one association attempt


class _LogFlags(logging.Handler):
    """pynetdicom says only in its log why some attempts failed; these ERROR lines carry no identifiers."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.not_dicom = False
        self.acse_timeout = False

    def emit(self, record: logging.LogRecord) -> None:
        message = str(record.msg)
        if message.startswith(_NOT_DICOM_MESSAGES):
            self.not_dicom = True
        elif message.startswith(_TIMEOUT_MESSAGES):
            self.acse_timeout = True


class AttemptWatch:
    """Event handlers for one A-ASSOCIATE attempt: what came back on the wire, and the TLS session.

    PDUs are read from the raw bytes (EVT_DATA_RECV): pynetdicom's own PDU handler runs first on decoded PDUs
    and, when it fails on a malformed one, the handlers after it are skipped. And the RJ is read here even
    when pynetdicom reports an abort because the peer closed the socket right after its A-ASSOCIATE-RJ."""

    def __init__(self, guard: SocketGuard, step_timeout_s: float) -> None:
        self.guard = guard
        self.step_timeout_s = step_timeout_s
        self.log = _LogFlags()
        self.connected = False
        self.pdu_types: list[int] = []
        self.malformed = False
        self.reject: RejectReason | None = None
        self.tls_info: TlsInfo | None = None

    def handlers(self) -> list[EventHandlerType]:
        return [(evt.EVT_CONN_OPEN, self.on_open), (evt.EVT_DATA_RECV, self.on_data)]

    def on_open(self, event: evt.Event) -> None:
        transport = event.assoc.dul.socket
        sock = transport.socket if transport is not None else None
        if sock is None:
            return
        self.connected = True
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # pynetdicom clears the timeout once connected; a stalled read must not block for ever.
            sock.settimeout(self.step_timeout_s)
        self.guard.attach(sock)
        if isinstance(sock, ssl.SSLSocket):
            self.tls_info = tls_info(sock)

    def on_data(self, event: evt.Event) -> None:
        data = bytes(getattr(event, "data", b""))
        if len(data) < _PDU_HEADER:
            return
        pdu_type, length = data[0], int.from_bytes(data[2:6], "big")
        self.pdu_types.append(pdu_type)
        if pdu_type == _ASSOCIATE_AC and length < _AC_FIXED_FIELDS:
            self.malformed = True
        elif pdu_type == _ASSOCIATE_RJ:
            if length != _RJ_LENGTH:
                self.malformed = True
            elif self.reject is None:
                self.reject = RejectReason(data[7], data[8], data[9])

    def state(self, assoc: Association) -> AssociationState:
        if assoc.is_established:
            return AssociationState.ACCEPTED
        if self.reject is not None:
            return AssociationState.REJECTED
        if not self.connected:
            return AssociationState.CONNECT_FAILED
        if self.log.not_dicom or self.malformed:
            return AssociationState.NOT_DICOM
        if _ASSOCIATE_AC in self.pdu_types:
            return AssociationState.NO_CONTEXT
        if _ABORT in self.pdu_types:
            return AssociationState.ABORTED
        if self.log.acse_timeout:
            return AssociationState.TIMEOUT
        return AssociationState.CLOSED


def tls_info(sock: ssl.SSLSocket | ssl.SSLObject) -> TlsInfo:
    cipher = sock.cipher()
    info = TlsInfo(protocol=sock.version() or "unknown", cipher=cipher[0] if cipher else None)
    der = sock.getpeercert(binary_form=True)
    if not der:
        return info
    try:
        from cryptography import x509

        cert = x509.load_der_x509_certificate(der)
        subject, issuer = cert.subject.rfc4514_string()[:200], cert.issuer.rfc4514_string()[:200]
        return TlsInfo(
            protocol=info.protocol,
            cipher=info.cipher,
            subject=subject,
            issuer=issuer,
            not_after=cert.not_valid_after_utc.isoformat(),
            self_signed=cert.subject == cert.issuer,
        )
    except Exception:  # an unparsable certificate is still TLS
        return info


@functools.cache
def client_tls_context() -> ssl.SSLContext:
    """One client context for every attempt. The probe reports on the certificate; it does not trust or
    refuse it, so no CA store is loaded (loading the system's takes about 20 ms per context)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def keep_responses_from_the_reactor(assoc: Association) -> None:
    """pynetdicom's association thread polls the DIMSE queue (non-blocking) to serve *incoming* requests, and
    its pause before each send_c_*() is racy: with TCP_NODELAY, answers arrive fast enough for that thread to
    take and drop some (about 1 C-FIND answer in 30 on loopback). This SCU serves no requests, so the poll
    gets nothing; the send_c_*() calls wait for their answers with blocking reads."""
    blocking_get = assoc.dimse.get_msg

    def get_msg(block: bool = False) -> Any:
        return blocking_get(block=True) if block else (None, None)

    setattr(assoc.dimse, "get_msg", get_msg)  # noqa: B010 - an instance attribute, this association only
