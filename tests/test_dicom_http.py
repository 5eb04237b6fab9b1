"""The HTTP side of imaging servers against real Orthanc instances, and small hostile peers, on loopback.

Orthanc binds every interface, so these tests only run inside a network namespace whose only interface is lo
(`bash scripts/run-tests.sh tests/test_dicom_http.py`). A recording proxy in front of Orthanc shows which
requests the probe made and whether any carried credentials.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import io
import json
import logging
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

from phileak.errors import LimitExceeded, TransientError
from phileak.model import Finding, OutcomeStatus, Severity, TargetOutcome
from phileak.phi.identity import IdentityHasher
from phileak.probes.base import Limits, ScanContext
from phileak.probes.dicom.http import exposure_key_for, http_target_findings, probe_http
from phileak.runner import REFUSED_KIND, Runner
from phileak.scope import Scope
from phileak.targets import Target, parse_target

SYNTHETIC_FAMILY = "QUOKKASYNTH"
SYNTHETIC_ID = "QSYNPID"
DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
KEY = b"phileak-test-identity-key-32byte"


def only_loopback() -> bool:
    return [name for _, name in socket.if_nameindex()] == ["lo"]


pytestmark = pytest.mark.skipif(
    shutil.which("Orthanc") is None or not only_loopback(),
    reason="needs Orthanc and a network namespace with only lo (scripts/run-tests.sh)",
)


def context(**options: Any) -> ScanContext:
    limits = options.pop("limits", Limits(timeout_s=60, retries=0))
    return ScanContext(
        scan_id="scan-http",
        scope=Scope.from_rules(["127.0.0.1/32"]),
        identity=IdentityHasher(KEY),
        limits=limits,
        options=options,
    )


def kinds(findings: list[Finding]) -> dict[str, Finding]:
    return {finding.kind: finding for finding in findings}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# ------------------------------------------------------------------------------------------ synthetic data


@dataclass(frozen=True)
class SyntheticPatient:
    name: str
    patient_id: str
    modalities: tuple[str, ...]


# 5 patients, 8 studies: odd-numbered patients have a CT and an MR study, even-numbered ones a CT study only.
PATIENTS = [
    SyntheticPatient(f"{SYNTHETIC_FAMILY}^PATIENT{n}", f"{SYNTHETIC_ID}{n:04d}", ("CT", "MR") if n % 2 else ("CT",))
    for n in range(1, 6)
]


def dicom_files(patients: list[SyntheticPatient]) -> Iterator[bytes]:
    for patient in patients:
        for modality in patient.modalities:
            ds = pydicom.dcmread(get_testdata_file("CT_small.dcm" if modality == "CT" else "MR_small.dcm"))
            ds.PatientName, ds.PatientID, ds.PatientBirthDate = patient.name, patient.patient_id, "19000101"
            ds.StudyDescription = f"SYNTHETIC {modality} STUDY"
            ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID = (
                generate_uid(),
                generate_uid(),
                generate_uid(),
            )
            buffer = io.BytesIO()
            ds.save_as(buffer)
            yield buffer.getvalue()


# ------------------------------------------------------------------------------------------ Orthanc peers


@dataclass
class OrthancPeer:
    name: str
    http_port: int
    process: subprocess.Popen[bytes]
    log_dir: Path
    admin: tuple[str, str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def request(self, path: str, data: bytes | None = None) -> int:
        request = urllib.request.Request(self.url + path, data=data, method="POST" if data else "GET")
        if self.admin is not None:
            token = base64.b64encode(":".join(self.admin).encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.log_dir.iterdir() if p.is_file())


PROFILES: dict[str, dict[str, Any]] = {
    "exposed": {"Name": "TEST-ORTHANC-EXPOSED", "AuthenticationEnabled": False, "dicomweb": True},
    "auth": {
        "Name": "TEST-ORTHANC-AUTH",
        "AuthenticationEnabled": True,
        "RegisteredUsers": {"alice": "s3cret-alice"},
        "dicomweb": True,
    },
    "defaultcreds": {
        "Name": "TEST-ORTHANC-DEFAULTCREDS",
        "AuthenticationEnabled": True,
        "RegisteredUsers": {"orthanc": "orthanc"},
        "dicomweb": True,
    },
    "renamed": {"Name": "RADIOLOGY-ARCHIVE-EAST", "AuthenticationEnabled": False, "dicomweb": False},
}
ADMIN = {"auth": ("alice", "s3cret-alice"), "defaultcreds": ("orthanc", "orthanc")}
DATA = {"exposed": PATIENTS, "auth": PATIENTS, "defaultcreds": PATIENTS, "renamed": PATIENTS[:2]}


def start_orthanc(directory: Path, profile: str) -> OrthancPeer:
    settings = dict(PROFILES[profile])
    dicomweb = settings.pop("dicomweb")
    storage, logs = directory / "db", directory / "logs"
    logs.mkdir(parents=True)
    http_port = free_port()
    config = {
        **settings,
        "StorageDirectory": str(storage),
        "IndexDirectory": str(storage),
        "HttpPort": http_port,
        "DicomPort": free_port(),
        "DicomAet": "ORTHANC",
        "RemoteAccessAllowed": False,
        "SaveJobs": False,
        "DicomCheckCalledAet": False,
    }
    if dicomweb:
        config["Plugins"] = [DICOMWEB_PLUGIN]
        config["DicomWeb"] = {"Enable": True, "Root": "/dicom-web/"}
    (directory / "orthanc.json").write_text(json.dumps(config))
    process = subprocess.Popen(
        ["Orthanc", f"--logdir={logs}", str(directory / "orthanc.json")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return OrthancPeer(profile, http_port, process, logs, ADMIN.get(profile))


def wait_ready(peer: OrthancPeer, deadline: float) -> None:
    while time.monotonic() < deadline:
        if peer.process.poll() is not None:
            raise RuntimeError(f"Orthanc '{peer.name}' exited: {peer.log_text()[-500:]}")
        with contextlib.suppress(OSError):
            if peer.request("/system") in (200, 401):
                return
        time.sleep(0.05)
    raise RuntimeError(f"Orthanc '{peer.name}' did not become ready")


@pytest.fixture(scope="module")
def orthancs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, OrthancPeer]]:
    peers: dict[str, OrthancPeer] = {}
    try:
        for profile in PROFILES:
            peers[profile] = start_orthanc(tmp_path_factory.mktemp(f"orthanc-{profile}"), profile)
        deadline = time.monotonic() + 30
        for profile, peer in peers.items():
            wait_ready(peer, deadline)
            for data in dicom_files(DATA[profile]):
                assert peer.request("/instances", data) == 200
        yield peers
    finally:
        for peer in peers.values():
            peer.process.terminate()
        for peer in peers.values():
            try:
                peer.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                peer.process.kill()
                peer.process.wait()


# ------------------------------------------------------------------------------------------ recording proxy


@dataclass
class SeenRequest:
    path: str
    authorised: bool


class RecordingProxy(ThreadingHTTPServer):
    """Forwards GETs to one upstream server and records each path and whether it carried credentials;
    paths listed in `blocked` get a 404 instead."""

    daemon_threads = True

    def __init__(self, upstream_port: int, blocked: frozenset[str]) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.upstream_port = upstream_port
        self.blocked = blocked
        self.seen: list[SeenRequest] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def paths(self) -> list[str]:
        return [request.path for request in self.seen]


class _ProxyHandler(BaseHTTPRequestHandler):
    server: RecordingProxy
    _HOP_BY_HOP: ClassVar = {"connection", "keep-alive", "transfer-encoding", "content-length"}

    def do_GET(self) -> None:
        self.server.seen.append(SeenRequest(self.path, "authorization" in {k.lower() for k in self.headers}))
        if self.path.split("?")[0] in self.server.blocked:
            self._reply(404, [], b"")
            return
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=10)
        forwarded = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "accept")}
        upstream.request("GET", self.path, headers=forwarded)
        response = upstream.getresponse()
        body = response.read()
        upstream.close()
        headers = [(k, v) for k, v in response.getheaders() if k.lower() not in self._HOP_BY_HOP]
        self._reply(response.status, headers, body)

    def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def proxy_to() -> Iterator[Callable[..., RecordingProxy]]:
    proxies: list[RecordingProxy] = []

    def start(peer: OrthancPeer, blocked: tuple[str, ...] = ()) -> RecordingProxy:
        proxy = RecordingProxy(peer.http_port, frozenset(blocked))
        threading.Thread(target=proxy.serve_forever, args=(0.05,), daemon=True).start()
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        proxy.shutdown()
        proxy.server_close()


# ------------------------------------------------------------------------------------------ Orthanc tests


async def test_exposed_orthanc_is_counted_exactly_and_its_findings_linked(orthancs, proxy_to) -> None:
    proxy = proxy_to(orthancs["exposed"])
    result = await probe_http("127.0.0.1", proxy.port, "http", context(qido_page_size=3), "standard")

    assert tuple(result.fingerprint) == ("Orthanc", "1.10.1", "TEST-ORTHANC-EXPOSED")
    assert (result.patients, result.studies) == (5, 8)
    assert result.dicom_aet == "ORTHANC" and not result.honeypot_signs and not result.errors
    found = kinds(result.findings)
    assert set(found) == {"orthanc-rest-exposed", "dicomweb-exposed", "dicom-viewer-exposed"}
    rest, qido, viewer = found["orthanc-rest-exposed"], found["dicomweb-exposed"], found["dicom-viewer-exposed"]
    assert rest.affected_individuals == 5 and rest.severity is Severity.CRITICAL
    assert rest.evidence.model_extra is not None and rest.evidence.model_extra["count_method"] == "statistics"
    assert qido.affected_individuals == 5 and qido.severity is Severity.CRITICAL
    extra = qido.evidence.model_extra or {}
    assert (extra["studies"], extra["complete"], extra["pages"]) == (8, True, 4)
    assert extra["modalities"] == {"CT": 5, "MR": 3}
    hasher = IdentityHasher(KEY)
    expected = {
        hasher.person(name=p.name, birth_date="19000101", id_value=p.patient_id, id_kind="mrn") for p in PATIENTS
    }
    assert set(qido.evidence.identity_hashes) == expected
    assert viewer.evidence.model_extra is not None and viewer.evidence.model_extra["viewer"] == "Orthanc Explorer"
    assert "AuthenticationEnabled" in rest.remediation and "RegisteredUsers" in rest.remediation
    keys = {(f.evidence.model_extra or {})["exposure_key"] for f in result.findings}
    assert keys == {exposure_key_for("127.0.0.1")}
    # Counted without listing: no patient, study or instance resource was ever fetched, and no credential sent.
    assert not any(p.startswith(("/patients", "/studies", "/instances", "/series")) for p in proxy.paths())
    assert not any(request.authorised for request in proxy.seen)


async def test_passive_level_fingerprints_without_counting(orthancs, proxy_to) -> None:
    proxy = proxy_to(orthancs["exposed"])
    result = await probe_http("127.0.0.1", proxy.port, "http", context(), "passive")

    assert result.fingerprint.product == "Orthanc" and (result.patients, result.studies) == (None, None)
    rest = kinds(result.findings)["orthanc-rest-exposed"]
    assert rest.affected_individuals is None and "passive" in rest.title
    assert "dicomweb-exposed" not in kinds(result.findings)
    assert not any("statistics" in p or "dicom-web" in p for p in proxy.paths())


async def test_a_renamed_orthanc_is_recognised_by_the_shape_of_its_answers(orthancs) -> None:
    peer = orthancs["renamed"]
    result = await probe_http("127.0.0.1", peer.http_port, "http", context(), "standard")

    assert tuple(result.fingerprint) == ("Orthanc", "1.10.1", "RADIOLOGY-ARCHIVE-EAST")
    assert (result.patients, result.studies) == (2, 3)
    assert set(kinds(result.findings)) == {"orthanc-rest-exposed", "dicom-viewer-exposed"}  # no DICOMweb plugin


async def test_without_statistics_patients_are_counted_from_id_pages_never_fetched(orthancs, proxy_to) -> None:
    proxy = proxy_to(orthancs["exposed"], blocked=("/statistics",))
    result = await probe_http("127.0.0.1", proxy.port, "http", context(id_page_size=2), "standard")

    rest = kinds(result.findings)["orthanc-rest-exposed"]
    assert rest.affected_individuals == 5
    assert (rest.evidence.model_extra or {})["count_method"] == "id-list"
    assert (result.patients, result.studies) == (5, 8)
    listed = [p for p in proxy.paths() if p.startswith(("/patients", "/studies"))]
    assert listed and all("?since=" in p for p in listed)  # pages of ids, never /patients/<id>


@pytest.mark.parametrize("profile", ["auth", "defaultcreds"])
@pytest.mark.parametrize("level", ["passive", "standard"])
async def test_below_intrusive_an_authenticated_orthanc_gets_no_credentials(orthancs, proxy_to, profile, level) -> None:
    proxy = proxy_to(orthancs[profile])
    result = await probe_http("127.0.0.1", proxy.port, "http", context(), level)

    assert set(kinds(result.findings)) == {"orthanc-auth-required"}
    finding = result.findings[0]
    assert finding.severity is Severity.INFO and "plain HTTP" in finding.title
    assert (finding.evidence.model_extra or {})["realm"] == "Orthanc Secure Area"
    assert result.fingerprint.product == "Orthanc" and result.patients is None
    assert proxy.seen and not any(request.authorised for request in proxy.seen)


async def test_default_credentials_are_tried_at_intrusive_and_counted(orthancs, proxy_to) -> None:
    proxy = proxy_to(orthancs["defaultcreds"])
    result = await probe_http("127.0.0.1", proxy.port, "http", context(), "intrusive")

    found = kinds(result.findings)
    assert set(found) == {"default-credentials"}
    login = found["default-credentials"]
    assert login.severity is Severity.CRITICAL and login.affected_individuals == 5
    assert (login.evidence.model_extra or {})["user"] == "orthanc" and "RegisteredUsers" in login.remediation
    assert "orthanc:orthanc" not in json.dumps(login.to_contract())
    assert (result.patients, result.studies) == (5, 8)
    authorised = [request.path for request in proxy.seen if request.authorised]
    assert authorised == ["/system", "/statistics"]


async def test_a_registered_user_is_not_guessed_beyond_the_documented_default(orthancs, proxy_to) -> None:
    proxy = proxy_to(orthancs["auth"])
    result = await probe_http("127.0.0.1", proxy.port, "http", context(), "intrusive")

    assert set(kinds(result.findings)) == {"orthanc-auth-required"}
    assert (result.findings[0].evidence.model_extra or {})["default_credentials_tried"] is True
    assert [request.path for request in proxy.seen if request.authorised] == ["/system"]


async def test_no_synthetic_identifier_reaches_logs_findings_or_errors(orthancs, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    result = await probe_http("127.0.0.1", orthancs["exposed"].http_port, "http", context(), "standard")

    assert result.patients == 5
    dumped = json.dumps([f.to_contract() for f in result.findings]) + caplog.text + " ".join(result.errors)
    for needle in (SYNTHETIC_FAMILY, SYNTHETIC_ID, "PATIENT1", "19000101"):
        assert needle.lower() not in dumped.lower()


# ------------------------------------------------------------------------------------------ small hostile peers


Route = Callable[[str, dict[str, str], asyncio.StreamWriter], Awaitable[None]]


@dataclass
class FakeServer:
    """A loopback HTTP/1.1 server whose behaviour per request is one Python function."""

    host: str
    route: Route
    connections: int = 0
    paths: list[str] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _handlers: set[asyncio.Task[Any]] = field(default_factory=set)

    async def start(self) -> FakeServer:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for handler in self._handlers:
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                request_line, *lines = head.split("\r\n")
                path = request_line.split(" ")[1]
                headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines if x)}
                self.paths.append(path)
                await self.route(path, headers, writer)
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()


async def reply(writer: asyncio.StreamWriter, status: int, body: bytes = b"", **headers: str) -> None:
    fields = {"Content-Length": str(len(body)), **{k.replace("_", "-"): v for k, v in headers.items()}}
    head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
    writer.write(head.encode() + body)
    await writer.drain()


@pytest.fixture
async def fake_server() -> AsyncIterator[Callable[..., Awaitable[FakeServer]]]:
    servers: list[FakeServer] = []

    async def start(route: Route, host: str = "127.0.0.1") -> FakeServer:
        server = await FakeServer(host, route).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()


ORTHANC_SYSTEM = json.dumps(
    {"ApiVersion": 16, "DatabaseVersion": 6, "DicomAet": "ORTHANC", "DicomPort": 4242, "HttpPort": 8042,
     "Name": "ORTHANC", "PluginsEnabled": True, "Version": "1.10.1"}
).encode()  # fmt: skip


class HttpOnlyProbe:
    """The dicom probe's HTTP path, for running http(s):// targets through the real runner."""

    name = "dicom"

    async def scan(self, target: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
        async for finding in http_target_findings(target, ctx):
            yield finding


class MemorySink:
    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.outcomes: list[TargetOutcome] = []

    def record_finding(self, scan_id: str, finding: Finding) -> bool:
        self.findings.append(finding)
        return True

    def record_outcome(self, scan_id: str, outcome: TargetOutcome) -> None:
        self.outcomes.append(outcome)

    def completed_targets(self, scan_id: str) -> set[tuple[str, str]]:
        return set()


async def run_target(url: str, ctx: ScanContext) -> tuple[TargetOutcome, list[Finding]]:
    sink = MemorySink()
    await Runner(sink, ctx, {"dicom": HttpOnlyProbe()}).run([parse_target("dicom", url, {"level": "standard"})])
    (outcome,) = sink.outcomes
    return outcome, sink.findings


async def test_a_redirect_out_of_scope_is_refused_and_never_contacted(fake_server) -> None:
    outside = await fake_server(lambda p, h, w: reply(w, 200, ORTHANC_SYSTEM), host="127.0.0.2")

    async def redirect_everything(path: str, headers: dict[str, str], writer: asyncio.StreamWriter) -> None:
        await reply(writer, 302, Location=f"http://127.0.0.2:{outside.port}{path}")

    inside = await fake_server(redirect_everything)
    result = await probe_http("127.0.0.1", inside.port, "http", context(), "standard")

    refused = [f for f in result.findings if f.kind == REFUSED_KIND]
    assert refused and all("127.0.0.2" in f.title for f in refused)
    assert len({f.id for f in refused}) == len(refused)
    assert outside.connections == 0
    assert result.fingerprint.product is None


async def test_a_huge_answer_hits_the_byte_cap_as_a_target_error(fake_server) -> None:
    async def endless_json(path: str, headers: dict[str, str], writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"[" + b'"0123456789abcdef",' * 4000
        for _ in range(200):
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            await writer.drain()

    server = await fake_server(endless_json)
    with pytest.raises(LimitExceeded):
        await probe_http("127.0.0.1", server.port, "http", context(limits=Limits(max_bytes=65536)), "standard")
    outcome, findings = await run_target(
        f"http://127.0.0.1:{server.port}", context(limits=Limits(max_bytes=65536, retries=0))
    )
    assert outcome.status is OutcomeStatus.ERROR and "over 65536 bytes" in (outcome.reason or "")
    assert findings == []


async def test_a_peer_that_never_answers_hits_the_time_cap_as_a_target_error(fake_server) -> None:
    async def silence(path: str, headers: dict[str, str], writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server = await fake_server(silence)
    with pytest.raises(TransientError, match="timed out"):
        await probe_http("127.0.0.1", server.port, "http", context(http_timeout_s=0.3), "standard")
    outcome, _ = await run_target(f"http://127.0.0.1:{server.port}", context(http_timeout_s=0.3))
    assert outcome.status is OutcomeStatus.ERROR and "timed out" in (outcome.reason or "")


async def test_a_huge_dicomweb_page_keeps_the_other_findings_and_reports_the_error(fake_server) -> None:
    async def orthanc_with_huge_qido(path: str, headers: dict[str, str], writer: asyncio.StreamWriter) -> None:
        if path == "/system":
            await reply(writer, 200, ORTHANC_SYSTEM)
        elif path == "/statistics":
            await reply(writer, 200, b'{"CountPatients": 2, "CountStudies": 3, "CountSeries": 3, "CountInstances": 3}')
        elif path.startswith("/dicom-web/studies"):
            await reply(writer, 200, b"[" + b" " * 200_000 + b"]", Content_Type="application/dicom+json")
        else:
            await reply(writer, 404, b"{}")

    server = await fake_server(orthanc_with_huge_qido)
    ctx = context(http_max_bytes=100_000)
    result = await probe_http("127.0.0.1", server.port, "http", ctx, "standard")
    assert result.patients == 2 and result.errors and "over 100000 bytes" in result.errors[0]
    outcome, findings = await run_target(f"http://127.0.0.1:{server.port}", ctx)
    assert outcome.status is OutcomeStatus.ERROR and "partly unread" in (outcome.reason or "")
    assert [f.kind for f in findings] == ["orthanc-rest-exposed"] and findings[0].affected_individuals == 2


async def test_honeypot_signs_are_flagged_and_not_counted(fake_server) -> None:
    async def decoy(path: str, headers: dict[str, str], writer: asyncio.StreamWriter) -> None:
        werkzeug = {"Server": "Werkzeug/3.0.1 Python/3.11.4"}
        if path == "/system":
            await reply(writer, 200, ORTHANC_SYSTEM, **werkzeug)
        elif path == "/statistics":
            await reply(writer, 200, b'{"CountPatients": 900, "CountStudies": 12}', **werkzeug)
        else:
            await reply(writer, 200, b"<html>ok</html>", **werkzeug)

    server = await fake_server(decoy)
    result = await probe_http("127.0.0.1", server.port, "http", context(), "standard")

    codes = {sign.code for sign in result.honeypot_signs}
    assert {"scripted-orthanc", "inconsistent-statistics", "answers-everything"} <= codes
    assert (result.patients, result.studies) == (None, None)
    rest = kinds(result.findings)["orthanc-rest-exposed"]
    assert rest.affected_individuals is None and rest.severity is Severity.LOW
    assert (rest.evidence.model_extra or {})["counted"] is False and "honeypot" in rest.title


# ------------------------------------------------------------------------------------------ dcm4chee-style QIDO


def qido_study(n: int, patient: int) -> dict[str, Any]:
    return {
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": f"{SYNTHETIC_FAMILY}^DCM{patient}"}]},
        "00100020": {"vr": "LO", "Value": [f"{SYNTHETIC_ID}D{patient}"]},
        "0020000D": {"vr": "UI", "Value": [f"1.2.826.0.1.3680043.99.{n}"]},
        "00080020": {"vr": "DA", "Value": [f"2021{n % 12 + 1:02d}15"]},
        "00080061": {"vr": "CS", "Value": ["CT" if n % 2 else "MR"]},
    }


# 7 studies of 4 patients.
DCM_STUDIES = [qido_study(n, patient) for n, patient in enumerate([1, 1, 2, 3, 3, 3, 4])]
DCM_ROOT = "/dcm4chee-arc/aets/DCM4CHEE/rs"


def dcm4chee(*, honour_paging: bool = True) -> Route:
    async def route(path: str, headers: dict[str, str], writer: asyncio.StreamWriter) -> None:
        base, _, query = path.partition("?")
        if base == f"{DCM_ROOT}/studies/count":
            await reply(writer, 200, json.dumps({"count": len(DCM_STUDIES)}).encode())
        elif base == f"{DCM_ROOT}/studies":
            params = dict(part.partition("=")[::2] for part in query.split("&"))
            studies = DCM_STUDIES
            if honour_paging:
                offset, limit = int(params.get("offset", 0)), int(params.get("limit", 1000))
                studies = studies[offset : offset + limit]
            await reply(writer, 200 if studies else 204, json.dumps(studies).encode() if studies else b"")
        else:
            await reply(writer, 404, b"not found")

    return route


async def test_dcm4chee_qido_pages_are_counted_and_hashed(fake_server) -> None:
    server = await fake_server(dcm4chee())
    result = await probe_http("127.0.0.1", server.port, "http", context(qido_page_size=3), "standard")

    qido = kinds(result.findings)["dicomweb-exposed"]
    extra = qido.evidence.model_extra or {}
    assert (qido.affected_individuals, extra["studies"], extra["complete"]) == (4, 7, True)
    assert result.fingerprint.product == "dcm4chee-arc" and (result.patients, result.studies) == (4, 7)
    assert "secure=all" in qido.remediation
    hasher = IdentityHasher(KEY)
    assert qido.evidence.identity_hashes[0] == hasher.person(
        name=f"{SYNTHETIC_FAMILY}^DCM1", id_value=f"{SYNTHETIC_ID}D1", id_kind="mrn"
    )
    assert SYNTHETIC_FAMILY.lower() not in json.dumps(qido.to_contract()).lower()


async def test_a_server_ignoring_limit_and_offset_is_counted_once(fake_server) -> None:
    server = await fake_server(dcm4chee(honour_paging=False))
    result = await probe_http("127.0.0.1", server.port, "http", context(qido_page_size=3), "standard")

    extra = kinds(result.findings)["dicomweb-exposed"].evidence.model_extra or {}
    assert (result.patients, extra["studies"], extra["complete"], extra["pages"]) == (4, 7, True, 1)


async def test_a_capped_count_is_a_floor_and_the_study_total_comes_from_count(fake_server) -> None:
    server = await fake_server(dcm4chee())
    ctx = context(qido_page_size=2, qido_max_studies=3)
    result = await probe_http("127.0.0.1", server.port, "http", ctx, "standard")

    qido = kinds(result.findings)["dicomweb-exposed"]
    extra = qido.evidence.model_extra or {}
    assert (extra["complete"], extra["studies_read"], extra["studies"]) == (False, 4, 7)
    assert qido.affected_individuals == 3 and "at least 3 patients" in qido.title
    assert not any("offset=4" in path for path in server.paths)


async def test_passive_level_sends_no_query(fake_server) -> None:
    server = await fake_server(dcm4chee())
    result = await probe_http("127.0.0.1", server.port, "http", context(), "passive")

    assert result.findings == [] and not any("studies" in path for path in server.paths)
