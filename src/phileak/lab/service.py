"""What a lab service is: one declaration (LabService) and what the lab reports about it (ServiceStatus)."""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from phileak.lab.toml_text import TomlValue

LOOPBACK = "127.0.0.1"

# An audit-plan fragment: plan section ("web", "dicom", "storage", "files") -> the entries it adds.
PlanFragment = Mapping[str, Sequence[Mapping[str, TomlValue]]]


@dataclass(frozen=True)
class Runtime:
    """Where one service instance runs: its ports (by name) and its data directory. Always loopback."""

    name: str
    ports: Mapping[str, int]
    data_dir: Path
    host: str = LOOPBACK


@dataclass(frozen=True)
class TcpReady:
    """Ready once a TCP connection to the named port succeeds."""

    port: str

    def describe(self, runtime: Runtime) -> str:
        return f"tcp {runtime.host}:{runtime.ports[self.port]}"


@dataclass(frozen=True)
class HttpReady:
    """Ready once GET `path` on the named port answers one of `statuses`."""

    port: str
    path: str = "/"
    statuses: frozenset[int] = frozenset({200})

    def describe(self, runtime: Runtime) -> str:
        return f"GET http://{runtime.host}:{runtime.ports[self.port]}{self.path}"


Readiness = TcpReady | HttpReady


@dataclass(frozen=True)
class LabService:
    """One local target of the lab. Adding a service to the lab is one of these in lab/services.py.

    `argv` builds the command line from the runtime (ports, data dir); its first word is the binary, and a
    missing binary makes the service "unavailable" rather than an error. `setup` prepares config and data
    in runtime.data_dir before each start; `load` runs once the service is ready (e.g. uploads studies).
    `plan` says which audit-plan entries the running service contributes; `allow` adds scope patterns.
    """

    name: str
    argv: Callable[[Runtime], Sequence[str]]
    ports: Mapping[str, int]
    ready: Readiness
    env: Mapping[str, str] = field(default_factory=dict)
    setup: Callable[[Runtime], None] | None = None
    load: Callable[[Runtime], None] | None = None
    plan: Callable[[Runtime], PlanFragment] | None = None
    allow: tuple[str, ...] = ()
    stop_signal: signal.Signals = signal.SIGTERM
    stop_timeout: float = 10.0
    ready_timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.ready.port not in self.ports:
            raise ValueError(
                f"lab service {self.name}: readiness port {self.ready.port!r} is not among its ports"
            )


class ServiceState(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"
    FAILED = "failed"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class ServiceStatus:
    """What `Lab.up/down/status` report for one service. `detail` is one line; `log_tail` backs a failure."""

    name: str
    state: ServiceState
    detail: str = ""
    pid: int | None = None
    ports: Mapping[str, int] = field(default_factory=dict)
    log_path: Path | None = None
    log_tail: tuple[str, ...] = ()

    @property
    def running(self) -> bool:
        return self.state is ServiceState.RUNNING

    @property
    def ok(self) -> bool:
        """False when the service was meant to run and could not."""
        return self.state not in (ServiceState.FAILED, ServiceState.UNAVAILABLE)

    def line(self) -> str:
        """One line for a terminal: `www: running (pid 42; http 127.0.0.1:18080) started`."""
        facts = []
        if self.pid is not None:
            facts.append(f"pid {self.pid}")
        facts.extend(f"{name} {LOOPBACK}:{port}" for name, port in self.ports.items())
        text = f"{self.name}: {self.state}"
        if facts:
            text += f" ({'; '.join(facts)})"
        return f"{text}: {self.detail}" if self.detail else text

    def __str__(self) -> str:
        return self.report()

    def report(self) -> str:
        """`line()` plus, for a failure, the last lines of the service's log."""
        lines = [self.line()]
        if self.log_tail:
            lines.append(f"  last lines of {self.log_path}:")
            lines.extend(f"    {entry}" for entry in self.log_tail)
        return "\n".join(lines)
