"""What a DIMSE session is asked to do and what it found: plain data that crosses the process boundary.

A session runs in a child process (phileak.isolation); these records are pickled both ways. A report holds
counts, hashes, redacted samples and protocol facts, never a raw identifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from phileak.phi.identity import IdentityHasher

Level = Literal["passive", "standard", "intrusive"]
LEVELS: tuple[Level, ...] = ("passive", "standard", "intrusive")

ANY_CALLED_AE = "ANY-SCP"
# Tried, in order, only when the server rejects ANY-SCP because it checks the called AE title.
COMMON_CALLED_AES = (
    "ORTHANC",
    "DCMQRSCP",
    "QRSCP",
    "PACS",
    "ANY",
    "STORESCP",
    "DCM4CHEE",
    "CONQUESTSRV1",
    "OSIRIX",
    "SERVER",
)


@dataclass(frozen=True)
class SessionRequest:
    """One host:port to examine. `identity` hashes identifiers inside the child, as soon as they are read."""

    address: str
    port: int
    level: Level
    identity: IdentityHasher
    calling_ae: str
    move_destination: str
    tls_first: bool = False
    server_name: str | None = None  # sent as TLS SNI when the target was given by name
    budget_s: float = 60.0  # the whole session, enforced inside the child
    not_after: float | None = None  # the same budget as a wall-clock end (time.time()), set by the parent
    step_timeout_s: float = 10.0  # TCP connect, TLS handshake, each ACSE/DIMSE wait
    interval_s: float = 0.0  # pause between associations to the same host
    max_responses: int = 10_000  # client-side cap per C-FIND
    series_fallback_studies: int = 100  # at most this many SERIES-level queries for modalities
    sample_names: int = 3
    called_aes: tuple[str, ...] = (ANY_CALLED_AE, *COMMON_CALLED_AES)


class TcpState(StrEnum):
    OPEN = "open"
    REFUSED = "refused"
    NO_ANSWER = "no-answer"
    UNREACHABLE = "unreachable"


class AssociationState(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ABORTED = "aborted"  # the peer sent an A-ABORT
    NO_CONTEXT = "no-usable-context"  # an A-ASSOCIATE-AC accepting none of the presentation contexts
    CLOSED = "closed"  # the peer closed the connection without a DICOM answer
    TIMEOUT = "timeout"  # no answer within the step timeout
    NOT_DICOM = "not-dicom"  # bytes that are no DICOM PDU
    CONNECT_FAILED = "connect-failed"  # TCP connect, or the TLS handshake, failed


# PS3.8 Table 9-21: A-ASSOCIATE-RJ source and reason/diagnostic.
_RESULTS = {1: "rejected-permanent", 2: "rejected-transient"}
_SOURCES = {1: "service-user", 2: "service-provider (ACSE)", 3: "service-provider (presentation)"}
_REASONS = {
    (1, 1): "no reason given",
    (1, 2): "application context name not supported",
    (1, 3): "calling AE title not recognised",
    (1, 7): "called AE title not recognised",
    (2, 1): "no reason given",
    (2, 2): "protocol version not supported",
    (3, 1): "temporary congestion",
    (3, 2): "local limit exceeded",
}


@dataclass(frozen=True)
class RejectReason:
    result: int
    source: int
    diagnostic: int

    @property
    def called_ae_unknown(self) -> bool:
        return (self.source, self.diagnostic) == (1, 7)

    @property
    def calling_ae_unknown(self) -> bool:
        return (self.source, self.diagnostic) == (1, 3)

    @property
    def no_reason(self) -> bool:
        return self.diagnostic == 1 and self.source in (1, 2)

    def describe(self) -> str:
        result = _RESULTS.get(self.result, f"result {self.result}")
        source = _SOURCES.get(self.source, f"source {self.source}")
        reason = _REASONS.get((self.source, self.diagnostic), f"reason {self.diagnostic}")
        return f"{result} by {source}: {reason}"

    def code(self) -> str:
        return f"{self.result}/{self.source}/{self.diagnostic}"


@dataclass(frozen=True)
class TlsInfo:
    protocol: str
    cipher: str | None = None
    subject: str | None = None
    issuer: str | None = None
    not_after: str | None = None  # ISO 8601
    self_signed: bool | None = None


@dataclass(frozen=True)
class AssociationAttempt:
    called_ae: str
    tls: bool
    state: AssociationState
    reject: RejectReason | None = None
    detail: str = ""

    @property
    def answered(self) -> bool:
        """A DICOM answer came back (accepted, rejected, aborted, or no usable context)."""
        return self.state in _DICOM_ANSWERS

    @property
    def worth_other_titles(self) -> bool:
        """Whether the server may check the called AE title, so that a common title may get in."""
        if self.state is AssociationState.ABORTED:
            return True
        return self.reject is not None and (self.reject.called_ae_unknown or self.reject.no_reason)


_DICOM_ANSWERS = (
    AssociationState.ACCEPTED,
    AssociationState.REJECTED,
    AssociationState.ABORTED,
    AssociationState.NO_CONTEXT,
)


def short_text(value: object) -> str | None:
    """A protocol string as a report keeps it: trimmed, at most 64 characters, None when empty."""
    text = str(value).strip() if value is not None else ""
    return text[:64] or None


class FindState(StrEnum):
    COMPLETE = "complete"
    REFUSED = "refused"  # aborted right after the C-FIND, or a refusal status, before any match
    UNSUPPORTED = "unsupported"  # the information model's presentation context was not accepted
    CAPPED = "capped"  # phileak stopped reading at its response cap and aborted
    LIMITED = "limited"  # the server ended the query at its own result limit (0xFE00 after matches)
    INTERRUPTED = "interrupted"  # the peer aborted or closed after some matches
    TIMEOUT = "timeout"  # phileak's time budget ran out mid-query
    FAILED = "failed"  # a failure status


@dataclass(frozen=True)
class QueryStats:
    """How one C-FIND went: never what it returned."""

    level: str
    model: str
    state: FindState
    responses: int
    status: int | None = None


@dataclass
class Counts:
    """What the C-FIND queries exposed, as counts, hashes and redacted samples."""

    patients: int | None = None  # distinct people
    studies: int | None = None
    person_hashes: list[str] = field(default_factory=list)
    modalities: dict[str, int] = field(default_factory=dict)  # modality -> studies containing it
    modality_source: str | None = None  # "ModalitiesInStudy" or "series"
    modality_studies_examined: int = 0
    first_study_month: str | None = None  # YYYY-MM
    last_study_month: str | None = None
    instances: int | None = None  # NumberOfStudyRelatedInstances summed, when reported
    exposed_attributes: list[str] = field(default_factory=list)  # DICOM keywords seen non-empty
    sample_names: list[str] = field(default_factory=list)  # redacted
    capped: bool = False
    research_ids: int = 0  # patient IDs shaped like public research collections (honeypot sign)


class MoveState(StrEnum):
    ACCEPTED = "accepted"  # the server processed a C-MOVE from an unknown caller
    REFUSED = "refused"
    UNSUPPORTED = "unsupported"
    FAILED = "failed"


@dataclass(frozen=True)
class MoveCheck:
    state: MoveState
    status: int | None = None
    used_real_study: bool = False
    detail: str = ""


@dataclass
class SessionReport:
    """Everything one session learnt about one host:port."""

    address: str
    port: int
    tcp: TcpState = TcpState.OPEN
    attempts: list[AssociationAttempt] = field(default_factory=list)
    tls: TlsInfo | None = None  # set when a TLS handshake succeeded on this port
    accepted_called_ae: str | None = None
    implementation_uid: str | None = None
    implementation_version: str | None = None
    retrieve_ae: str | None = None  # the RetrieveAETitle the server put in its C-FIND answers
    echo_status: int | None = None
    queries: list[QueryStats] = field(default_factory=list)
    counts: Counts | None = None
    move: MoveCheck | None = None
    problems: list[str] = field(default_factory=list)  # protocol anomalies, one line each, no values
    errors: list[str] = field(default_factory=list)  # steps that failed inside phileak, one line each
    deadline_hit: bool = False
    elapsed_s: float = 0.0

    @property
    def accepted(self) -> bool:
        return self.accepted_called_ae is not None

    @property
    def speaks_dicom(self) -> bool:
        """An A-ASSOCIATE-AC or -RJ came back on some attempt."""
        return any(a.answered for a in self.attempts)

    @property
    def plain_dicom(self) -> bool:
        return any(not a.tls and a.answered for a in self.attempts)

    @property
    def find_state(self) -> FindState | None:
        """The outcome that decides exposure: any query that returned matches, else the first query's."""
        if not self.queries:
            return None
        answered = [q for q in self.queries if q.responses > 0]
        return answered[0].state if answered else self.queries[0].state
