"""Signs that a DICOM "server" is a honeypot, whose decoy patients must not be counted as people.

DICOMHawk (honeynet/DICOMHawk) is pynetdicom-based. Its default identity is the implementation version name
"ORTHANC" with a pynetdicom-rooted UID (dicom_server/config.py); older releases claim DCMTK 3.6.2
(OFFIS_DCMTK_362, the identity nmap's dicom library also sends); its vendor personas pair GE, Siemens and
Philips UID roots with made-up version names (dicom_server/core/vendor_personas.py); its decoy studies come
from The Cancer Imaging Archive, whose patient IDs name public research collections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from phileak.probes.dicom.fingerprint import toolkit_of_version, vendor_of_uid
from phileak.probes.dicom.records import SessionReport

_DCMTK_UID = re.compile(r"1\.2\.276\.0\.7230010\.3\.0\.(\d+)\.(\d+)\.(\d+)\Z")
_DICOMHAWK_PERSONAS = frozenset(
    {
        ("1.2.840.113619.6.96", "GE_PACS_REV_24"),
        ("1.3.12.2.1107.5.2", "syngo CT VA48A"),
        ("1.3.46.670589.11", "PHILIPS_MR_56.1"),
    }
)


@dataclass(frozen=True)
class HoneypotSign:
    code: str
    strong: bool
    detail: str


def honeypot_signs(report: SessionReport) -> list[HoneypotSign]:
    uid, name = report.implementation_uid or "", report.implementation_version or ""
    signs: list[HoneypotSign] = []
    if name.strip().upper() == "ORTHANC":
        signs.append(
            HoneypotSign(
                "version-name-orthanc",
                True,
                "implementation version name 'ORTHANC': Orthanc itself announces DCMTK's (OFFIS_DCMTK_...); "
                "DICOMHawk's default identity",
            )
        )
    if vendor_of_uid(uid) == "pynetdicom" and not name.upper().startswith("PYNETDICOM"):
        signs.append(
            HoneypotSign("pynetdicom-in-disguise", True, f"pynetdicom UID root under another version name ({name!r})")
        )
    if (uid, name) in _DICOMHAWK_PERSONAS:
        signs.append(HoneypotSign("dicomhawk-persona", True, f"DICOMHawk vendor persona {uid} / {name}"))
    signs.extend(_dcmtk_mismatch(uid, name))
    counts = report.counts
    if counts and counts.patients and counts.research_ids * 2 >= counts.patients:
        signs.append(
            HoneypotSign(
                "research-collection-ids",
                False,
                f"{counts.research_ids} of {counts.patients} patient IDs name public research collections (TCIA)",
            )
        )
    return signs


def _dcmtk_mismatch(uid: str, name: str) -> list[HoneypotSign]:
    match = _DCMTK_UID.match(uid)
    toolkit, version = toolkit_of_version(name)
    if not match or toolkit != "DCMTK" or version is None:
        return []
    if ".".join(match.groups()) != version:
        return [HoneypotSign("dcmtk-mismatch", True, f"DCMTK UID {uid} announced with version name {name}")]
    if version == "3.6.2":
        detail = "DCMTK 3.6.2 identity, also sent by nmap's dicom library and older DICOMHawk releases"
        return [HoneypotSign("dcmtk-362-identity", False, detail)]
    return []


def looks_like_honeypot(signs: list[HoneypotSign]) -> bool:
    """One strong sign, or two weak ones."""
    return any(sign.strong for sign in signs) or len(signs) >= 2
