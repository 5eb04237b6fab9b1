"""Who made the DICOM server: implementation class UID root and version name, plus behaviour, plus the HTTP side.

The A-ASSOCIATE-AC names the *toolkit*: Orthanc and dcmqrscp both announce DCMTK
(1.2.276.0.7230010.3.0.3.6.7 / OFFIS_DCMTK_367), so the product comes from the server's own AE title, its
find policy, or its REST API when the HTTP side was examined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from phileak.probes.dicom.records import ANY_CALLED_AE, AssociationState, FindState, SessionReport

# Implementation Class UID roots, most specific first (as catalogued by tmart234/nmap_dicom's dicom-ping).
UID_ROOTS: tuple[tuple[str, str], ...] = (
    ("1.3.6.1.4.1.25403.", "ClearCanvas"),
    ("1.2.826.0.1.3680043.9.3811.", "pynetdicom"),
    ("1.2.826.0.1.3680043.8.641.", "Orthanc"),
    ("1.2.826.0.1.3680043.8.1057.", "OsiriX/Horos"),
    ("1.2.826.0.1.3680043.8.498.", "pydicom"),
    ("1.2.826.0.1.3680043.2.135.1066.", "Conquest"),
    ("1.2.276.0.7230010.3.", "DCMTK"),
    ("1.2.40.0.13.1.", "dcm4che"),
    ("1.3.6.1.4.1.30071.8", "fo-dicom"),
    ("1.2.840.113619.", "GE Healthcare"),
    ("1.3.12.2.1107.", "Siemens"),
    ("1.2.840.114257.", "Agfa"),
    ("1.2.840.113704.", "Philips"),
    ("1.3.46.670589.", "Philips"),
    ("1.2.840.113564.", "Carestream"),
    ("1.2.392.200036.", "Fujifilm"),
    ("1.2.840.113669.", "Merge Healthcare"),
)
_VERSION_NAMES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"OFFIS_DCMTK_(\d)(\d)(\d+)\Z"), "DCMTK"),
    (re.compile(r"PYNETDICOM_(\d)(\d)(\d+)\Z"), "pynetdicom"),
    (re.compile(r"dcm4che-?(\S+)\Z", re.IGNORECASE), "dcm4che"),
    (re.compile(r"fo-dicom ?(\S*)\Z", re.IGNORECASE), "fo-dicom"),
)
_PRODUCT_BY_AE = {"ORTHANC": "Orthanc", "DCMQRSCP": "dcmqrscp", "QRSCP": "dcmqrscp", "DCM4CHEE": "dcm4chee"}


@dataclass(frozen=True)
class Fingerprint:
    toolkit: str | None = None  # from the UID root or version name: "DCMTK", "pynetdicom", "GE Healthcare"
    toolkit_version: str | None = None
    product: str | None = None  # "Orthanc", "dcmqrscp", ... when something says so
    product_version: str | None = None
    basis: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = []
        if self.product:
            parts.append(" ".join(filter(None, (self.product, self.product_version))))
        if self.toolkit and self.toolkit != self.product:
            toolkit = " ".join(filter(None, (self.toolkit, self.toolkit_version)))
            parts.append(f"({toolkit})" if parts else toolkit)
        return " ".join(parts) or "unknown implementation"

    def as_evidence(self) -> dict[str, object]:
        return {
            "toolkit": self.toolkit,
            "toolkit_version": self.toolkit_version,
            "product": self.product,
            "product_version": self.product_version,
            "basis": list(self.basis),
        }


def vendor_of_uid(uid: str | None) -> str | None:
    if not uid:
        return None
    return next((name for root, name in UID_ROOTS if uid.startswith(root)), None)


def toolkit_of_version(version_name: str | None) -> tuple[str | None, str | None]:
    """("DCMTK", "3.6.7") from "OFFIS_DCMTK_367"; (None, None) when the name follows no known pattern."""
    if not version_name:
        return None, None
    for pattern, toolkit in _VERSION_NAMES:
        match = pattern.match(version_name.strip())
        if match:
            groups = [g for g in match.groups() if g]
            version = ".".join(groups) if len(groups) > 1 else (groups[0] if groups else None)
            return toolkit, version
    return None, None


def fingerprint(report: SessionReport, http_product: str | None = None, http_version: str | None = None) -> Fingerprint:
    basis: list[str] = []
    uid_vendor = vendor_of_uid(report.implementation_uid)
    name_toolkit, name_version = toolkit_of_version(report.implementation_version)
    if uid_vendor:
        basis.append(f"implementation class UID {report.implementation_uid} ({uid_vendor})")
    if report.implementation_version:
        basis.append(f"implementation version name {report.implementation_version}")
    toolkit = uid_vendor or name_toolkit
    version = name_version if name_toolkit in (None, toolkit) else None
    product, product_version = _product(report, toolkit, basis)
    if http_product:
        product, product_version = http_product, http_version
        basis.append(f"HTTP side: {http_product} {http_version or ''}".strip())
    return Fingerprint(toolkit, version, product, product_version, basis)


def _product(report: SessionReport, toolkit: str | None, basis: list[str]) -> tuple[str | None, str | None]:
    if toolkit in ("Orthanc", "dcm4che", "Conquest", "ClearCanvas", "OsiriX/Horos"):
        return ("dcm4chee" if toolkit == "dcm4che" else toolkit), None
    for title in (report.retrieve_ae, report.accepted_called_ae):
        product = _PRODUCT_BY_AE.get((title or "").upper())
        if product and title != ANY_CALLED_AE:
            basis.append(f"AE title {title}")
            return product, None
    if toolkit == "DCMTK" and _orthanc_default_policy(report):
        basis.append("accepts any called AE title, then aborts C-FIND from unknown callers (Orthanc's default)")
        return "Orthanc", None
    return None, None


def _orthanc_default_policy(report: SessionReport) -> bool:
    first = report.attempts[0] if report.attempts else None
    return (
        first is not None
        and first.state is AssociationState.ACCEPTED
        and report.find_state is FindState.REFUSED
        and not any(q.status for q in report.queries)
    )
