"""The local leaky-hospital lab: services started and stopped on loopback only (`phileak lab ...`)."""

from phileak.lab.control import Lab
from phileak.lab.service import (
    HttpReady,
    LabService,
    PlanFragment,
    Readiness,
    Runtime,
    ServiceState,
    ServiceStatus,
    TcpReady,
)

__all__ = [
    "HttpReady",
    "Lab",
    "LabService",
    "PlanFragment",
    "Readiness",
    "Runtime",
    "ServiceState",
    "ServiceStatus",
    "TcpReady",
]
