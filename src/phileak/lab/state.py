"""The lab's state file: which process runs each service (PID + start time), its ports and data dir."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phileak.errors import InputError
from phileak.lab.process import ProcessId

_VERSION = 1


@dataclass(frozen=True)
class ServiceRecord:
    process: ProcessId
    ports: Mapping[str, int]
    data_dir: Path
    log: Path
    argv: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.process.pid,
            "start_time": self.process.start_time,
            "ports": dict(self.ports),
            "data_dir": str(self.data_dir),
            "log": str(self.log),
            "argv": list(self.argv),
        }

    @classmethod
    def from_json(cls, raw: Any) -> ServiceRecord:
        ports = raw["ports"]
        if not isinstance(ports, dict) or not all(isinstance(p, int) for p in ports.values()):
            raise TypeError("ports must map names to numbers")
        return cls(
            process=ProcessId(_int(raw["pid"]), _int(raw["start_time"])),
            ports={str(name): port for name, port in ports.items()},
            data_dir=Path(str(raw["data_dir"])),
            log=Path(str(raw["log"])),
            argv=tuple(str(word) for word in raw.get("argv", ())),
        )


def _int(item: Any) -> int:
    if not isinstance(item, int) or isinstance(item, bool):
        raise TypeError(f"expected a number, got {item!r}")
    return item


def load(path: Path) -> dict[str, ServiceRecord]:
    """The recorded services; none when the file does not exist. A damaged file is an InputError."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise InputError(
            f"lab state file {path} is unreadable ({exc}); stop stray lab processes and delete it"
        ) from None
    try:
        return {str(name): ServiceRecord.from_json(entry) for name, entry in raw["services"].items()}
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise InputError(
            f"lab state file {path} is damaged ({exc!r}); stop stray lab processes and delete it"
        ) from None


def save(path: Path, records: Mapping[str, ServiceRecord]) -> None:
    """Write the state atomically: a reader sees the old file or the new one, never half of one."""
    payload = {"version": _VERSION, "services": {name: rec.to_json() for name, rec in records.items()}}
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
