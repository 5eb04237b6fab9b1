"""People in a finding's evidence: their keys (`identity_hashes`) and, per key, the keyed attribute hashes that
link one sighting to another (`identity_attributes`: "mrn:h:…", "person-name:h:…"), so the assessment can tell
that a name in an object key and a name with a birth date in a report are one person. Hashes only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from phileak.phi.spec import PersonRecord

MAX_PEOPLE: Final = 50  # per finding; a finding's count says how many there are in all


def people_evidence(records: Iterable[PersonRecord], limit: int = MAX_PEOPLE) -> dict[str, Any]:
    """Evidence fields for the people of a finding: their keys, and each key's linking attributes."""
    attributes: dict[str, set[str]] = {}
    for record in records:
        attributes.setdefault(record.key, set()).update(f"{kind}:{value}" for kind, value in record.attributes)
    keys = sorted(attributes)[:limit]
    return {
        "identity_hashes": keys,
        "identity_attributes": {key: sorted(attributes[key]) for key in keys if attributes[key]},
    }


def records_from_evidence(hashes: Sequence[str], attributes: Mapping[str, Sequence[str]] | None) -> list[PersonRecord]:
    """The PersonRecords a finding's evidence describes (attributes absent: the key alone)."""
    records = []
    for key in hashes:
        pairs = []
        for item in (attributes or {}).get(key, ()):
            kind, separator, value = str(item).partition(":")
            if separator and value:
                pairs.append((kind, value))
        records.append(PersonRecord(key=key, attributes=frozenset(pairs)))
    return records
