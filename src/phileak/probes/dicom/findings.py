"""Findings from one DIMSE session (and the HTTP side of the same server), with per-vendor remediation.

Every finding about one server carries the same `exposure` in its evidence (and as its id key), and only the
main one carries the patient count: one exposure, one count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from phileak.model import DataCategory, Evidence, Finding, Severity
from phileak.probes.dicom.fingerprint import Fingerprint
from phileak.probes.dicom.honeypot import HoneypotSign, looks_like_honeypot
from phileak.probes.dicom.records import (
    ANY_CALLED_AE,
    AssociationAttempt,
    FindState,
    MoveState,
    SessionReport,
)
from phileak.scope import normalise_host, parse_ip
from phileak.targets import Target

PROBE = "dicom"
ASSOCIATION_OPEN = "dicom-association-open"
ASSOCIATION_REFUSED = "dicom-association-refused"
QUERY_EXPOSED = "dicom-query-exposed"
FIND_REFUSED = "dicom-find-refused"
FIND_FAILED = "dicom-find-failed"
RETRIEVE_EXPOSED = "dicom-retrieve-exposed"
RETRIEVE_REFUSED = "dicom-retrieve-refused"
NO_TLS = "dicom-no-tls"
HONEYPOT = "dicom-honeypot-suspected"

_EXPOSING_FIND_STATES = (
    FindState.COMPLETE, FindState.CAPPED, FindState.LIMITED, FindState.TIMEOUT, FindState.INTERRUPTED,
)
_CATEGORY_BY_ATTRIBUTE = (
    ("PatientName", DataCategory.PERSON_NAME),
    ("PatientBirthDate", DataCategory.DATE_OF_BIRTH),
    ("PatientID", DataCategory.MRN),
    ("StudyDate", DataCategory.DATE),
    ("StudyDescription", DataCategory.PROCEDURE),
    ("ModalitiesInStudy", DataCategory.PROCEDURE),
    ("Modality", DataCategory.PROCEDURE),
    ("ReferringPhysicianName", DataCategory.PROVIDER_NAME),
)
# Write access is never tested (no C-STORE); what the product's defaults imply is said instead.
_WRITE_EXPOSURE = {
    "Orthanc": "not tested; Orthanc accepts C-STORE from any AE unless DicomAlwaysAllowStore is false",
    "dcmqrscp": "not tested; dcmqrscp stores from the AETable peers when the storage area is RW (ANY: everyone)",
}
_WRITE_UNKNOWN = "not tested (phileak never sends C-STORE)"
_MOVE_STATUS = {
    0x0000: "success (nothing sent: the destination does not exist)",
    0xA801: "refused: move destination unknown (the request itself was authorised)",
    0xB000: "warning: sub-operations complete with failures",
    0xFF00: "pending: sub-operations started",
}


def exposure_key(host: str) -> str:
    """One key per imaging host, shared by its DICOM ports, REST API, DICOMweb and viewers (the same form as
    probes/dicom/http.py's exposure_key_for)."""
    address = parse_ip(host)
    return f"imaging-host:{address if address is not None else normalise_host(host)}"


@dataclass(frozen=True)
class HttpSide:
    """What the HTTP side of the same server (probes/dicom/http.py) contributed."""

    findings: Sequence[Finding]
    patients: int | None = None
    studies: int | None = None
    product: str | None = None
    version: str | None = None
    honeypot: bool = False  # the HTTP side saw honeypot signs


@dataclass(frozen=True)
class Remedies:
    association: str
    query: str
    retrieve: str
    tls: str


_ORTHANC = Remedies(
    association=(
        'Orthanc: set "DicomCheckCalledAet": true, declare every legitimate peer (AET, host, port) in '
        '"DicomModalities" and set "DicomCheckModalityHost": true; set "DicomAlwaysAllowEcho" and '
        '"DicomAlwaysAllowStore" to false (by default anyone may C-STORE); keep the DICOM port off untrusted '
        "networks."
    ),
    query=(
        'Orthanc: set "DicomAlwaysAllowFind" and "DicomAlwaysAllowFindWorklist" to false so that only AEs '
        'declared in "DicomModalities" may query, with "DicomCheckModalityHost": true; its REST API holds the '
        'same patients: set "AuthenticationEnabled": true with strong "RegisteredUsers" (never orthanc:orthanc).'
    ),
    retrieve=(
        'Orthanc: set "DicomAlwaysAllowMove" and "DicomAlwaysAllowGet" to false; only peers declared in '
        '"DicomModalities" may then retrieve.'
    ),
    tls=(
        'Orthanc: set "DicomTlsEnabled": true with "DicomTlsCertificate", "DicomTlsPrivateKey" and '
        '"DicomTlsTrustedCertificates", and "DicomTlsRemoteCertificateRequired": true so only peers with a '
        "trusted certificate connect."
    ),
)
_DCMQRSCP = Remedies(
    association=(
        "dcmqrscp: in dcmqrscp.cfg, replace ANY in the peers column of the AETable entry with a symbolic name "
        "defined in the HostTable that lists the allowed peers (AE title, host, port); unknown calling AEs are "
        "then rejected. Keep the port off untrusted networks."
    ),
    query=(
        "dcmqrscp: the AETable peers column decides who may query: replace ANY with a HostTable group of the "
        "allowed peers, and restart dcmqrscp."
    ),
    retrieve=(
        "dcmqrscp: replace ANY in the AETable peers column, and restrict move destinations with -ZA "
        "(--move-aetitle) or -ZH (--move-host); use --disable-get if C-GET is not needed."
    ),
    tls=(
        "dcmqrscp (3.6.7) has no TLS option: publish it only through a TLS tunnel (e.g. stunnel on port 2762) "
        "and close the plain DICOM port to everything but localhost."
    ),
)
_DCM4CHEE = Remedies(
    association=(
        "dcm4chee-arc: configure the archive AE's accepted calling AE titles (dcmAcceptedCallingAETitle) and "
        "keep the DICOM port off untrusted networks."
    ),
    query="dcm4chee-arc: restrict C-FIND to accepted calling AE titles (dcmAcceptedCallingAETitle).",
    retrieve="dcm4chee-arc: restrict retrieval to accepted calling AE titles and known move destinations.",
    tls="dcm4chee-arc: add a TLS connection (dicom-tls, port 2762) to the network AE and remove the plain one.",
)
_GENERIC = Remedies(
    association=(
        "Accept associations only from known calling AE titles and hosts (an AE whitelist in the PACS), "
        "and keep the DICOM port off untrusted networks (firewall, VPN)."
    ),
    query=("Allow C-FIND only for known calling AE titles from known hosts. " + _ORTHANC.query + " " + _DCMQRSCP.query),
    retrieve="Allow C-MOVE/C-GET only for known calling AE titles, to known destinations. " + _ORTHANC.retrieve,
    tls="Require DICOM over TLS (port 2762) and close the plain port. " + _ORTHANC.tls,
)
_REMEDIES = {"Orthanc": _ORTHANC, "dcmqrscp": _DCMQRSCP, "dcm4chee": _DCM4CHEE}


def remedies_for(product: str | None) -> Remedies:
    return _REMEDIES.get(product or "", _GENERIC)


def build_findings(
    target: Target,
    report: SessionReport,
    print_: Fingerprint,
    signs: list[HoneypotSign],
    http: HttpSide | None = None,
) -> list[Finding]:
    """Every finding the session supports, linked under the host's exposure key."""
    builder = _Builder(target, report, print_, signs, honeypot=http is not None and http.honeypot)
    findings = builder.dimse_findings()
    if http is not None:
        findings = builder.link(findings, http)
    return findings


class _Builder:
    def __init__(
        self,
        target: Target,
        report: SessionReport,
        print_: Fingerprint,
        signs: list[HoneypotSign],
        *,
        honeypot: bool = False,
    ) -> None:
        self.target = target.ref
        self.report = report
        self.print_ = print_
        self.signs = signs
        self.honeypot = honeypot or looks_like_honeypot(signs)
        self.exposure = exposure_key(target.host or report.address)
        self.remedies = remedies_for(print_.product)

    def dimse_findings(self) -> list[Finding]:
        builders = (
            self._association,
            self._no_tls,
            self._query,
            self._retrieve,
            self._honeypot,
        )
        return [finding for build in builders for finding in build()]

    # ------------------------------------------------------------ shared pieces

    def _finding(self, kind: str, severity: Severity, title: str, remediation: str, **fields: Any) -> Finding:
        evidence = fields.pop("evidence", {})
        return Finding.create(
            probe=PROBE,
            target=self.target,
            kind=kind,
            key=self.exposure,
            severity=severity,
            title=title,
            remediation=remediation,
            evidence=Evidence(
                exposure=self.exposure,
                server=f"{self.report.address}:{self.report.port}",
                implementation=self.print_.describe(),
                **evidence,
            ),
            **fields,
        )

    def _where(self) -> str:
        return f"{self.report.address}:{self.report.port}"

    def _attempts(self) -> list[dict[str, Any]]:
        return [_attempt_evidence(attempt) for attempt in self.report.attempts]

    # ------------------------------------------------------------ kinds

    def _association(self) -> list[Finding]:
        report = self.report
        if not report.speaks_dicom:
            return []
        common = {
            "attempts": self._attempts(),
            "fingerprint": self.print_.as_evidence(),
            "implementation_class_uid": report.implementation_uid,
            "implementation_version_name": report.implementation_version,
            "transport": "tls" if report.tls is not None and report.accepted_called_ae else "plain",
        }
        if report.tls is not None:
            common["tls"] = _tls_evidence(report)
        if not report.accepted:
            last = report.attempts[-1]
            reason = last.reject.describe() if last.reject else last.state.value
            if last.reject is not None and (last.reject.source, last.reject.diagnostic) == (1, 7):
                return [
                    self._finding(
                        ASSOCIATION_REFUSED,
                        Severity.LOW,
                        f"DICOM server at {self._where()} refused the called AE titles phileak tried ({reason}): "
                        "it checks the called AE title, which is not access control",
                        "An AE title is not a secret: conformance statements, configuration pages and REST APIs "
                        "(Orthanc's /system) publish it. Re-run with --called-ae set to the server's own AE title; "
                        "restrict associations by calling AE title and address (or TLS client certificates).",
                        evidence={**common, "called_ae_checked": True},
                    )
                ]
            return [
                self._finding(
                    ASSOCIATION_REFUSED,
                    Severity.INFO,
                    f"DICOM server at {self._where()} refuses associations from an unknown AE ({reason})",
                    "None needed for unknown callers; keep the list of accepted AE titles and hosts short.",
                    evidence=common,
                )
            ]
        any_title = report.accepted_called_ae == ANY_CALLED_AE
        how = "any called AE title" if any_title else f"the common called AE title {report.accepted_called_ae}"
        return [
            self._finding(
                ASSOCIATION_OPEN,
                Severity.MEDIUM if any_title else Severity.LOW,
                f"DICOM server at {self._where()} ({self.print_.describe()}) accepts associations from an unknown "
                f"calling AE, with {how}",
                self.remedies.association,
                evidence={
                    **common,
                    "accepted_called_ae": report.accepted_called_ae,
                    "called_ae_checked": not any_title,
                    "echo_status": _hex(report.echo_status),
                    "write_exposure": _WRITE_EXPOSURE.get(self.print_.product or "", _WRITE_UNKNOWN),
                },
            )
        ]

    def _no_tls(self) -> list[Finding]:
        if not self.report.plain_dicom:
            return []
        exposed = self.report.find_state in _EXPOSING_FIND_STATES
        return [
            self._finding(
                NO_TLS,
                Severity.MEDIUM if exposed else Severity.LOW,
                f"DICOM server at {self._where()} speaks unencrypted DICOM: names and images cross the network "
                "in clear",
                self.remedies.tls,
                evidence={"plain_association_answered": True, "tls_handshake": self.report.tls is not None},
            )
        ]

    def _query(self) -> list[Finding]:
        state = self.report.find_state
        if state is None or state is FindState.UNSUPPORTED:
            return []
        if state is FindState.REFUSED:
            return [self._find_refused()]
        if state is FindState.FAILED:
            return [self._find_failed()]
        if state not in _EXPOSING_FIND_STATES:
            return []
        return [self._query_exposed(state)]

    def _find_failed(self) -> Finding:
        statuses = ", ".join(sorted({f"0x{q.status:04X}" for q in self.report.queries if q.status is not None}))
        return self._finding(
            FIND_FAILED,
            Severity.LOW,
            f"DICOM server at {self._where()} accepts the association and answers C-FIND from an unknown AE with "
            f"a failure status ({statuses or 'no status'}), not a refusal: whether it would answer a narrower query "
            "is unknown",
            "Check with a narrower query (one patient ID) from an unknown AE title; configure the server to refuse "
            "C-FIND from undeclared peers (status 0x0124 or an association reject).",
            evidence={"find_statuses": statuses or None},
        )

    def _find_refused(self) -> Finding:
        first = self.report.queries[0]
        how = f"status {_hex(first.status)}" if first.status is not None else "the association was aborted"
        return self._finding(
            FIND_REFUSED,
            Severity.INFO,
            f"DICOM server at {self._where()} accepts the association but refuses C-FIND from an unknown AE "
            f"({how}): not exposed through queries",
            "None needed for queries; check that only declared peers can query.",
            evidence={"find_refused_by": "abort" if first.status is None else _hex(first.status)},
        )

    def _query_exposed(self, state: FindState) -> Finding:
        counts = self.report.counts
        patients = counts.patients if counts else None
        studies = counts.studies if counts else None
        complete = state is FindState.COMPLETE
        if complete and patients is None:  # every query finished with no match: an empty archive
            patients = 0
        people = patients or 0
        at_least = "" if complete else "at least "
        what = f"{at_least}{people} patients" + (f", {studies} studies" if studies is not None else "")
        title = f"DICOM server at {self._where()} answers C-FIND from an unknown caller: {what} exposed"
        if self.honeypot:
            title += " (likely a honeypot: not counted)"
        evidence: dict[str, Any] = {
            "patients": patients,
            "studies": studies,
            "complete": complete,
            "queries": [
                {"level": q.level, "model": q.model, "state": q.state.value, "responses": q.responses}
                for q in self.report.queries
            ],
        }
        if counts is not None:
            evidence.update(
                modalities=counts.modalities,
                modality_source=counts.modality_source,
                modality_studies_examined=counts.modality_studies_examined,
                study_dates={"first": counts.first_study_month, "last": counts.last_study_month},
                instances=counts.instances,
                exposed_attributes=counts.exposed_attributes,
                sample_names=counts.sample_names,
                capped=counts.capped,
            )
        if self.report.deadline_hit:
            evidence["stopped"] = "phileak's time budget ran out"
        if any(q.state is FindState.LIMITED for q in self.report.queries):
            evidence["stopped"] = "the server cut its answers at its own result limit"
        return self._finding(
            QUERY_EXPOSED,
            Severity.CRITICAL if people else Severity.MEDIUM,
            title,
            self.remedies.query,
            data_categories=_categories(counts.exposed_attributes if counts else [], studies),
            affected_individuals=None if self.honeypot else patients,
            evidence={
                **evidence,
                "identity_hashes": [] if self.honeypot or counts is None else counts.person_hashes,
            },
        )

    def _retrieve(self) -> list[Finding]:
        move = self.report.move
        if move is None or move.state is MoveState.UNSUPPORTED:
            return []
        evidence = {
            "c_move_status": _hex(move.status),
            "status_meaning": _move_meaning(move.status) if move.status is not None else move.detail,
            "destination": "an AE title that does not exist; no image was transferred",
            "study": "a study found by C-FIND" if move.used_real_study else "a random study UID",
        }
        if move.state is MoveState.ACCEPTED:
            return [
                self._finding(
                    RETRIEVE_EXPOSED,
                    Severity.HIGH,
                    f"DICOM server at {self._where()} processes retrieval (C-MOVE) requests from an unknown caller",
                    self.remedies.retrieve,
                    data_categories=[DataCategory.MEDICAL_IMAGE],
                    evidence=evidence,
                )
            ]
        return [
            self._finding(
                RETRIEVE_REFUSED,
                Severity.INFO,
                f"DICOM server at {self._where()} refuses retrieval (C-MOVE) from an unknown caller",
                "None needed for retrieval.",
                evidence=evidence,
            )
        ]

    def _honeypot(self) -> list[Finding]:
        if not self.signs:
            return []
        verdict = "likely a honeypot" if self.honeypot else "possibly a honeypot"
        return [
            self._finding(
                HONEYPOT,
                Severity.INFO,
                f"DICOM server at {self._where()} shows honeypot signs ({verdict}); its patients are not counted"
                if self.honeypot
                else f"DICOM server at {self._where()} shows a weak honeypot sign",
                "None: treat its data as decoys, and report the server to whoever runs it only if it is yours.",
                evidence={
                    "signs": [{"code": s.code, "strong": s.strong, "detail": s.detail} for s in self.signs],
                    "verdict": verdict,
                },
            )
        ]

    # ------------------------------------------------------------ linking with the HTTP side

    def link(self, findings: list[Finding], http: HttpSide) -> list[Finding]:
        """One exposure, one count: the HTTP side's findings join this exposure, and the patient count sits on
        the main finding only (the DIMSE count when there is one, else the HTTP side's largest)."""
        main = next((f for f in findings if f.kind == QUERY_EXPOSED and f.affected_individuals is not None), None)
        linked = []
        if main is None:
            counted = [f for f in http.findings if f.affected_individuals is not None]
            main_http = max(counted, key=lambda f: f.affected_individuals or 0, default=None)
        else:
            main_http = None
        for finding in http.findings:
            keep = finding is main_http and not self.honeypot
            linked.append(self._joined(finding, keep))
        if main is not None and (http.patients is not None or http.studies is not None):
            index = findings.index(main)
            extra = {"http_patients": http.patients, "http_studies": http.studies}
            findings[index] = _with_evidence(main, extra)
        return findings + linked

    def _joined(self, finding: Finding, keep_count: bool) -> Finding:
        update: dict[str, Any] = {"evidence": _evidence_with(finding.evidence, {"exposure": self.exposure})}
        if not keep_count:
            update["affected_individuals"] = None
            update["estimate"] = None
        return finding.model_copy(update=update)


def _with_evidence(finding: Finding, extra: dict[str, Any]) -> Finding:
    return finding.model_copy(update={"evidence": _evidence_with(finding.evidence, extra)})


def _evidence_with(evidence: Evidence, extra: dict[str, Any]) -> Evidence:
    return Evidence.model_validate({**evidence.model_dump(), **extra})


def _attempt_evidence(attempt: AssociationAttempt) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "called_ae": attempt.called_ae,
        "transport": "tls" if attempt.tls else "plain",
        "result": attempt.state.value,
    }
    if attempt.reject is not None:
        entry["reject"] = {"code": attempt.reject.code(), "reason": attempt.reject.describe()}
    if attempt.detail:
        entry["detail"] = attempt.detail
    return entry


def _tls_evidence(report: SessionReport) -> dict[str, Any]:
    tls = report.tls
    if tls is None:
        return {}
    return {
        "protocol": tls.protocol,
        "cipher": tls.cipher,
        "certificate_subject": tls.subject,
        "certificate_issuer": tls.issuer,
        "certificate_expires": tls.not_after,
        "self_signed": tls.self_signed,
    }


def _categories(attributes: Sequence[str], studies: int | None) -> list[DataCategory]:
    seen = set(attributes)
    categories = [category for attribute, category in _CATEGORY_BY_ATTRIBUTE if attribute in seen]
    if studies:
        categories.append(DataCategory.MEDICAL_IMAGE)
    return list(dict.fromkeys(categories))


def _move_meaning(status: int) -> str:
    if status in _MOVE_STATUS:
        return _MOVE_STATUS[status]
    if 0xC000 <= status <= 0xCFFF:
        return "failed: unable to process (past authorisation; Orthanc's answer for an unknown destination)"
    return "see PS3.4 C.4.2.1.5"


def _hex(value: int | None) -> str | None:
    return None if value is None else f"0x{value:04X}"
