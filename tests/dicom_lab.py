"""The lab's imaging servers (4 Orthanc profiles and dcmqrscp) for the DICOM tests, started once per session.

Orthanc binds every interface, so the peers only start inside a network namespace whose only interface is
lo (scripts/run-tests.sh provides one); elsewhere, and without Orthanc or DCMTK, the tests that need them
are skipped with the reason. Each service runs in its own Lab so that all stop in parallel (Orthanc takes a
few seconds to stop).
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from phileak.lab import Lab, LabService, ServiceStatus
from phileak.lab.dicom_data import ExpectedCounts, expected_counts, synthetic_studies
from phileak.lab.dicom_services import DICOM_SERVICES, ORTHANC_BINARY
from phileak.lab.ports import free_port

EXPECTED: ExpectedCounts = expected_counts(synthetic_studies())


def missing_peers() -> str | None:
    """Why the real peers cannot run here, or None."""
    if not Path(ORTHANC_BINARY).exists() or shutil.which("dcmqrscp") is None or shutil.which("dcmqridx") is None:
        return "needs Debian's orthanc, orthanc-dicomweb and dcmtk (scripts/setup.sh --demo)"
    if [name for _, name in socket.if_nameindex() if name != "lo"]:
        return "Orthanc binds every interface: run inside a loopback-only namespace (scripts/run-tests.sh)"
    return None


@dataclass
class RunningLab:
    root: Path
    labs: dict[str, Lab]
    statuses: dict[str, ServiceStatus]

    def port(self, service: str, name: str = "dicom") -> int:
        return self.statuses[service].ports[name]

    def data_dir(self, service: str) -> Path:
        return self.labs[service].data_root / service

    def stop(self) -> None:
        with ThreadPoolExecutor(max_workers=len(self.labs)) as pool:
            list(pool.map(Lab.down, self.labs.values()))
        shutil.rmtree(self.root, ignore_errors=True)


def start(services: list[LabService]) -> RunningLab:
    root = Path(tempfile.mkdtemp(prefix="phileak-dicom-lab-"))
    taken: set[int] = set()
    labs: dict[str, Lab] = {}
    statuses: dict[str, ServiceStatus] = {}
    running = RunningLab(root, labs, statuses)
    try:
        for service in services:
            ports = {}
            for name in service.ports:
                ports[name] = free_port(taken)
                taken.add(ports[name])
            lab = Lab(root / service.name, [replace(service, ports=ports)])
            labs[service.name] = lab
            [status] = lab.up()
            statuses[service.name] = status
            if not status.running:
                raise RuntimeError(status.report())
    except BaseException:
        running.stop()
        raise
    return running


_shared: RunningLab | None = None


def shared_lab(request: pytest.FixtureRequest) -> RunningLab:
    """Every lab imaging server, started on first use and stopped when the test session ends."""
    global _shared
    reason = missing_peers()
    if reason is not None:
        pytest.skip(reason)
    if _shared is None:
        _shared = start(DICOM_SERVICES)
        request.config.add_cleanup(_stop_shared)
    return _shared


def _stop_shared() -> None:
    global _shared
    if _shared is not None:
        _shared.stop()
        _shared = None
