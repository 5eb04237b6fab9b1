"""The PHI engine in a long-lived isolated worker process (phileak.isolation.IsolatedWorker).

Compiling the engine's detectors takes seconds, so one worker per identity key and process, and only the latest
key's (a scan uses one key; a test session many). Probes send it extracted documents with a function of their
own (top-level, taking the engine first); each call runs under a wall-clock, memory and result-size limit, so a
document the engine chokes on costs a killed worker, not a hung scan, and analysis runs on another core than
the event loop."""

from __future__ import annotations

import atexit
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from phileak.errors import PhileakError
from phileak.isolation import IsolatedWorker
from phileak.phi.identity import IdentityHasher
from phileak.phi.spec import Document

D = TypeVar("D", bound=Document)
R = TypeVar("R")

WORKER_MEMORY_MB = 2048
SETUP_SECONDS = 120.0  # building the engine, and the first call's wait for it
SECONDS_PER_MB = 10.0  # the engine reads about 1 MB/s in the worst documents measured; ten times that is slow
RESULT_BYTES = 192 * 1024 * 1024  # a table of 2,000,000 cells (the extraction limit) may name 400,000 people
_WORKERS: dict[str, IsolatedWorker] = {}


def engine_worker(hasher: IdentityHasher) -> IsolatedWorker:
    """The worker holding an engine for `hasher` (started on its first call)."""
    cache_key = hasher.hash("id", "phileak-engine-worker")
    worker = _WORKERS.get(cache_key)
    if worker is None:
        for other in _WORKERS.values():
            other.close_sync()
        _WORKERS.clear()
        worker = _WORKERS[cache_key] = IsolatedWorker(
            build_engine, hasher, max_memory_mb=WORKER_MEMORY_MB, name="phileak-phi-engine"
        )
    return worker


def call_timeout(characters: int, documents: int = 1) -> float:
    """The wall-clock limit of one call over `documents` documents of `characters` characters in all."""
    return SETUP_SECONDS + SECONDS_PER_MB * characters / 1e6 + 0.05 * documents


async def analyse_each(
    hasher: IdentityHasher, analyse_all: Callable[[Any, list[D]], list[R]], documents: Sequence[D]
) -> list[R | PhileakError]:
    """`analyse_all(engine, documents)` in the worker, one result per document: the batch in one call, and when
    that fails (a document the engine cannot finish in time, a result over the cap), each document alone, so
    only the culprit gets its error."""
    if not documents:
        return []
    worker = engine_worker(hasher)

    async def call(batch: list[D]) -> list[R]:
        size = sum(len(s.text) for d in batch for s in d.segments) + sum(len(d.name or "") for d in batch)
        result: list[R] = await worker.call(
            analyse_all, batch, timeout_s=call_timeout(size, len(batch)), max_bytes=RESULT_BYTES
        )
        return result

    try:
        return list(await call(list(documents)))
    except PhileakError as exc:
        if len(documents) == 1:
            return [exc]
    outcomes: list[R | PhileakError] = []
    for document in documents:
        try:
            [one] = await call([document])
            outcomes.append(one)
        except PhileakError as exc:
            outcomes.append(exc)
    return outcomes


def build_engine(hasher: IdentityHasher) -> Any:
    from phileak.phi.engine import PhiEngine

    return PhiEngine(hasher)


def engine_ready(engine: Any) -> bool:
    return engine is not None


@atexit.register
def _close_workers() -> None:
    for worker in _WORKERS.values():
        worker.close_sync()
