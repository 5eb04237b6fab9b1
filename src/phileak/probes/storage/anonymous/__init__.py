"""What a stranger can do with a bucket: unsigned requests only, never a write. One module per provider.

Each answer is tri-state: True (shown by a request that succeeded), False (refused in a way the provider's
semantics make definite), None (unknown: not testable, or an answer that means different things on different
servers, e.g. 403 for an absent bucket on SeaweedFS and Azurite)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from phileak.errors import LimitExceeded, TransientError
from phileak.probes.storage.location import Provider
from phileak.probes.storage.sample import top_prefix
from phileak.probes.storage.transport import ThrottledError

PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}
# Failures of one request that leave its answer unknown, after the transport's retries
TRANSIENT: tuple[type[Exception], ...] = (TransientError, LimitExceeded, ThrottledError)
READ_TEST_KEYS = 3  # anonymous one-byte reads tried, each in a different folder
READ_TEST_PAGE = 200  # keys listed (one request) to choose them from

WRITE_PERMISSIONS = frozenset({"WRITE", "WRITE_ACP", "FULL_CONTROL"})
READ_PERMISSIONS = frozenset({"READ", "FULL_CONTROL"})


@dataclass(frozen=True)
class AnonymousView:
    provider: Provider
    exists: bool | None = None
    listable: bool | None = None
    readable: bool | None = None
    acl_readable: bool | None = None
    writable_by_config: bool | None = None
    public_grants: tuple[str, ...] | None = None  # "AllUsers:READ", … when the ACL could be read
    access_level: str | None = None  # azure: container | blob | none-anonymous
    checks: Mapping[str, str] = field(default_factory=dict)  # check -> "HTTP 403 AccessDenied"
    notes: tuple[str, ...] = ()

    @property
    def exposed(self) -> bool:
        return bool(self.listable or self.readable)


def public_grants(grants: object) -> tuple[str, ...]:
    """`Group:PERMISSION` for each ACL grant to everyone or to any authenticated AWS user."""
    found: list[str] = []
    for grant in grants if isinstance(grants, list) else []:
        grantee = grant.get("Grantee", {}) if isinstance(grant, dict) else {}
        group = PUBLIC_GROUPS.get(str(grantee.get("URI", "")))
        if group:
            found.append(f"{group}:{grant.get('Permission', '?')}")
    return tuple(sorted(set(found)))


def grants_write(grants: tuple[str, ...]) -> bool:
    return any(grant.partition(":")[2] in WRITE_PERMISSIONS for grant in grants)


def grants_read(grants: tuple[str, ...]) -> bool:
    return any(grant.partition(":")[2] in READ_PERMISSIONS for grant in grants)


def read_test_keys(probe_keys: Sequence[str], listed: Sequence[str], prefix: str) -> list[str]:
    """The keys to test an anonymous read with: the ones given, then the first listed key of each folder (the
    part of the key after `prefix` up to its next "/"). A policy often opens one folder only (`public/*`): the
    first key listed may be private while the bucket serves thousands of others."""
    chosen = list(probe_keys[:READ_TEST_KEYS])
    seen_folders: set[str] = set()
    for key in listed:
        if len(chosen) >= READ_TEST_KEYS:
            break
        folder = top_prefix(key, prefix)
        if folder in seen_folders or key in chosen:
            continue
        seen_folders.add(folder)
        chosen.append(key)
    return chosen

