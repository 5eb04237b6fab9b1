"""Lab processes: start each in its own session, recognise it by PID *and* start time, stop its group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Children started by this Python process, so their exit status can be collected (no zombies).
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class ProcessId:
    """A process as the kernel knows it: a PID alone could have been recycled for another program."""

    pid: int
    start_time: int  # clock ticks after boot, field 22 of /proc/PID/stat


@dataclass(frozen=True)
class _Stat:
    state: str
    start_time: int


def _stat(pid: int) -> _Stat | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its closing one.
    fields = raw[raw.rindex(")") + 2 :].split()
    return _Stat(state=fields[0], start_time=int(fields[19]))


def spawn(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path) -> ProcessId:
    """Start `argv` in a new session (its own process group), output appended to `log`, stdin closed."""
    with log.open("ab") as out:
        child = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
        )
    _children[child.pid] = child
    stat = _stat(child.pid)
    return ProcessId(child.pid, stat.start_time if stat else -1)


def exit_status(proc: ProcessId) -> int | None:
    """The exit status of a child this Python process started, or None while it runs (or if unknown)."""
    child = _children.get(proc.pid)
    if child is None:
        return None
    status = child.poll()
    if status is not None:
        del _children[proc.pid]
    return status


def is_running(proc: ProcessId) -> bool:
    stat = _stat(proc.pid)
    if stat is None or stat.start_time != proc.start_time:
        return False
    if stat.state in ("Z", "X"):
        _reap(proc.pid)
        return False
    return True


def stop(proc: ProcessId, sig: signal.Signals, timeout: float) -> bool:
    """Send `sig` to the process group, wait up to `timeout`, then SIGKILL it; True once the leader is gone.

    Nothing is signalled unless the leader is still the process that was started (same start time).
    """
    if not is_running(proc):
        return True
    _signal_group(proc.pid, sig)
    gone = _wait_gone(proc, timeout)
    if not gone:
        _signal_group(proc.pid, signal.SIGKILL)
        gone = _wait_gone(proc, 10.0)
    if gone:
        # Helpers the leader left behind in its group. The group id cannot be reused while they live.
        _signal_group(proc.pid, signal.SIGKILL)
    return gone


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _wait_gone(proc: ProcessId, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while is_running(proc):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _reap(pid: int) -> None:
    """Collect a zombie known to be the recorded process, so its PID entry goes away."""
    child = _children.pop(pid, None)
    if child is not None:
        child.poll()
        return
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
