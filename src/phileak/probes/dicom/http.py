"""The HTTP side of an imaging server: Orthanc REST, DICOMweb QIDO-RS, web viewers and default credentials,
measured by counting, never by downloading.

Every request goes through phileak.net.ScopedHttpClient (scope-checked, redirects checked, byte-capped), one at a
time, with an optional pause between requests (`rate` option, requests per second). By level:
  passive    Orthanc /system fingerprint, authentication challenge, web viewer pages;
  standard   + counts: Orthanc /statistics (or /patients ids, counted and dropped), QIDO-RS study pages
             (identifiers hashed as they are read);
  intrusive  + the documented default credentials, once each, where the server's challenge says they apply.
Every finding of one host carries the same `exposure_key` (evidence), so the DICOM side can link them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from phileak.errors import InputError, LimitExceeded, PhileakError, ScopeViolation, TransientError
from phileak.logsafe import safe_message, scrub
from phileak.model import DataCategory, Evidence, Finding, Severity
from phileak.net import HttpResponse, PeerError, ScopedHttpClient
from phileak.probes.base import ScanContext
from phileak.probes.dicom import fingerprints_http as fp
from phileak.probes.dicom.http_qido import INCLUDE_FIELDS, NotQido, QidoTally, study_page
from phileak.runner import refusal_finding
from phileak.scope import normalise_host, parse_ip
from phileak.targets import Target

Level = Literal["passive", "standard", "intrusive"]
LEVELS: tuple[Level, ...] = ("passive", "standard", "intrusive")
PROBE = "dicom"
MAX_IDENTITY_HASHES = 200
_ACCEPT_JSON = "application/dicom+json, application/json;q=0.9"
_MAX_CONSECUTIVE_FAILURES = 3

ORTHANC_REST_REMEDIATION = (
    'In the Orthanc configuration set "AuthenticationEnabled": true and declare "RegisteredUsers" with strong, '
    'non-default passwords; keep "RemoteAccessAllowed": false unless Orthanc sits behind a reverse proxy that '
    "authenticates users and terminates TLS, and expose only that proxy; block port 8042 from untrusted networks."
)
DICOMWEB_REMEDIATION = {
    fp.ORTHANC: (
        'The DICOMweb plugin answers through Orthanc\'s own HTTP server: turn on "AuthenticationEnabled" with '
        '"RegisteredUsers" (or the authorization plugin), or set "DicomWeb": {"Enable": false} if no viewer needs '
        "it; put Orthanc behind a reverse proxy that requires authentication and TLS."
    ),
    "dcm4chee-arc": (
        'Run the secured archive (Keycloak; build with -D secure=all, see the dcm4chee-arc-light wiki "Run '
        'secured archive services") so QIDO-RS and WADO-RS require a token; never expose the unsecured setup.'
    ),
}
DICOMWEB_GENERIC_REMEDIATION = (
    "Put the DICOMweb endpoint behind a reverse proxy that requires authentication (OpenID Connect, or Basic "
    "over TLS) and allow only the networks that need it."
)
VIEWER_REMEDIATION = (
    "Serve the viewer only behind authentication (a reverse proxy or the viewer's own login) and make sure the "
    "DICOMweb or REST backend it reads also requires authentication: a viewer's static files protect nothing."
)
PORTAL_REMEDIATION = (
    "Keep the PACS portal off untrusted networks (VPN or an allow-list), enforce strong passwords and "
    "multi-factor authentication, and remove default accounts."
)
DEFAULT_CREDENTIALS_REMEDIATION = {
    fp.ORTHANC: (
        'Declare your own "RegisteredUsers" with strong passwords: Orthanc creates the default user only while '
        "that list is empty (the Docker images rely on it). Rotate any password that was ever the default, "
        "review the access log, and keep Orthanc behind a reverse proxy with TLS."
    ),
    "dcm4che": "Change the default admin password of the archive and its web console, and review its users.",
}
AUTH_REQUIRED_REMEDIATION = (
    'Keep authentication on. Make sure "RegisteredUsers" holds no default or weak password (--level intrusive '
    'tests the documented default) and serve Orthanc over TLS ("SslEnabled", or a reverse proxy) so Basic '
    "credentials never cross the network in clear."
)


class HttpFingerprint(NamedTuple):
    product: str | None
    version: str | None
    name: str | None


@dataclass
class HttpSideResult:
    """What the HTTP side of one host exposes. `patients`/`studies` are the host's one count (None when not
    counted, or when the host looks like a honeypot); `errors` are checks that could not be read."""

    fingerprint: HttpFingerprint
    findings: list[Finding]
    patients: int | None
    studies: int | None
    exposure_key: str
    dicom_aet: str | None = None
    dicom_port: int | None = None
    honeypot_signs: list[fp.HoneypotSign] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class PartlyUnread(PhileakError):
    """Some HTTP checks of a target failed; the findings of the others were kept."""


def exposure_key_for(host: str) -> str:
    """The key every finding about one imaging host carries (DICOM port, REST, DICOMweb, viewers alike)."""
    address = parse_ip(host)
    return f"imaging-host:{address if address is not None else normalise_host(host)}"


def base_url(host: str, port: int, scheme: str) -> str:
    name = normalise_host(host)
    shown = f"[{name}]" if ":" in name else name
    return f"{scheme}://{shown}:{port}"


@dataclass(frozen=True)
class HttpSettings:
    """Per-request bounds and counting caps; each can be set through ScanContext.options."""

    request_timeout_s: float = 10.0
    max_response_bytes: int = 8 * 1024 * 1024
    qido_page_size: int = 100
    qido_max_studies: int = 10_000
    id_page_size: int = 1000
    id_max: int = 100_000
    interval_s: float = 0.0

    @classmethod
    def from_context(cls, ctx: ScanContext) -> HttpSettings:
        """`rate` (requests per second to one host), `http_timeout_s`, `http_max_bytes` (per response, within
        the scan's byte limit), `qido_page_size`, `qido_max_studies`, `id_page_size`, `id_max`."""
        options, default = ctx.options, cls()

        def option(name: str, fallback: float) -> float:
            return _positive(options.get(name), fallback)

        rate = option("rate", 0.0)
        return cls(
            request_timeout_s=min(option("http_timeout_s", default.request_timeout_s), ctx.limits.timeout_s),
            max_response_bytes=min(int(option("http_max_bytes", default.max_response_bytes)), ctx.limits.max_bytes),
            qido_page_size=int(option("qido_page_size", default.qido_page_size)),
            qido_max_studies=int(option("qido_max_studies", default.qido_max_studies)),
            id_page_size=int(option("id_page_size", default.id_page_size)),
            id_max=int(option("id_max", default.id_max)),
            interval_s=1.0 / rate if rate else 0.0,
        )


async def probe_http(host: str, port: int, scheme: str, ctx: ScanContext, level: str) -> HttpSideResult:
    """Survey the HTTP side of `host:port`. Raises what the first request raises (TransientError when nothing
    answers, LimitExceeded, PeerError for refused TLS); later failures are kept in `errors` and the survey
    goes on. A redirect or address outside the scope is never contacted: it becomes a refusal finding."""
    if level not in LEVELS:
        raise InputError(f"unknown level '{level}' (passive|standard|intrusive)")
    if scheme not in ("http", "https"):
        raise InputError(f"not an HTTP scheme: '{scheme}'")
    if not 0 < port < 65536:
        raise InputError(f"bad port {port}")
    settings = HttpSettings.from_context(ctx)
    async with ScopedHttpClient.for_scan(ctx, timeout=settings.request_timeout_s) as client:
        survey = _Survey(client, ctx, base_url(host, port, scheme), settings)
        await survey.run(level)
    return _Report(survey, exposure_key_for(host), scheme).result()


async def http_target_findings(target: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
    """The findings of an `http(s)://host:port` target of `scan dicom`, for the dicom probe to yield. When some
    checks could not be read, raises PartlyUnread after yielding the rest, so the target's outcome says so."""
    scheme = target.ref.split("://", 1)[0].lower()
    if target.host is None or scheme not in ("http", "https"):
        raise InputError(f"not an HTTP imaging target: {target.ref!r}")
    level = str(ctx.options.get("level") or "standard")
    result = await probe_http(target.host, target.port or (443 if scheme == "https" else 80), scheme, ctx, level)
    for finding in result.findings:
        yield finding
    if result.errors:
        more = f" (+{len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
        raise PartlyUnread(f"HTTP side partly unread: {result.errors[0]}{more}")


# ---------------------------------------------------------------------------------------------- the survey


class _Stop(Exception):
    """Too many requests in a row failed: the peer is not answering; keep what was found."""


@dataclass
class _Rest:
    prefix: str
    system: fp.OrthancSystem


@dataclass
class _Challenge:
    """A Basic challenge at `path`. `login_path` is where a default login may be proved without reading
    data (Orthanc's /system, dcm4chee's study count); None where no such place is known."""

    path: str
    realm: str
    login_path: str | None


@dataclass
class _Listing:
    patients: int | None = None
    studies: int | None = None
    complete: bool = True


@dataclass
class _Qido:
    root: fp.DicomwebRoot
    path: str
    tally: QidoTally
    complete: bool = False
    pages: int = 0
    studies_total: int | None = None


@dataclass
class _DefaultLogin:
    credential: fp.DefaultCredential
    path: str
    statistics: fp.OrthancStatistics | None = None


class _Survey:
    """One host's HTTP side, request by request; holds only counts, hashes and non-identifying facts."""

    def __init__(self, client: ScopedHttpClient, ctx: ScanContext, base: str, settings: HttpSettings) -> None:
        self._client = client
        self._ctx = ctx
        self.base = base
        self._settings = settings
        self._target = Target(PROBE, base, host=None)
        self._last_request = 0.0
        self._failures = 0
        self.level: Level = "passive"
        self.rest: _Rest | None = None
        self.rest_challenge: _Challenge | None = None
        self.challenges: list[_Challenge] = []
        self.statistics: fp.OrthancStatistics | None = None
        self.listing: _Listing | None = None
        self.qido: _Qido | None = None
        self.viewers: dict[str, fp.ViewerSignature] = {}
        self.default_logins: list[_DefaultLogin] = []
        self.refusals: dict[str, Finding] = {}
        self.errors: list[str] = []
        self.server_headers: set[str] = set()
        self.decoy_bodies = 0
        self.unknown_path_status: int | None = None

    async def run(self, level: Level) -> None:
        self.level = level
        try:
            await self._find_rest()
            await self._find_viewers()
            if self.rest is not None:
                await self._probe_unknown_path()
            if level != "passive":
                await self._count_rest()
                await self._find_dicomweb()
            if level == "intrusive":
                await self._try_default_credentials()
        except _Stop:
            pass

    # ------------------------------------------------------------------------------------------ requests

    async def _get(
        self, path: str, *, critical: bool = False, auth: tuple[str, str] | None = None
    ) -> HttpResponse | None:
        """GET base+path; None when it failed (noted in `errors`) or was refused by the scope (a refusal
        finding). A `critical` request's failure propagates: without it there is nothing to survey."""
        await self._pace()
        headers = {"Accept": _ACCEPT_JSON + ", text/html;q=0.8, */*;q=0.5"}
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        try:
            response = await self._client.get(
                self.base + path, headers=headers, max_bytes=self._settings.max_response_bytes
            )
        except ScopeViolation as violation:
            refusal = refusal_finding(self._target, violation)
            self.refusals.setdefault(refusal.id, refusal)
            return None
        except (TransientError, LimitExceeded, PeerError) as exc:
            if critical:
                raise
            self.errors.append(f"{path.split('?')[0]}: {safe_message(exc)}")
            self._failures += 1
            if self._failures >= _MAX_CONSECUTIVE_FAILURES:
                raise _Stop from exc
            return None
        self._failures = 0
        for name in ("server", "x-powered-by"):
            value = fp.label(response.headers.get(name))
            if value:
                self.server_headers.add(value)
        if fp.decoy_markers(response.body):
            self.decoy_bodies += 1
        return response

    async def _pace(self) -> None:
        if self._settings.interval_s:
            wait = self._last_request + self._settings.interval_s - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        self._last_request = time.monotonic()

    # ---------------------------------------------------------------------------------------- the checks

    async def _find_rest(self) -> None:
        for prefix in fp.REST_PREFIXES:
            response = await self._get(prefix + "/system", critical=not prefix)
            if response is None:
                continue
            system = fp.orthanc_system(response.body) if response.status == 200 else None
            if system is not None:
                self.rest = _Rest(prefix, system)
                return
            realm = fp.basic_realm(response.headers) if response.status in (401, 403) else None
            if realm is not None:
                login_path = prefix + "/system" if realm == fp.ORTHANC_REALM else None
                challenge = _Challenge(prefix + "/system", realm, login_path)
                self.challenges.append(challenge)
                if realm == fp.ORTHANC_REALM:
                    self.rest_challenge = challenge
                return

    async def _find_viewers(self) -> None:
        for path in fp.viewer_paths():
            response = await self._get(path)
            if response is None or response.status != 200:
                continue
            for signature in fp.matching_viewers(path, response.body):
                self.viewers.setdefault(signature.product, signature)

    async def _probe_unknown_path(self) -> None:
        """A real Orthanc answers 404 to a path it does not know; a catch-all decoy answers 200."""
        assert self.rest is not None
        response = await self._get(f"{self.rest.prefix}/phileak-absent-{secrets.token_hex(6)}")
        self.unknown_path_status = response.status if response is not None else None

    async def _count_rest(self) -> None:
        if self.rest is None:
            return
        response = await self._get(self.rest.prefix + "/statistics")
        if response is not None and response.status == 200:
            self.statistics = fp.orthanc_statistics(response.body)
        if self.statistics is None:
            patients, patients_complete = await self._count_ids(self.rest.prefix + "/patients")
            studies, studies_complete = await self._count_ids(self.rest.prefix + "/studies")
            self.listing = _Listing(patients, studies, patients_complete and studies_complete)

    async def _count_ids(self, path: str) -> tuple[int | None, bool]:
        """How many ids Orthanc lists at `path`, page by page (`since`/`limit`), and whether that is all of
        them; the ids themselves are never kept."""
        total, page = 0, self._settings.id_page_size
        while total < self._settings.id_max:
            response = await self._get(f"{path}?since={total}&limit={page}")
            length = fp.id_list_length(response.body) if response is not None and response.status == 200 else None
            if length is None:
                return (total or None), False
            total += length
            if length < page:
                return total, True
        return total, False

    async def _find_dicomweb(self) -> None:
        roots = list(fp.DICOMWEB_ROOTS)
        if self.rest is not None and self.rest.prefix:
            roots.insert(0, fp.DicomwebRoot(self.rest.prefix + "/dicom-web", fp.ORTHANC))
        for root in roots:
            qido = await self._count_studies(root)
            if qido is not None:
                self.qido = qido
                return

    async def _count_studies(self, root: fp.DicomwebRoot) -> _Qido | None:
        size = self._settings.qido_page_size
        fields = "".join(f"&includefield={tag}" for tag in INCLUDE_FIELDS)
        qido: _Qido | None = None
        offset = 0
        while True:
            path = f"{root.path}/studies?limit={size}&offset={offset}{fields}"
            response = await self._get(path)
            if response is None:
                return qido
            if qido is None and response.status in (401, 403):
                realm = fp.basic_realm(response.headers)
                if realm is not None:
                    self.challenges.append(_Challenge(root.path + "/studies", realm, _login_path(root, realm)))
                return None
            if response.status not in (200, 204):
                return qido
            try:
                studies = study_page(response.body) if response.status == 200 else []
            except NotQido:
                return qido
            if qido is None:
                qido = _Qido(root, f"{root.path}/studies", QidoTally(self._ctx.identity))
            qido.pages += 1
            new = qido.tally.add_page(studies)
            if not studies or len(studies) > size:  # done, or the server ignored `limit` and sent everything
                qido.complete = True
                break
            if not new:  # the server ignores `offset`
                qido.complete = len(studies) < size
                break
            offset += len(studies)
            if qido.tally.study_records >= self._settings.qido_max_studies:
                break
        if not qido.complete and root.count_path:
            qido.studies_total = await self._study_count(root.path + root.count_path)
        return qido

    async def _study_count(self, path: str, auth: tuple[str, str] | None = None) -> int | None:
        response = await self._get(path, auth=auth)
        if response is None or response.status != 200:
            return None
        return _json_count(response.body)

    async def _try_default_credentials(self) -> None:
        products = [signature.product for signature in self.viewers.values()]
        if self.qido is not None and self.qido.root.product:
            products.append(self.qido.root.product)
        tried: set[str] = set()
        for challenge in self.challenges:
            if challenge.login_path is None or challenge.login_path in tried:
                continue  # proving a login anywhere else would mean reading data
            tried.add(challenge.login_path)
            for credential in fp.DEFAULT_CREDENTIALS:
                if not credential.applies_to(challenge.realm, products):
                    continue
                login = await self._try_login(challenge.realm, challenge.login_path, credential)
                if login is not None:
                    self.default_logins.append(login)
                    break

    async def _try_login(self, realm: str, path: str, credential: fp.DefaultCredential) -> _DefaultLogin | None:
        auth = (credential.user, credential.password)
        if realm == fp.ORTHANC_REALM:
            response = await self._get(path, auth=auth)
            if response is None or response.status != 200 or fp.orthanc_system(response.body) is None:
                return None
            statistics = await self._get(path.removesuffix("/system") + "/statistics", auth=auth)
            counted = fp.orthanc_statistics(statistics.body) if statistics and statistics.status == 200 else None
            return _DefaultLogin(credential, path, counted)
        count = await self._study_count(path, auth)
        if count is None:
            return None
        return _DefaultLogin(credential, path, fp.OrthancStatistics(0, count, None, None))


# ---------------------------------------------------------------------------------------------- findings


class _Report:
    """Turns a finished survey into findings and the host's one count."""

    def __init__(self, survey: _Survey, exposure_key: str, scheme: str) -> None:
        self._s = survey
        self._key = exposure_key
        self._scheme = scheme
        observations = fp.HttpObservations(
            orthanc_claimed=survey.rest is not None,
            server_headers=tuple(sorted(survey.server_headers)),
            plausible_version=survey.rest.system.plausible_version if survey.rest else True,
            statistics=survey.statistics,
            unknown_path_status=survey.unknown_path_status,
            families=self._families(),
            bodies_with_decoy_markers=survey.decoy_bodies,
        )
        self.signs = fp.honeypot_signs(observations)
        self.honeypot = fp.looks_like_honeypot(self.signs)

    def result(self) -> HttpSideResult:
        s = self._s
        findings = [
            *self._rest_findings(),
            *self._dicomweb_findings(),
            *self._viewer_findings(),
            *self._credential_findings(),
            *s.refusals.values(),
        ]
        patients, studies = (None, None) if self.honeypot else self._host_count()
        system = s.rest.system if s.rest else None
        return HttpSideResult(
            fingerprint=self._fingerprint(),
            findings=findings,
            patients=patients,
            studies=studies,
            exposure_key=self._key,
            dicom_aet=system.dicom_aet if system else None,
            dicom_port=system.dicom_port if system else None,
            honeypot_signs=self.signs,
            errors=list(s.errors),
        )

    # ----------------------------------------------------------------------------------------- counts

    def _rest_counts(self) -> tuple[int | None, int | None, str | None]:
        s = self._s
        if s.statistics is not None:
            return s.statistics.patients, s.statistics.studies, "statistics"
        if s.listing is not None and (s.listing.patients is not None or s.listing.studies is not None):
            return s.listing.patients, s.listing.studies, "id-list" if s.listing.complete else "id-list-capped"
        return None, None, None

    def _host_count(self) -> tuple[int | None, int | None]:
        patients, studies, _ = self._rest_counts()
        for login in self._s.default_logins:
            if login.statistics is not None and patients is None:
                patients = login.statistics.patients or None
                studies = login.statistics.studies
        qido = self._s.qido
        if qido is not None:
            patients = patients if patients is not None else qido.tally.patients
            studies = studies if studies is not None else (qido.studies_total or qido.tally.studies)
        return patients, studies

    # ---------------------------------------------------------------------------------------- findings

    def _finding(
        self,
        kind: str,
        *,
        key: str | tuple[str, ...] = "",
        severity: Severity,
        title: str,
        remediation: str,
        categories: list[DataCategory] | None = None,
        affected: int | None = None,
        hashes: list[str] | None = None,
        **evidence: Any,
    ) -> Finding:
        if self.honeypot:
            severity = Severity.LOW if severity.at_least(Severity.LOW) else severity
            title = f"{title} (honeypot signs: not counted)"
            evidence["counted"] = False
            affected = None
        extra: dict[str, Any] = {"exposure_key": self._key, "server": self._fingerprint()._asdict()}
        if self.signs:
            extra["honeypot_signs"] = [f"{sign.code}: {sign.detail}" for sign in self.signs]
        extra.update({name: value for name, value in evidence.items() if value is not None})
        return Finding.create(
            probe=PROBE,
            target=self._s.base,
            kind=kind,
            key=key,
            severity=severity,
            title=scrub(title),
            data_categories=categories or [],
            affected_individuals=affected,
            evidence=Evidence(identity_hashes=(hashes or [])[:MAX_IDENTITY_HASHES], **extra),
            remediation=remediation,
        )

    def _rest_findings(self) -> list[Finding]:
        s = self._s
        if s.rest is not None:
            patients, studies, method = self._rest_counts()
            counted = f"{_n(patients, 'patient')}, {_n(studies, 'study')}" if method else "not counted"
            if s.level == "passive":
                counted = "not counted at --level passive"
            system = s.rest.system
            return [
                self._finding(
                    "orthanc-rest-exposed",
                    severity=Severity.CRITICAL if patients else Severity.HIGH,
                    title=f"Orthanc REST API answers without a password ({counted})",
                    remediation=ORTHANC_REST_REMEDIATION,
                    categories=_IMAGING_CATEGORIES,
                    affected=patients,
                    url=s.base + s.rest.prefix + "/system",
                    patients=patients,
                    studies=studies,
                    count_method=method,
                    api_version=system.api_version,
                    dicom_aet=system.dicom_aet,
                    dicom_port=system.dicom_port,
                    is_http_server_secure=system.http_server_secure,
                )
            ]
        challenge = s.rest_challenge
        if challenge is None or any(login.path == challenge.login_path for login in s.default_logins):
            return []
        clear = " over plain HTTP" if self._scheme == "http" else ""
        return [
            self._finding(
                "orthanc-auth-required",
                severity=Severity.INFO,
                title=f'Orthanc asks for a password{clear} (realm "{fp.ORTHANC_REALM}")',
                remediation=AUTH_REQUIRED_REMEDIATION,
                url=s.base + challenge.path,
                realm=challenge.realm,
                default_credentials_tried=s.level == "intrusive",
            )
        ]

    def _dicomweb_findings(self) -> list[Finding]:
        qido = self._s.qido
        if qido is None:
            return []
        tally = qido.tally
        studies = qido.studies_total or tally.studies
        floor = "" if qido.complete else "at least "
        product = qido.root.product
        return [
            self._finding(
                "dicomweb-exposed",
                key=qido.root.path,
                severity=Severity.CRITICAL if tally.patients else Severity.MEDIUM,
                title=(
                    f"DICOMweb QIDO-RS answers without a password ({floor}{_n(tally.patients, 'patient')}, "
                    f"{floor if not qido.studies_total else ''}{_n(studies, 'study')})"
                ),
                remediation=DICOMWEB_REMEDIATION.get(product or "", DICOMWEB_GENERIC_REMEDIATION),
                categories=sorted(tally.categories, key=lambda c: c.value),
                affected=tally.patients,
                hashes=list(tally.persons),
                url=self._s.base + qido.path,
                patients=tally.patients,
                studies=studies,
                studies_read=tally.study_records,
                complete=qido.complete,
                pages=qido.pages,
                research_collection_ids=tally.research_ids or None,
                **tally.evidence(),
            )
        ]

    def _viewer_findings(self) -> list[Finding]:
        backend_open = self._s.rest is not None or self._s.qido is not None
        findings = []
        for product, signature in self._s.viewers.items():
            if signature.login_page:
                severity, title, remediation = Severity.LOW, f"{product} login page is reachable", PORTAL_REMEDIATION
            else:
                severity = Severity.HIGH if backend_open else Severity.MEDIUM
                title = f"{product} web viewer opens without a password"
                remediation = VIEWER_REMEDIATION
            findings.append(
                self._finding(
                    "dicom-viewer-exposed",
                    key=product,
                    severity=severity,
                    title=title,
                    remediation=remediation,
                    categories=[DataCategory.MEDICAL_IMAGE] if backend_open and not signature.login_page else [],
                    url=self._s.base + signature.path,
                    viewer=product,
                    login_page=signature.login_page,
                    backend_exposed=backend_open,
                )
            )
        return findings

    def _credential_findings(self) -> list[Finding]:
        findings = []
        for login in self._s.default_logins:
            credential, counts = login.credential, login.statistics
            patients = counts.patients if counts and credential.product == fp.ORTHANC else None
            studies = counts.studies if counts else None
            counted = f" ({_n(patients, 'patient')}, {_n(studies, 'study')})" if counts else ""
            findings.append(
                self._finding(
                    "default-credentials",
                    key=(login.path, credential.user),
                    severity=Severity.CRITICAL,
                    title=f"{credential.product} accepts the documented default login '{credential.user}'{counted}",
                    remediation=DEFAULT_CREDENTIALS_REMEDIATION.get(credential.product, PORTAL_REMEDIATION),
                    categories=_IMAGING_CATEGORIES,
                    affected=patients,
                    url=self._s.base + login.path,
                    user=credential.user,
                    source=credential.source,
                    patients=patients,
                    studies=studies,
                )
            )
        return findings

    # ------------------------------------------------------------------------------------------- facts

    def _fingerprint(self) -> HttpFingerprint:
        s = self._s
        if s.rest is not None:
            return HttpFingerprint(fp.ORTHANC, s.rest.system.version, s.rest.system.name)
        if s.rest_challenge is not None:
            return HttpFingerprint(fp.ORTHANC, None, None)
        if s.qido is not None and s.qido.root.product:
            return HttpFingerprint(s.qido.root.product, None, None)
        first = next(iter(s.viewers), None)
        return HttpFingerprint(first, None, None)

    def _families(self) -> frozenset[str]:
        s = self._s
        families = {signature.family for signature in s.viewers.values() if signature.family}
        if s.rest is not None:
            families.add(fp.ORTHANC)
        if s.qido is not None and s.qido.root.product == "dcm4chee-arc":
            families.add("dcm4chee")
        return frozenset(families)


_IMAGING_CATEGORIES = [
    DataCategory.PERSON_NAME,
    DataCategory.DATE_OF_BIRTH,
    DataCategory.MRN,
    DataCategory.PROCEDURE,
    DataCategory.MEDICAL_IMAGE,
]


def _login_path(root: fp.DicomwebRoot, realm: str) -> str | None:
    if realm == fp.ORTHANC_REALM:  # Orthanc challenges every path; its login is proved at its own /system
        return root.path.removesuffix("/dicom-web") + "/system" if root.path.endswith("/dicom-web") else None
    return root.path + root.count_path if root.count_path else None


def _n(count: int | None, noun: str) -> str:
    if count is None:
        return f"{noun} count unknown"
    plural = "studies" if noun == "study" else f"{noun}s"
    return f"{count} {noun if count == 1 else plural}"


def _positive(value: object, default: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            return default
        return parsed if parsed > 0 else default
    return default


def _json_count(body: bytes) -> int | None:
    """dcm4chee-arc's `{"count": N}`."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    value = data.get("count") if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
