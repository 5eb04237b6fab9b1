"""One capture file, end to end, in a child process (run_isolated): read, detect leaks, build findings.

The parent hands over the path, the canary identity (if any), the first party (if given) and the scan's
identity hasher; the child returns findings only. Parsing a hostile or huge file thus runs under phileak's
memory, time and result-size limits, and a crash costs one target, not the scan.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from phileak.errors import InputError, LimitExceeded
from phileak.model import Evidence, Finding, Severity
from phileak.phi.canary import CanaryMatcher
from phileak.phi.canary_identity import CanaryIdentity
from phileak.phi.identity import IdentityHasher
from phileak.probes.har.capture import Capture
from phileak.probes.har.reader import read_capture
from phileak.probes.web.capture_model import CaptureSession
from phileak.probes.web.catalogue import Catalogue, default_catalogue
from phileak.probes.web.domains import registrable_domain
from phileak.probes.web.leaks import LeakDetector

log = logging.getLogger(__name__)
INCOMPLETE_KIND = "capture-incomplete"


@dataclass(frozen=True, slots=True)
class CaptureJob:
    path: str
    target: str
    canary: CanaryIdentity | None
    first_party: tuple[str, ...]
    body_cap: int
    max_file_bytes: int


def analyse_capture_file(job: CaptureJob, hasher: IdentityHasher) -> list[Finding]:
    capture = read_capture(_read(job), job.body_cap)
    catalogue = default_catalogue()
    first_party = job.first_party or guess_first_party(capture.sessions, catalogue)
    matcher = CanaryMatcher(job.canary) if job.canary is not None else None
    detector = LeakDetector(first_party=first_party, hasher=hasher, canary=matcher, catalogue=catalogue)
    for session in capture.sessions:
        if not session.identity_collected and detector.identity_typed(session):
            session = replace(session, identity_collected=True)
        detector.observe(session)
    findings = detector.findings(probe="har", target=job.target)
    notes = {**detector.notes(), "format": capture.format, "entries": capture.entries, "first_party": list(first_party)}
    log.info("capture analysed: %s", notes)
    if capture.skipped:
        findings.append(_incomplete(job.target, capture, notes))
    return findings


def guess_first_party(sessions: Sequence[CaptureSession], catalogue: Catalogue) -> tuple[str, ...]:
    """The site of the most visited pages; for app captures without pages, the registrable domain that got
    the most requests among hosts the tracker catalogue does not know. Empty when there is no candidate."""
    pages = Counter(registrable_domain(h) for s in sessions if s.page_url and (h := _host(s.page_url)))
    if pages:
        return (_most_common(pages),)
    hosts: Counter[str] = Counter()
    for session in sessions:
        for req in session.requests:
            host = req.host
            if host and catalogue.lookup(host, req.path) is None:
                hosts[registrable_domain(host)] += 1
    return (_most_common(hosts),) if hosts else ()


def _most_common(counter: Counter[str]) -> str:
    return min(counter.items(), key=lambda item: (-item[1], item[0]))[0]


def _host(url: str) -> str | None:
    from phileak.probes.web.capture_model import CapturedRequest

    return CapturedRequest(url=url).host


def _read(job: CaptureJob) -> bytes:
    path = Path(job.path)
    try:
        with path.open("rb") as handle:
            data = handle.read(job.max_file_bytes + 1)
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not a capture file") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {type(exc).__name__}") from None
    if len(data) > job.max_file_bytes:
        raise LimitExceeded(f"{path} is larger than phileak's limit of {job.max_file_bytes} bytes for a capture file")
    return data


def _incomplete(target: str, capture: Capture, notes: dict[str, object]) -> Finding:
    return Finding.create(
        probe="har",
        target=target,
        kind=INCOMPLETE_KIND,
        key="skipped-entries",
        severity=Severity.INFO,
        title=f"{capture.skipped} of {capture.entries} entries in the capture could not be read; the rest was analysed",
        evidence=Evidence(**notes),
        remediation="Re-export the capture (HAR 1.2 with request bodies, or a complete mitmproxy dump) to audit "
        "the missing entries.",
    )
