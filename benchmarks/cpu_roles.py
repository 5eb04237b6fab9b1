"""Where a benchmark's CPU went, by process role, read from /proc: this process (the event loop), phileak's
forkserver and the isolated extraction children it reaped, the PHI engine's long-lived worker, SeaweedFS."""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_times() -> dict[int, tuple[str, int, float, float, float]]:
    """Every process's (command, parent, own CPU s, reaped children's CPU s, own kernel CPU s), from /proc."""
    out: dict[int, tuple[str, int, float, float, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        own, children = (int(stat[11]) + int(stat[12])) / _TICK, (int(stat[13]) + int(stat[14])) / _TICK
        out[int(entry)] = (command, int(stat[1]), own, children, int(stat[12]) / _TICK)
    return out


def cpu_breakdown(before: dict[int, tuple[str, int, float, float, float]], objects: int) -> str:
    return describe(cpu_per_object(before, objects))


def cpu_per_object(before: dict[int, tuple[str, int, float, float, float]], objects: int) -> dict[str, float]:
    """CPU per object since `before`, by role: this process (event loop, reads; with the part spent in the
    kernel, where loopback sockets deliver what it sends), the forkserver's reaped children (isolated
    extraction), its live children (the PHI engine worker), SeaweedFS when it runs."""
    after = cpu_times()
    me = os.getpid()
    roles = {"event loop": 0.0, "extraction children": 0.0, "engine worker": 0.0}
    kernel = 0.0
    forkservers = {pid for pid, (_, parent, _, _, _) in after.items() if parent == me and pid != me}
    for pid, (command, parent, own, children, system) in after.items():
        _, _, own_before, children_before, system_before = before.get(pid, ("", 0, 0.0, 0.0, 0.0))
        own, children = own - own_before, children - children_before
        if pid == me:
            roles["event loop"] += own
            kernel = system - system_before
        elif command.endswith("/weed"):
            roles["SeaweedFS"] = roles.get("SeaweedFS", 0.0) + own
        elif pid in forkservers:
            roles["extraction children"] += own + children
        elif parent in forkservers:
            roles["engine worker"] += own
    per_object = {name: 1000 * seconds / objects for name, seconds in roles.items()}
    per_object["kernel"] = 1000 * kernel / objects
    return per_object


def describe(per_object: dict[str, float]) -> str:
    """The CPU milliseconds per object of `cpu_per_object`, by role, on one line."""
    roles = {name: ms for name, ms in per_object.items() if name != "kernel"}
    parts = ", ".join(f"{name} {ms:.2f}" for name, ms in roles.items())
    parts = parts.replace("event loop", f"event loop (kernel {per_object['kernel']:.2f} of it)", 1)
    return f"{parts}; total {sum(roles.values()):.2f} ms per PDF on 2 cores"
