"""The probe seam: one Protocol, one implementation per probe package."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from phileak.model import Finding
from phileak.targets import Target

if TYPE_CHECKING:
    from phileak.phi.identity import IdentityHasher
    from phileak.scope import Resolver, Scope


@dataclass(frozen=True)
class Limits:
    """phileak's own per-target limits; a library's timeout is not enough."""

    timeout_s: float = 300.0
    max_bytes: int = 512 * 1024 * 1024
    max_memory_mb: int = 2048
    retries: int = 2
    retry_backoff_s: float = 0.5


@dataclass(frozen=True)
class ScanContext:
    """What a probe gets besides its target. Probes never build their own network access or keys."""

    scan_id: str
    scope: Scope
    identity: IdentityHasher
    limits: Limits = field(default_factory=Limits)
    resolver: Resolver | None = None
    insecure: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)


class Probe(Protocol):
    """A probe yields findings for one target. It may raise TransientError (retried), ScopeViolation
    (reported as an info finding), or anything else (stored as an error outcome; the scan goes on)."""

    name: ClassVar[str]

    def scan(self, target: Target, ctx: ScanContext) -> AsyncIterator[Finding]: ...
