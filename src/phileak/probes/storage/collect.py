"""Collect once, read many: the BucketSnapshot of one bucket (the stranger's view and, with the owner's
credentials, the configuration), built with one request per question; every check reads the snapshot.
An unreadable field is None, never a default."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from phileak.probes.storage.access import StorageAccess
from phileak.probes.storage.anonymous import AnonymousView
from phileak.probes.storage.anonymous import azure as azure_anonymous
from phileak.probes.storage.anonymous import gcs as gcs_anonymous
from phileak.probes.storage.anonymous import s3 as s3_anonymous
from phileak.probes.storage.location import BucketLocation
from phileak.probes.storage.posture import OwnerPosture, collect_posture
from phileak.probes.storage.stores import StoreError
from phileak.probes.storage.stores.azure import AzureStore
from phileak.probes.storage.stores.gcs import GcsStore
from phileak.probes.storage.stores.s3 import S3Store

POSTURE_KEYS = 100


@dataclass(frozen=True)
class Mismatch:
    """The configuration and the live probe disagree about one kind of access."""

    access: str  # "list" | "read"
    config_says: bool
    live: bool

    def sentence(self) -> str:
        if self.live and not self.config_says:
            return f"the configuration says no public {self.access}, but an unsigned {self.access} request succeeded"
        return f"the configuration allows public {self.access}, but an unsigned {self.access} request was refused"


@dataclass(frozen=True)
class BucketSnapshot:
    location: BucketLocation
    host: str
    region: str | None
    anonymous: AnonymousView
    posture: OwnerPosture | None = None
    posture_note: str | None = None

    @property
    def provider(self) -> str:
        return self.location.provider

    @property
    def writable_by_config(self) -> bool | None:
        live = self.anonymous.writable_by_config
        config = self.posture.says_writable() if self.posture is not None else None
        if live or config:
            return True
        if live is False or config is False:
            return False
        return None

    def config_view(self) -> dict[str, bool | None]:
        if self.posture is None:
            return {}
        return {
            "public_list": self.posture.says_public_list(),
            "public_read": self.posture.says_public_read(),
            "public_write": self.posture.says_writable(),
        }

    def mismatches(self) -> list[Mismatch]:
        """Where the owner's configuration and the live unsigned probe disagree (both known)."""
        if self.posture is None:
            return []
        found = []
        pairs = (("list", self.posture.says_public_list(), self.anonymous.listable),
                 ("read", self.posture.says_public_read(), self.anonymous.readable))  # fmt: skip
        for access, config, live in pairs:
            if config is not None and live is not None and config != live:
                found.append(Mismatch(access, config, live))
        return found


async def collect(access: StorageAccess, probe_keys: Sequence[str] = ()) -> BucketSnapshot:
    store = access.anonymous
    view: AnonymousView
    if isinstance(store, S3Store):
        view = await s3_anonymous.probe(store, probe_keys)
    elif isinstance(store, GcsStore):
        view = await gcs_anonymous.probe(store, probe_keys)
    elif isinstance(store, AzureStore):
        view = await azure_anonymous.probe(store, probe_keys)
    else:  # pragma: no cover - every provider has a store above
        raise TypeError(f"no anonymous probe for {type(store).__name__}")
    posture: OwnerPosture | None = None
    note: str | None = None
    if access.owner is not None:
        keys = await _owner_keys(access.owner)
        posture = await collect_posture(access.owner, access.control, access.sts, keys, access.account_id)
    elif access.location.provider == "s3":
        note = "no owner credentials: configuration not read (access_key_env/profile, or AWS_* for AWS itself)"
    else:
        note = f"owner posture is read for S3 only; {access.location.provider} was probed anonymously"
    return BucketSnapshot(access.location, access.host, access.region, view, posture, note)


async def _owner_keys(owner: S3Store) -> list[str]:
    try:
        page = await owner.list_page(owner.location.prefix, None, page_size=POSTURE_KEYS)
    except StoreError:
        return []
    return [item.key for item in page.objects]


def evidence_of(snapshot: BucketSnapshot) -> dict[str, Any]:
    """The snapshot as finding evidence: tri-state answers and the request outcomes, no object key."""
    view = snapshot.anonymous
    data: dict[str, Any] = {
        "provider": snapshot.provider,
        "region": snapshot.region,
        "host": snapshot.host,
        "anonymous": {
            "exists": view.exists,
            "listable": view.listable,
            "readable": view.readable,
            "acl_readable": view.acl_readable,
            "writable_by_config": snapshot.writable_by_config,
            "public_grants": list(view.public_grants) if view.public_grants is not None else None,
            "access_level": view.access_level,
            "checks": dict(view.checks),
            "notes": list(view.notes),
        },
    }
    if snapshot.posture is not None:
        data["configuration"] = {**snapshot.config_view(), **snapshot.posture.as_evidence()}
    elif snapshot.posture_note:
        data["configuration"] = {"note": snapshot.posture_note}
    return data
