"""The audit plan `lab up` writes: the fictional hospital, its scope, and what each running service adds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from phileak.lab import toml_text
from phileak.lab.service import PlanFragment
from phileak.lab.toml_text import TomlTable

ORGANISATION_NAME = "Lab General Hospital"
LAB_DOMAIN = "lab-hospital.test"
BASE_ALLOW = (f"*.{LAB_DOMAIN}", "127.0.0.1/32")
_SECTION_ORDER = ("web", "dicom", "storage", "files")


def render(fragments: Iterable[PlanFragment], allow: Iterable[str], today: date) -> str:
    """The plan as TOML text, in the shape of shared/CONTRACT.md "Audit plan (TOML)"."""
    sections: dict[str, list[TomlTable]] = {}
    for fragment in fragments:
        for section, entries in fragment.items():
            sections.setdefault(section, []).extend(entries)
    ordered = sorted(sections, key=lambda s: (_SECTION_ORDER.index(s) if s in _SECTION_ORDER else 99, s))
    document: dict[str, TomlTable | Sequence[TomlTable]] = {
        "organisation": {
            "name": ORGANISATION_NAME,
            "entity_type": "covered-entity",
            "jurisdictions": ["US-CA", "EU-FR"],
            "discovery_date": today.isoformat(),
        },
        "scope": {"allow": list(dict.fromkeys([*BASE_ALLOW, *allow]))},
    }
    document.update((section, sections[section]) for section in ordered)
    document["options"] = {"resolve": ["*=127.0.0.1"], "insecure": True}
    return "# Written by `phileak lab up`: targets the running loopback lab.\n" + toml_text.dumps(document)


def write(path: Path, fragments: Iterable[PlanFragment], allow: Iterable[str], today: date) -> None:
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(render(fragments, allow, today), encoding="utf-8")
    partial.replace(path)
