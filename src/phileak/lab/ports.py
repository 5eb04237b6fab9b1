"""Loopback ports for lab services: the declared default when free, otherwise a free one (and say so)."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass

from phileak.lab.service import LOOPBACK


@dataclass(frozen=True)
class PortChoice:
    ports: dict[str, int]
    notes: tuple[str, ...]


def is_free(port: int) -> bool:
    """True when something could listen on 127.0.0.1:`port` now (a TIME_WAIT leftover does not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port(avoid: set[int] | frozenset[int] = frozenset()) -> int:
    """A port the kernel considers free on loopback right now."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((LOOPBACK, 0))
            port: int = probe.getsockname()[1]
        if port not in avoid:
            return port


def choose(defaults: Mapping[str, int], taken: set[int]) -> PortChoice:
    """Pick a port per name; `taken` (ports the lab already uses) is updated with the choices."""
    ports: dict[str, int] = {}
    notes: list[str] = []
    for name, default in defaults.items():
        if default and default not in taken and is_free(default):
            port = default
        else:
            port = free_port(taken)
            if default:
                notes.append(f"port {default} ({name}) is in use, using {port}")
        ports[name] = port
        taken.add(port)
    return PortChoice(ports, tuple(notes))
