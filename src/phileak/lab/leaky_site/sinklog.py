"""What the tracker sink received, one JSON line per request or WebSocket message (sink.jsonl in the service's
data directory, mode 0600). For debugging the lab and checking its ground truth: it holds whatever the browser
sent to the tracker stand-ins, i.e. the synthetic canary patient a scan typed, and nothing else. First-party
requests are logged by method and path only (no query, no body)."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SinkRecord:
    """One request (or WebSocket message) as the sink received it. `target` is the path with its query."""

    time: float
    host: str
    method: str
    target: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    websocket: bool = False
    first_party: bool = False
    status: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def url(self) -> str:
        scheme = "wss" if self.websocket else "https"
        return f"{scheme}://{self.host}{self.target}"

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def to_json(self) -> str:
        data: dict[str, Any] = {"time": round(self.time, 6), "host": self.host, "method": self.method,
                                "target": self.target}  # fmt: skip
        if self.headers:
            data["headers"] = [list(pair) for pair in self.headers]
        if self.body:
            data["body_b64"] = base64.b64encode(self.body).decode()
        if self.websocket:
            data["websocket"] = True
        if self.first_party:
            data["first_party"] = True
        if self.status is not None:
            data["status"] = self.status
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> SinkRecord:
        data = json.loads(line)
        return cls(
            time=float(data["time"]),
            host=str(data["host"]),
            method=str(data["method"]),
            target=str(data["target"]),
            headers=tuple((str(k), str(v)) for k, v in data.get("headers", ())),
            body=base64.b64decode(data["body_b64"]) if "body_b64" in data else b"",
            websocket=bool(data.get("websocket", False)),
            first_party=bool(data.get("first_party", False)),
            status=data.get("status"),
        )


class SinkLog:
    """Appends records to a JSON-lines file, thread-safe, each line flushed as written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._out = os.fdopen(descriptor, "a", encoding="utf-8")

    def write(self, record: SinkRecord) -> None:
        line = record.to_json() + "\n"
        with self._lock:
            self._out.write(line)
            self._out.flush()

    def close(self) -> None:
        with self._lock:
            self._out.close()


def read_records(path: Path, offset: int = 0) -> tuple[list[SinkRecord], int]:
    """The records written after byte `offset`, and the offset to continue from (complete lines only)."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return [], offset
    complete = data[: data.rfind(b"\n") + 1]
    records = [SinkRecord.from_json(line) for line in complete.decode("utf-8").splitlines() if line.strip()]
    return records, offset + len(complete)


def third_party(records: Iterable[SinkRecord]) -> Iterator[SinkRecord]:
    return (record for record in records if not record.first_party)


def now() -> float:
    return time.time()
