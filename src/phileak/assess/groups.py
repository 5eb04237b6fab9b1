"""Named groups that rule files use instead of long lists: finding kinds by exposure type, data categories by
role. A rule writes "@tracking" or "@health"; these tables say what that means in terms of what probes emit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from phileak.model import DataCategory
from phileak.phi.spec import HEALTH_CATEGORIES, IDENTIFIER_CATEGORIES

TRACKING: Final = "tracking"
IMAGING_SERVER: Final = "imaging-server"
PUBLIC_STORAGE: Final = "public-storage"
HOSTING: Final = "hosting"
LOCAL_FILE: Final = "local-file"

KIND_GROUPS: Final[dict[str, frozenset[str]]] = {
    # Data sent by a page or an app to a third party (probes/web/legal.py LeakKind).
    TRACKING: frozenset(
        {
            "phi-to-third-party",
            "health-context-to-third-party",
            "identifiers-to-third-party",
            "logged-in-to-vendor",
            "session-replay-present",
        }
    ),
    # An imaging server answering strangers (probes/dicom).
    IMAGING_SERVER: frozenset(
        {
            "dicom-query-exposed",
            "dicom-retrieve-exposed",
            "orthanc-rest-exposed",
            "dicomweb-exposed",
            "dicom-viewer-exposed",
            "default-credentials",
        }
    ),
    # A bucket or container anyone can list or read (probes/storage).
    PUBLIC_STORAGE: frozenset(
        {"bucket-public-list", "bucket-public-read", "phi-in-object", "phi-in-object-key", "bucket-config-mismatch"}
    ),
    HOSTING: frozenset({"hds-uncertified-host"}),
    # Patient data in local files: not an exposure to anyone by itself.
    LOCAL_FILE: frozenset({"phi-in-file", "pii-in-file"}),
}

IDENTIFIER: Final = "identifier"
IDENTIFIER_BEYOND_IP: Final = "identifier-beyond-ip"
HEALTH: Final = "health"

CATEGORY_GROUPS: Final[dict[str, frozenset[str]]] = {
    IDENTIFIER: frozenset(c.value for c in IDENTIFIER_CATEGORIES),
    # AHA v. Becerra vacated only the "IP address + unauthenticated page" theory: any other identifier counts.
    IDENTIFIER_BEYOND_IP: frozenset(c.value for c in IDENTIFIER_CATEGORIES if c is not DataCategory.IP_ADDRESS),
    HEALTH: frozenset(c.value for c in HEALTH_CATEGORIES),
}

KNOWN_KINDS: Final = frozenset().union(*KIND_GROUPS.values())
KNOWN_CATEGORIES: Final = frozenset(c.value for c in DataCategory)


def expand(names: Iterable[str], groups: dict[str, frozenset[str]]) -> frozenset[str]:
    """Names with every "@group" replaced by its members."""
    out: set[str] = set()
    for name in names:
        out |= groups[name[1:]] if name.startswith("@") else {name}
    return frozenset(out)


PEOPLE_BEARING_TYPES: Final = frozenset({TRACKING, IMAGING_SERVER, PUBLIC_STORAGE})


def bears_people(kind: str, categories: Iterable[object]) -> bool:
    """Whether a finding of this kind and data categories concerns people (so an absent count is unknown, not 0)."""
    return bool(list(categories)) or exposure_type(kind) in PEOPLE_BEARING_TYPES


def exposure_type(kind: str) -> str | None:
    """The group a finding kind belongs to (tracking, imaging-server, ...), None for kinds that expose nothing."""
    return next((group for group, kinds in KIND_GROUPS.items() if kind in kinds), None)
