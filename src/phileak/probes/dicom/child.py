"""The entry point the DIMSE session's child process unpickles: light, so the child imports only what the
session needs (pynetdicom, pydicom, the counting code), not the parent's model and reporting stack."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phileak.probes.dicom.records import SessionReport, SessionRequest


def run_session(request: SessionRequest) -> SessionReport:
    from phileak.probes.dicom.dimse import run_session as run

    return run(request)
