"""The `passive` level without a child process: A-ASSOCIATE, C-ECHO and A-RELEASE over asyncio streams.

At `passive` a session only reads association answers (A-ASSOCIATE-AC/-RJ, A-ABORT) and one C-ECHO response,
so phileak does the I/O itself and leaves the PDU encoding and decoding to pynetdicom's PDU classes. Every read
is bounded here: a PDU header must name a known PDU type and a length of at most MAX_PDU_BYTES, each wait has
the step timeout, and the whole session runs under its budget (asyncio.timeout). Memory is bounded by those
caps, so no killable child is needed, and a scan of many endpoints pays no process start per endpoint (the
DIMSE session in a child, dimse.py, remains for `standard` and `intrusive`, where C-FIND answers are parsed).

The report is the same SessionReport the child session fills, attempt for attempt: TCP state (from the first
association's own connection: no separate TCP probe), plain then TLS (or the reverse for dicom-tls://), the
short list of common called AE titles when the called title is checked, reject reasons, TLS certificate facts,
implementation class UID and version name, the C-ECHO status.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import ssl
import time
from dataclasses import dataclass

from pynetdicom import PYNETDICOM_IMPLEMENTATION_UID, PYNETDICOM_IMPLEMENTATION_VERSION, pdu
from pynetdicom.dimse_messages import C_ECHO_RQ, DIMSEMessage
from pynetdicom.dimse_primitives import C_ECHO
from pynetdicom.pdu_primitives import (
    A_ASSOCIATE,
    ImplementationClassUIDNotification,
    ImplementationVersionNameNotification,
    MaximumLengthNotification,
)
from pynetdicom.presentation import build_context

from phileak.probes.dicom.association import client_tls_context, tls_info
from phileak.probes.dicom.counting import PATIENT_ROOT_FIND, STUDY_ROOT_FIND, VERIFICATION
from phileak.probes.dicom.records import (
    AssociationAttempt,
    AssociationState,
    RejectReason,
    SessionReport,
    SessionRequest,
    TcpState,
    short_text,
)

APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"
MAX_PDU_BYTES = 64 * 1024  # association answers and an echo response are a few hundred bytes
OUR_MAX_PDU = 16382
_CONTEXT_IDS = {1: VERIFICATION, 3: PATIENT_ROOT_FIND, 5: STUDY_ROOT_FIND}
_ASSOCIATE_AC, _ASSOCIATE_RJ, _P_DATA, _ABORT = 0x02, 0x03, 0x04, 0x07
_PDU_TYPES = frozenset(range(0x01, 0x08))
_AC_FIXED_FIELDS = 68  # PS3.8 9.3.3: the bytes after the header before the variable items
_RJ_LENGTH = 4


class _NotDicom(Exception):
    """The peer's bytes are no DICOM PDU (an unknown type, an absurd length, an undecodable answer)."""


class _Closed(Exception):
    """The peer closed the connection (or reset it) before a whole PDU."""


@dataclass
class _Association:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    accepted: frozenset[str]  # abstract syntaxes the peer accepted
    contexts: dict[str, int]  # abstract syntax -> presentation context id
    max_pdu: int


async def passive_session(request: SessionRequest) -> SessionReport:
    """Association and C-ECHO against request.address:request.port within the request's budget."""
    session = _PassiveSession(request)
    return await session.run()


class _PassiveSession:
    def __init__(self, request: SessionRequest) -> None:
        self.request = request
        self.report = SessionReport(address=request.address, port=request.port)
        self._started = time.monotonic()
        remaining = request.budget_s if request.not_after is None else request.not_after - time.time()
        self._deadline = self._started + max(0.0, min(remaining, request.budget_s))
        self._associations = 0
        self._in_flight: tuple[str, bool] | None = None

    def _remaining(self) -> float:
        return self._deadline - time.monotonic()

    def _step(self) -> float:
        return max(0.05, min(self.request.step_timeout_s, self._remaining()))

    async def run(self) -> SessionReport:
        try:
            async with asyncio.timeout(max(0.0, self._remaining())):
                await self._run()
        except TimeoutError:
            self.report.deadline_hit = True
            if self._in_flight is not None:
                called, tls = self._in_flight
                self.report.attempts.append(AssociationAttempt(called, tls, AssociationState.TIMEOUT))
        self.report.elapsed_s = round(time.monotonic() - self._started, 3)
        return self.report

    async def _run(self) -> None:
        assoc = await self._open()
        if assoc is None:
            return
        try:
            await self._echo(assoc)
            await self._release(assoc)
        finally:
            await _close(assoc.writer)

    # ------------------------------------------------------------ connect and associate

    async def _open(self) -> _Association | None:
        called = self.request.called_aes[0]
        first_tls = self.request.tls_first
        assoc, attempt = await self._associate(called, tls=first_tls, first=True)
        if attempt is None:
            return None  # no TCP connection at all (report.tcp says why)
        if not attempt.answered:
            # DICOM has no STARTTLS: a port without a DICOM answer may speak TLS (or plain, for dicom-tls://).
            other, other_attempt = await self._associate(called, tls=not first_tls)
            if other_attempt is not None and other_attempt.answered:
                assoc, attempt = other, other_attempt
        if not attempt.answered:
            return None
        tls = attempt.tls
        if assoc is not None or not attempt.worth_other_titles:
            return assoc
        for title in self.request.called_aes[1:]:
            assoc, next_attempt = await self._associate(title, tls=tls)
            if assoc is not None:
                return assoc
            if next_attempt is None:
                return None
            if next_attempt.reject is not None and next_attempt.reject.calling_ae_unknown:
                return None  # the called title was right; the server checks who calls
            if not next_attempt.worth_other_titles:
                return None
        return None

    async def _associate(
        self, called: str, *, tls: bool, first: bool = False
    ) -> tuple[_Association | None, AssociationAttempt | None]:
        """One A-ASSOCIATE attempt, recorded in the report. (None, None) when even TCP failed on the first."""
        if self._associations and self.request.interval_s > 0:
            await asyncio.sleep(min(self.request.interval_s, max(0.0, self._remaining())))
        self._associations += 1
        self._in_flight = (called, tls)
        try:
            sock = await self._tcp_connect(first)
        except OSError:
            self._in_flight = None
            if first:
                return None, None
            return None, self._record(AssociationAttempt(called, tls, AssociationState.CONNECT_FAILED))
        try:
            reader, writer = await self._streams(sock, tls)
        except (OSError, ssl.SSLError, TimeoutError):
            self._in_flight = None
            return None, self._record(AssociationAttempt(called, tls, AssociationState.CONNECT_FAILED))
        if tls:
            ssl_object = writer.get_extra_info("ssl_object")
            if ssl_object is not None:
                self.report.tls = tls_info(ssl_object)
        assoc, attempt = await self._negotiate(reader, writer, called, tls)
        self._in_flight = None
        if assoc is None:
            await _close(writer)
        return assoc, self._record(attempt)

    def _record(self, attempt: AssociationAttempt) -> AssociationAttempt:
        self.report.attempts.append(attempt)
        return attempt

    async def _tcp_connect(self, first: bool) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.request.address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            async with asyncio.timeout(self._step()):
                await asyncio.get_running_loop().sock_connect(sock, (self.request.address, self.request.port))
        except (TimeoutError, OSError) as exc:
            sock.close()
            if first:
                self.report.tcp = _tcp_state(exc)
            raise OSError("connect failed") from None
        except BaseException:
            sock.close()
            raise
        return sock

    async def _streams(self, sock: socket.socket, tls: bool) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if not tls:
            return await asyncio.open_connection(sock=sock, limit=MAX_PDU_BYTES)
        try:
            return await asyncio.open_connection(
                sock=sock,
                ssl=client_tls_context(),
                server_hostname=self.request.server_name or "",
                ssl_handshake_timeout=self._step(),
                limit=MAX_PDU_BYTES,
            )
        except BaseException:
            sock.close()
            raise

    async def _negotiate(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, called: str, tls: bool
    ) -> tuple[_Association | None, AssociationAttempt]:
        def attempt(state: AssociationState, reject: RejectReason | None = None) -> AssociationAttempt:
            return AssociationAttempt(called, tls, state, reject)

        try:
            writer.write(associate_rq(self.request.calling_ae, called))
            await writer.drain()
            kind, data = await self._read_pdu(reader)
        except TimeoutError:  # before OSError, of which it is a subclass
            if self._remaining() <= 0:
                raise
            return None, attempt(AssociationState.TIMEOUT)
        except _NotDicom:
            return None, attempt(AssociationState.NOT_DICOM)
        except (_Closed, OSError, ssl.SSLError):
            return None, attempt(AssociationState.CLOSED)
        if kind == _ASSOCIATE_RJ:
            if len(data) - 6 != _RJ_LENGTH:
                return None, attempt(AssociationState.NOT_DICOM)
            return None, attempt(AssociationState.REJECTED, RejectReason(data[7], data[8], data[9]))
        if kind == _ABORT:
            return None, attempt(AssociationState.ABORTED)
        if kind != _ASSOCIATE_AC or len(data) - 6 < _AC_FIXED_FIELDS:
            return None, attempt(AssociationState.NOT_DICOM)
        try:
            accepted, max_pdu, uid, version = _read_ac(data)
        except Exception:  # pynetdicom's decoder on hostile bytes: any failure means not DICOM
            return None, attempt(AssociationState.NOT_DICOM)
        if not accepted:
            return None, attempt(AssociationState.NO_CONTEXT)
        self.report.accepted_called_ae = called
        self.report.implementation_uid = short_text(uid)
        self.report.implementation_version = short_text(version)
        contexts = {syntax: context_id for context_id, syntax in _CONTEXT_IDS.items()}
        assoc = _Association(reader, writer, frozenset(accepted), contexts, max_pdu)
        return assoc, attempt(AssociationState.ACCEPTED)

    async def _read_pdu(self, reader: asyncio.StreamReader) -> tuple[int, bytes]:
        """One whole PDU (header included), bounded in size and time."""
        async with asyncio.timeout(self._step()):
            try:
                header = await reader.readexactly(6)
            except asyncio.IncompleteReadError as exc:
                if exc.partial and exc.partial[0] not in _PDU_TYPES:
                    raise _NotDicom from None
                raise _Closed from None
            kind, length = header[0], int.from_bytes(header[2:6], "big")
            if kind not in _PDU_TYPES or length > MAX_PDU_BYTES:
                raise _NotDicom
            try:
                body = await reader.readexactly(length)
            except asyncio.IncompleteReadError:
                raise _Closed from None
        return kind, header + body

    # ------------------------------------------------------------ C-ECHO and release

    async def _echo(self, assoc: _Association) -> None:
        if VERIFICATION not in assoc.accepted:
            self.report.problems.append("Verification (C-ECHO) not accepted")
            return
        context_id = assoc.contexts[VERIFICATION]
        try:
            for pdu_bytes in echo_rq(context_id, assoc.max_pdu):
                assoc.writer.write(pdu_bytes)
            await assoc.writer.drain()
            status = await self._echo_status(assoc.reader)
        except TimeoutError:
            if self._remaining() <= 0:
                raise
            status = None
        except (_NotDicom, _Closed, OSError, ssl.SSLError):
            status = None
        if status is None:
            self.report.problems.append("no answer to C-ECHO")
        else:
            self.report.echo_status = status

    async def _echo_status(self, reader: asyncio.StreamReader) -> int | None:
        message = DIMSEMessage()
        for _ in range(16):  # a C-ECHO-RSP command set fits one PDU; a peer that keeps fragmenting is cut off
            kind, data = await self._read_pdu(reader)
            if kind != _P_DATA:
                return None
            p_data = pdu.P_DATA_TF()
            try:
                p_data.decode(data)
                done = message.decode_msg(p_data.to_primitive())
            except Exception:
                raise _NotDicom from None
            if done:
                status = getattr(message.command_set, "Status", None)
                return int(status) if isinstance(status, int) else None
        return None

    async def _release(self, assoc: _Association) -> None:
        try:
            assoc.writer.write(pdu.A_RELEASE_RQ().encode())
            await assoc.writer.drain()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(self._step(), max(0.0, self._remaining() - 0.01))):
                    await self._read_pdu(assoc.reader)  # A-RELEASE-RP, or whatever ends it
        except (_NotDicom, _Closed, OSError, ssl.SSLError):
            pass


# ---------------------------------------------------------------- PDUs (pynetdicom encodes and decodes)


_AE_TITLE_FIELDS = {"called": 10, "calling": 26}  # PS3.8 9.3.2: two 16-byte, space-padded fields


def associate_rq(calling_ae: str, called_ae: str) -> bytes:
    """The A-ASSOCIATE-RQ: pynetdicom's encoding, made once, with this attempt's AE titles in their fields."""
    pdu_bytes = bytearray(_associate_rq_template())
    for field_name, title in (("called", called_ae), ("calling", calling_ae)):
        start = _AE_TITLE_FIELDS[field_name]
        pdu_bytes[start : start + 16] = title.encode("ascii")[:16].ljust(16, b" ")
    return bytes(pdu_bytes)


@functools.cache
def _associate_rq_template() -> bytes:
    primitive = A_ASSOCIATE()
    primitive.application_context_name = APPLICATION_CONTEXT
    primitive.calling_ae_title = "CALLING"
    primitive.called_ae_title = "CALLED"
    contexts = []
    for context_id, syntax in _CONTEXT_IDS.items():
        context = build_context(syntax)
        context.context_id = context_id
        contexts.append(context)
    primitive.presentation_context_definition_list = contexts
    maximum = MaximumLengthNotification()
    maximum.maximum_length_received = OUR_MAX_PDU
    uid = ImplementationClassUIDNotification()
    uid.implementation_class_uid = PYNETDICOM_IMPLEMENTATION_UID
    version = ImplementationVersionNameNotification()
    version.implementation_version_name = PYNETDICOM_IMPLEMENTATION_VERSION
    primitive.user_information = [maximum, uid, version]
    rq = pdu.A_ASSOCIATE_RQ()
    rq.from_primitive(primitive)
    return bytes(rq.encode())


@functools.cache
def echo_rq(context_id: int, peer_max_pdu: int) -> tuple[bytes, ...]:
    primitive = C_ECHO()
    primitive.MessageID = 1
    primitive.AffectedSOPClassUID = VERIFICATION
    message = C_ECHO_RQ()
    message.primitive_to_message(primitive)
    encoded = []
    for p_data in message.encode_msg(context_id, peer_max_pdu or OUR_MAX_PDU):
        tf = pdu.P_DATA_TF()
        tf.from_primitive(p_data)
        encoded.append(bytes(tf.encode()))
    return tuple(encoded)


def _read_ac(data: bytes) -> tuple[set[str], int, object, object]:
    """(accepted abstract syntaxes, the peer's maximum PDU length, implementation UID, version name)."""
    ac = pdu.A_ASSOCIATE_AC()
    ac.decode(data)
    accepted = {
        _CONTEXT_IDS[item.context_id]
        for item in ac.presentation_context
        if item.result_reason == 0 and item.context_id in _CONTEXT_IDS
    }
    info = ac.user_information
    if info is None:
        return accepted, OUR_MAX_PDU, None, None
    maximum = info.maximum_length or OUR_MAX_PDU
    return (
        accepted,
        max(256, min(int(maximum), OUR_MAX_PDU)),
        info.implementation_class_uid,
        info.implementation_version_name,
    )


def _tcp_state(exc: BaseException) -> TcpState:
    if isinstance(exc, ConnectionRefusedError):
        return TcpState.REFUSED
    if isinstance(exc, TimeoutError):
        return TcpState.NO_ANSWER
    return TcpState.UNREACHABLE


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(Exception):
        async with asyncio.timeout(1.0):
            await writer.wait_closed()
