"""The lab's imaging servers: four Orthanc profiles and a dcmqrscp, each holding the same synthetic studies.

| service          | DICOM                                   | HTTP (Orthanc REST + DICOMweb)          |
|------------------|-----------------------------------------|-----------------------------------------|
| orthanc-exposed  | any caller may find, get and move       | no authentication                       |
| orthanc-default  | Debian's defaults: find refused         | Debian's defaults (open from localhost) |
| orthanc-auth     | called AE checked, find refused         | HTTP basic authentication               |
| orthanc-tls      | DICOM over TLS, any caller may find     | no authentication                       |
| dcmqrscp         | called AE checked, any calling AE finds | (none)                                  |

Orthanc and dcmqrscp bind every interface and have no bind-address option: these services refuse to start
unless lo is the only interface, i.e. inside a network namespace (`make demo` and the tests run in one).
Orthanc is loaded through its REST API, dcmqrscp offline with dcmqridx.
"""

from __future__ import annotations

import base64
import http.client
import json
import secrets
import shutil
import socket
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from phileak.lab.service import LOOPBACK, HttpReady, LabService, PlanFragment, Runtime, TcpReady

ORTHANC_BINARY = "/usr/sbin/Orthanc"
DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
ORTHANC_AET = "ORTHANC"
QRSCP_AET = "DCMQRSCP"
AUTH_USER = "radiology"
CREDENTIALS_FILE = "registered-users.json"
TLS_CERT = "tls/pacs.crt"
TLS_KEY = "tls/pacs.key"
# DCMTK peers stall on Nagle + delayed ACK without it (shared/reference/environment.md 4.3).
DCMTK_ENV = {"TCP_NODELAY": "1"}
_UPLOAD_TIMEOUT_S = 30.0


def orthanc_config(runtime: Runtime, profile: str) -> dict[str, Any]:
    """The Orthanc configuration of one lab profile (exposed, default, auth, tls)."""
    storage = str(runtime.data_dir / "orthanc-db")
    config: dict[str, Any] = {
        "Name": f"LAB-PACS-{profile.upper()}",
        "StorageDirectory": storage,
        "IndexDirectory": storage,
        "HttpPort": runtime.ports["http"],
        "DicomPort": runtime.ports["dicom"],
        "DicomAet": ORTHANC_AET,
        "SaveJobs": False,
        "Plugins": [DICOMWEB_PLUGIN],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": True, "WadoRoot": "/wado"},
    }
    if profile in ("exposed", "tls"):
        config.update(
            RemoteAccessAllowed=False,
            AuthenticationEnabled=False,
            DicomCheckCalledAet=False,
            DicomAlwaysAllowFind=True,
            DicomAlwaysAllowGet=True,
            DicomAlwaysAllowMove=profile == "exposed",
        )
    if profile == "auth":
        config.update(
            AuthenticationEnabled=True,
            RegisteredUsers=_read_credentials(runtime),
            DicomCheckCalledAet=True,
            DicomAlwaysAllowFind=False,
        )
    if profile == "tls":
        config.update(
            DicomTlsEnabled=True,
            DicomTlsCertificate=str(runtime.data_dir / TLS_CERT),
            DicomTlsPrivateKey=str(runtime.data_dir / TLS_KEY),
            DicomTlsTrustedCertificates=str(runtime.data_dir / TLS_CERT),
            DicomTlsRemoteCertificateRequired=False,
        )
    return config


def require_loopback_only() -> None:
    """Orthanc and dcmqrscp listen on every interface (no bind-address option): an open PACS must not appear
    on a real network, even with synthetic patients. Refuse unless lo is the only interface."""
    others = sorted(name for _, name in socket.if_nameindex() if name != "lo")
    if others:
        raise RuntimeError(
            f"refusing to start: this PACS would listen on every interface ({', '.join(others)}); run the lab "
            "in a network namespace with only lo (`make demo` does: unshare -n)"
        )


def _orthanc_setup(profile: str) -> Callable[[Runtime], None]:
    def setup(runtime: Runtime) -> None:
        require_loopback_only()
        shutil.rmtree(runtime.data_dir / "orthanc-db", ignore_errors=True)
        if profile == "auth":
            _write_credentials(runtime)
        if profile == "tls":
            self_signed_certificate(runtime.data_dir / TLS_CERT, runtime.data_dir / TLS_KEY)
        config = orthanc_config(runtime, profile)
        (runtime.data_dir / "orthanc.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
        _write_synthetic_studies(runtime.data_dir / "studies")

    return setup


def _orthanc_load(runtime: Runtime) -> None:
    """POST every study file to /instances (with the lab user's credentials when the profile has them)."""
    headers = {"Content-Type": "application/dicom"}
    credentials = runtime.data_dir / CREDENTIALS_FILE
    if credentials.exists():
        user, password = next(iter(json.loads(credentials.read_text(encoding="utf-8")).items()))
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    connection = http.client.HTTPConnection(LOOPBACK, runtime.ports["http"], timeout=_UPLOAD_TIMEOUT_S)
    try:
        for path in sorted((runtime.data_dir / "studies").glob("*.dcm")):
            connection.request("POST", "/instances", body=path.read_bytes(), headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"Orthanc refused {path.name}: HTTP {response.status}")
    finally:
        connection.close()


def _write_synthetic_studies(folder: Path) -> list[Path]:
    # Imported here: pydicom is needed to run these services, not to list the lab's services.
    from phileak.lab.dicom_data import synthetic_studies, write_studies

    return write_studies(folder, synthetic_studies())


def _write_credentials(runtime: Runtime) -> None:
    path = runtime.data_dir / CREDENTIALS_FILE
    if not path.exists():
        path.write_text(json.dumps({AUTH_USER: secrets.token_urlsafe(18)}), encoding="utf-8")
        path.chmod(0o600)


def _read_credentials(runtime: Runtime) -> Mapping[str, str]:
    raw: dict[str, str] = json.loads((runtime.data_dir / CREDENTIALS_FILE).read_text(encoding="utf-8"))
    return raw


def self_signed_certificate(cert: Path, key: Path) -> None:
    """A throw-away certificate for the TLS profile (kept across restarts)."""
    if cert.exists() and key.exists():
        return
    cert.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "30",
            "-subj",
            "/CN=pacs-tls.lab-hospital.test",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    key.chmod(0o600)


def _dicom_plan(scheme: str = "") -> Callable[[Runtime], PlanFragment]:
    def plan(runtime: Runtime) -> PlanFragment:
        entries = [{"target": f"{scheme}{LOOPBACK}:{runtime.ports['dicom']}"}]
        if "http" in runtime.ports:
            entries.append({"target": f"http://{LOOPBACK}:{runtime.ports['http']}"})
        return {"dicom": entries}

    return plan


def _orthanc(name: str, profile: str, http_port: int, dicom_port: int) -> LabService:
    return LabService(
        name=name,
        argv=lambda rt: [ORTHANC_BINARY, str(rt.data_dir / "orthanc.json")],
        ports={"http": http_port, "dicom": dicom_port},
        ready=HttpReady("http", "/system", frozenset({401}) if profile == "auth" else frozenset({200})),
        env=DCMTK_ENV,
        setup=_orthanc_setup(profile),
        load=_orthanc_load,
        plan=_dicom_plan("dicom-tls://" if profile == "tls" else ""),
        stop_timeout=10.0,
    )


# ---------------------------------------------------------------- dcmqrscp


def qrscp_config(runtime: Runtime) -> str:
    storage = runtime.data_dir / "storage"
    return f"""# phileak lab: any calling AE may query the {QRSCP_AET} archive (peers ANY)
NetworkTCPPort  = {runtime.ports["dicom"]}
MaxPDUSize      = 16384
MaxAssociations = 16
HostTable BEGIN
HostTable END
VendorTable BEGIN
VendorTable END
AETable BEGIN
{QRSCP_AET}   {storage}   RW   (200, 1024mb)   ANY
AETable END
"""


def _qrscp_setup(runtime: Runtime) -> None:
    require_loopback_only()
    storage = runtime.data_dir / "storage"
    shutil.rmtree(storage, ignore_errors=True)
    paths = _write_synthetic_studies(storage)
    subprocess.run(
        ["dcmqridx", str(storage), *map(str, paths)], check=True, capture_output=True, timeout=120, cwd=storage
    )
    (runtime.data_dir / "dcmqrscp.cfg").write_text(qrscp_config(runtime), encoding="utf-8")


DCMQRSCP = LabService(
    name="dcmqrscp",
    # The default forking mode: --single-process crashes after a rejected association (reference/dicom.md).
    argv=lambda rt: ["dcmqrscp", "--disable-host-lookup", "-c", str(rt.data_dir / "dcmqrscp.cfg")],
    ports={"dicom": 15104},
    ready=TcpReady("dicom"),
    env=DCMTK_ENV,
    setup=_qrscp_setup,
    plan=_dicom_plan(),
    stop_timeout=5.0,
)

ORTHANC_EXPOSED = _orthanc("orthanc-exposed", "exposed", 18042, 14242)
ORTHANC_DEFAULT = _orthanc("orthanc-default", "default", 18044, 14244)
ORTHANC_AUTH = _orthanc("orthanc-auth", "auth", 18043, 14243)
ORTHANC_TLS = _orthanc("orthanc-tls", "tls", 18045, 14245)

DICOM_SERVICES: list[LabService] = [ORTHANC_EXPOSED, ORTHANC_DEFAULT, ORTHANC_AUTH, ORTHANC_TLS, DCMQRSCP]
