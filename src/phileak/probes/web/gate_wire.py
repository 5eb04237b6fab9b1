"""What the gate (gate.py) saw of each request it answered, kept until the capture (capture.py) takes it: the
request's and the answer's headers as they were on the wire, and the body's first MAX_BODY_BYTES. Bounded in
count, bytes and age; a record is given once, to the oldest request of the same method and URL, and never to a
later request: one the capture asked for before it came is dropped when it comes."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from typing import Final

from phileak.probes.web.capture_model import WireRecord

MAX_WIRE_RECORDS: Final = 20_000
MAX_WIRE_BYTES: Final = 64 * 1024 * 1024
MAX_WIRE_AGE_S: Final = 120.0


class WireLog:
    def __init__(self) -> None:
        self._records: OrderedDict[tuple[str, str], deque[WireRecord]] = OrderedDict()
        self._count = 0
        self._bytes = 0
        self._unclaimed: dict[tuple[str, str], int] = {}  # asked for before they came: dropped when they do
        self.taken = 0

    def take(self, method: str, url: str) -> WireRecord | None:
        """The oldest request (method, URL) the gate answered and nobody took yet, as it was on the wire, so the
        capture needs no round trip to the browser for its headers, and has its body even when the browser's
        events lack it. When there is none (the request is still on its way, or never came), the next record of
        that (method, URL) is dropped on arrival: a later request with the same URL must not get its headers."""
        key = (method.upper(), url)
        queue = self._records.get(key)
        oldest = time.monotonic() - MAX_WIRE_AGE_S
        while queue and queue[0].received < oldest:
            self._forget(queue.popleft())
        if not queue:
            self._records.pop(key, None)
            if len(self._unclaimed) >= MAX_WIRE_RECORDS:
                self._unclaimed.clear()
            self._unclaimed[key] = self._unclaimed.get(key, 0) + 1
            return None
        record = queue.popleft()
        if not queue:
            del self._records[key]
        self._forget(record)
        self.taken += 1
        return record

    def _forget(self, record: WireRecord) -> None:
        self._count -= 1
        self._bytes -= len(record.body)

    def keep(self, method: str, url: str, record: WireRecord) -> None:
        key = (method, url)
        if self._unclaimed.get(key):
            self._unclaimed[key] -= 1  # the capture already read that request from the browser
            return
        # Requests the capture never asks for (it was closed, or missed them) are dropped, oldest first.
        while self._records and (self._count >= MAX_WIRE_RECORDS or self._bytes > MAX_WIRE_BYTES):
            _, stale = self._records.popitem(last=False)
            for dropped in stale:
                self._forget(dropped)
        self._records.setdefault(key, deque()).append(record)
        self._count += 1
        self._bytes += len(record.body)
