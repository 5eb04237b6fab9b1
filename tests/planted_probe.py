"""A probe for end-to-end tests: it reads planted synthetic identities from a file the way a real probe reads a
record, and does everything a careless probe might leak through: logs, errors, evidence."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

from phileak import logsafe
from phileak.model import DataCategory, Evidence, Finding, Severity
from phileak.phi.redact import redact
from phileak.probes.base import ScanContext
from phileak.targets import Target

log = logging.getLogger("phileak.probes.planted")


class PlantedProbe:
    """Each target is a JSON file: {"name", "dob", "email", "mrn", "fail": bool}."""

    name: ClassVar[str] = "files"

    async def scan(self, target: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
        record = json.loads(Path(target.ref).read_text())
        values = [record["name"], record["dob"], record["email"], record["mrn"]]
        logsafe.register(*values)
        log.warning("read patient %s born %s <%s> mrn %s", *values)
        if record.get("fail"):
            raise RuntimeError(f"cannot parse record of {record['name']} ({record['email']})")
        person = ctx.identity.person(name=record["name"], birth_date=record["dob"])
        shown = f"Patient: {redact('person-name', record['name'])}, DOB {redact('date-of-birth', record['dob'])}"
        yield Finding.create(
            probe="files",
            target=target.ref,
            kind="phi-in-file",
            key=person or "",
            severity=Severity.HIGH,
            title="A patient record with name, birth date and MRN",
            data_categories=[DataCategory.PERSON_NAME, DataCategory.DATE_OF_BIRTH, DataCategory.MRN],
            affected_individuals=1,
            evidence=Evidence(
                excerpt=shown,
                identity_hashes=[person] if person else [],
            ),
            remediation="Move the export out of the shared folder.",
        )
