"""What the HTTP side of an imaging server looks like: Orthanc's REST shape, DICOMweb roots, web viewers, the
documented default credentials, and honeypot signs. Data and pure functions; nothing here touches the network.

Sources are in shared/reference/dicom.md: Orthanc 1.10.1 [LAB] for the REST shape, realm and default user;
nuclei's exposed-panel templates and Kamerka's dorks for viewer titles; honeynet/DICOMHawk for its web API.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ORTHANC = "Orthanc"
ORTHANC_REALM = "Orthanc Secure Area"
# Where Orthanc's REST API is found: at the root, or behind a reverse proxy under a common prefix
# (OHIF's Orthanc recipe proxies /pacs/, many nginx setups /orthanc/).
REST_PREFIXES = ("", "/orthanc", "/pacs")
# /system keys every Orthanc answers. "Name" is configurable, so renamed servers are recognised by shape.
_ORTHANC_REQUIRED = {"ApiVersion": int, "DicomAet": str, "DicomPort": int, "Version": str}
_ORTHANC_SUPPORTING = ("DatabaseVersion", "HttpPort", "PluginsEnabled", "StorageAreaPlugin")
_VERSION = re.compile(r"(?:\d+\.\d+(?:\.\d+)?|mainline)(?:[-+.][\w.]+)?\Z")
_REALM = re.compile(r'realm\s*=\s*"([^"]*)"', re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_PRINTABLE = re.compile(r"[^\x20-\x7e]")
MAX_LABEL_CHARS = 64


@dataclass(frozen=True)
class OrthancSystem:
    """The non-identifying facts of an Orthanc /system answer."""

    version: str | None
    name: str | None
    api_version: int
    dicom_aet: str | None
    dicom_port: int | None
    http_server_secure: bool | None
    plausible_version: bool


def label(value: object) -> str | None:
    """A peer-chosen string fit for evidence: printable ASCII only, at most 64 characters."""
    if not isinstance(value, str):
        return None
    text = _PRINTABLE.sub("?", value).strip()
    return text[:MAX_LABEL_CHARS] or None


def orthanc_system(body: bytes) -> OrthancSystem | None:
    """The /system answer read as Orthanc's, by its shape (keys and types), whatever its "Name"; else None."""
    data = _json_object(body)
    if data is None:
        return None
    for key, kind in _ORTHANC_REQUIRED.items():
        value = data.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            return None
    if not any(key in data for key in _ORTHANC_SUPPORTING):
        return None
    version = str(data["Version"])
    secure = data.get("IsHttpServerSecure")
    return OrthancSystem(
        version=label(version),
        name=label(data.get("Name")),
        api_version=int(data["ApiVersion"]),
        dicom_aet=label(data.get("DicomAet")),
        dicom_port=int(data["DicomPort"]) if 0 < int(data["DicomPort"]) < 65536 else None,
        http_server_secure=secure if isinstance(secure, bool) else None,
        plausible_version=bool(_VERSION.match(version)),
    )


@dataclass(frozen=True)
class OrthancStatistics:
    patients: int
    studies: int
    series: int | None
    instances: int | None

    @property
    def consistent(self) -> bool:
        """Every Orthanc resource has a child: patients <= studies <= series <= instances."""
        chain = [self.patients, self.studies, self.series, self.instances]
        known = [count for count in chain if count is not None]
        return all(a <= b for a, b in itertools.pairwise(known))


def orthanc_statistics(body: bytes) -> OrthancStatistics | None:
    data = _json_object(body)
    if data is None:
        return None
    counts = {key: data.get(key) for key in ("CountPatients", "CountStudies", "CountSeries", "CountInstances")}
    if not all(_count(counts[key]) is not None for key in ("CountPatients", "CountStudies")):
        return None
    return OrthancStatistics(
        patients=_count(counts["CountPatients"]) or 0,
        studies=_count(counts["CountStudies"]) or 0,
        series=_count(counts["CountSeries"]),
        instances=_count(counts["CountInstances"]),
    )


def id_list_length(body: bytes) -> int | None:
    """How many resource ids an Orthanc list answer (`/patients`) holds; the ids themselves are not kept."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
        return None
    return len(data)


def basic_realm(headers: Mapping[str, str]) -> str | None:
    """The realm of a Basic challenge ("" when it names none); None without a Basic challenge."""
    challenge = headers.get("www-authenticate", "")
    if not challenge.lower().startswith("basic"):
        return None
    match = _REALM.search(challenge)
    return (label(match.group(1)) or "") if match else ""


def page_title(body: bytes) -> str | None:
    match = _TITLE.search(body[:65536].decode("utf-8", errors="replace"))
    return label(" ".join(match.group(1).split())) if match else None


@dataclass(frozen=True)
class DicomwebRoot:
    """A QIDO-RS base path. `count_path` answers a study count without listing (dcm4chee-arc)."""

    path: str
    product: str | None
    count_path: str | None = None


DICOMWEB_ROOTS = (
    DicomwebRoot("/dicom-web", ORTHANC),
    DicomwebRoot("/dcm4chee-arc/aets/DCM4CHEE/rs", "dcm4chee-arc", "/studies/count"),
    DicomwebRoot("/dicomweb", None),
)


@dataclass(frozen=True)
class ViewerSignature:
    """A web viewer or PACS portal: a path and the lower-case markers its page must all contain. A login
    page proves the portal is reachable, not that data is open."""

    product: str
    path: str
    markers: tuple[str, ...]
    family: str | None  # the server stack it belongs to; None for viewers that sit on any DICOMweb server
    login_page: bool = False


VIEWERS = (
    ViewerSignature("Orthanc Explorer", "/app/explorer.html", ("<title>orthanc explorer</title>",), ORTHANC),
    ViewerSignature("Orthanc Explorer 2", "/ui/app/", ("<title>orthanc explorer 2</title>",), ORTHANC),
    ViewerSignature("Stone Web Viewer", "/stone-webviewer/index.html", ("stone web viewer",), ORTHANC),
    ViewerSignature("OHIF Viewer", "/ohif/", ("ohif",), None),
    ViewerSignature("OHIF Viewer", "/", ("open health imaging foundation",), None),
    ViewerSignature("OHIF Viewer", "/viewer/", ("open health imaging foundation",), None),
    ViewerSignature("dcm4chee-arc UI", "/dcm4chee-arc/ui2/", ("dcm4che",), "dcm4chee"),
    ViewerSignature("MedDream", "/", ('src="js/md.main.min.', "unsupported-browser-msg"), "softneta"),
    ViewerSignature("OsiriX", "/", ("<title>osirix",), "osirix"),
    ViewerSignature("Dicoogle", "/", ("<title>dicoogle",), "dicoogle"),
    ViewerSignature("GXD5 PACS", "/", ("gxd5 pacs",), "gxd5", login_page=True),
    ViewerSignature("Vue PACS", "/portal/WebLogin.aspx", ("<title>vue pacs</title>",), "carestream", True),
    ViewerSignature("Synapse Mobility", "/pureweb/server/login.jsp", ("synapse mobility login",), "fujifilm", True),
    ViewerSignature("XNAT", "/app/template/Login.vm", ("<title>xnat",), "xnat", login_page=True),
)


def viewer_paths() -> list[str]:
    return list(dict.fromkeys(signature.path for signature in VIEWERS))


def matching_viewers(path: str, body: bytes) -> list[ViewerSignature]:
    text = body[:262144].decode("utf-8", errors="replace").lower()
    return [s for s in VIEWERS if s.path == path and all(marker in text for marker in s.markers)]


@dataclass(frozen=True)
class DefaultCredential:
    user: str
    password: str
    product: str
    source: str

    def applies_to(self, realm: str | None, products: Iterable[str]) -> bool:
        if self.product == ORTHANC:
            return realm == ORTHANC_REALM
        return realm is not None and any(self.product in p.lower() for p in (realm, *products))


# Only these are ever tried, once each, and only at --level intrusive.
DEFAULT_CREDENTIALS = (
    DefaultCredential(
        "orthanc",
        "orthanc",
        ORTHANC,
        "Orthanc Book users/docker.html; Orthanc creates this user when authentication is on and "
        "RegisteredUsers is empty",
    ),
    DefaultCredential("admin", "admin", "dcm4che", "dcm4chee 2.x images (dpatriarche/docker-dcm4chee README)"),
)


@dataclass(frozen=True)
class HoneypotSign:
    """Same shape as the DIMSE side's signs: one strong sign, or two weak ones, make a honeypot."""

    code: str
    strong: bool
    detail: str


# DICOMHawk's web API (API/static/login.html): a hidden "developer test login" and an admin probe endpoint.
_DICOMHAWK_MARKERS = ("/loginadmin", "developer test login", "dicomhawk")
# Orthanc is a C++ server that sends no Server header; these stacks in front of an Orthanc-shaped answer are
# what Python and Node honeypots (DICOMHawk: Flask and Express) give away.
_SCRIPTED_SERVERS = re.compile(r"werkzeug|python|basehttp|gunicorn|uvicorn|hypercorn|express|node", re.I)
_DISTINCT_FAMILIES_SIGN = 3


@dataclass(frozen=True)
class HttpObservations:
    """What the survey saw that bears on honeypot signs; no identifiers."""

    orthanc_claimed: bool
    server_headers: tuple[str, ...] = ()
    plausible_version: bool = True
    statistics: OrthancStatistics | None = None
    unknown_path_status: int | None = None
    families: frozenset[str] = frozenset()
    bodies_with_decoy_markers: int = 0


def decoy_markers(body: bytes) -> bool:
    text = body[:262144].decode("utf-8", errors="replace").lower()
    return any(marker in text for marker in _DICOMHAWK_MARKERS)


def honeypot_signs(seen: HttpObservations) -> list[HoneypotSign]:
    signs: list[HoneypotSign] = []
    if seen.bodies_with_decoy_markers:
        signs.append(HoneypotSign("dicomhawk-web", True, "pages carry DICOMHawk's web API markers"))
    if seen.orthanc_claimed:
        scripted = sorted({h for h in seen.server_headers if _SCRIPTED_SERVERS.search(h)})
        if scripted:
            signs.append(HoneypotSign("scripted-orthanc", True, f"Orthanc-shaped answers from {', '.join(scripted)}"))
        if seen.unknown_path_status == 200:
            signs.append(HoneypotSign("answers-everything", False, "claims Orthanc yet answers 200 to any path"))
        if not seen.plausible_version:
            signs.append(HoneypotSign("implausible-version", False, "/system Version is not a version number"))
        if seen.statistics is not None and not seen.statistics.consistent:
            signs.append(
                HoneypotSign("inconsistent-statistics", True, "/statistics counts break patients<=studies<=...")
            )
    if len(seen.families) >= _DISTINCT_FAMILIES_SIGN:
        families = ", ".join(sorted(seen.families))
        signs.append(HoneypotSign("many-products", True, f"one port answers as several products: {families}"))
    return signs


def looks_like_honeypot(signs: list[HoneypotSign]) -> bool:
    return any(sign.strong for sign in signs) or len(signs) >= 2


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _count(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
