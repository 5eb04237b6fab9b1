"""Waiting for a lab service to be ready: poll its check until it passes, the process exits, or time is up."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable

from phileak.lab.service import HttpReady, Readiness, Runtime, TcpReady

_POLL_INTERVAL = 0.1
_PROBE_TIMEOUT = 2.0


def wait_until_ready(
    check: Readiness, runtime: Runtime, exited: Callable[[], int | None], timeout: float
) -> str | None:
    """None once `check` passes while the process still runs; otherwise why the service is not ready."""
    deadline = time.monotonic() + timeout
    while True:
        status = exited()
        if status is not None:
            return f"exited with {_describe_exit(status)} before it was ready"
        if passes(check, runtime):
            status = exited()  # the answer may have come from someone else's server on that port
            return None if status is None else f"exited with {_describe_exit(status)} before it was ready"
        if time.monotonic() >= deadline:
            return f"not ready after {timeout:g} s ({check.describe(runtime)})"
        time.sleep(_POLL_INTERVAL)


def passes(check: Readiness, runtime: Runtime) -> bool:
    port = runtime.ports[check.port]
    if isinstance(check, TcpReady):
        return _tcp(runtime.host, port)
    return _http(runtime.host, port, check)


def _tcp(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=_PROBE_TIMEOUT):
            return True
    except OSError:
        return False


def _http(host: str, port: int, check: HttpReady) -> bool:
    connection = http.client.HTTPConnection(host, port, timeout=_PROBE_TIMEOUT)
    try:
        connection.request("GET", check.path)
        return connection.getresponse().status in check.statuses
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def _describe_exit(status: int) -> str:
    return f"signal {-status}" if status < 0 else f"status {status}"
