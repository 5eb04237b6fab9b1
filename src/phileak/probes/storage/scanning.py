"""Keys and contents of an exposed bucket through the PHI engine, streaming: keys are analysed page by page as
the listing goes, objects are read (ranged, byte-capped), extracted and analysed in small batches by a few
workers, and only tallies, hashes and redacted snippets are kept.

Findings per object while few objects hold PHI; past PER_OBJECT_LIMIT, one finding per top-level prefix instead
(a report with thousands of findings for one bucket buries the exposure, and per-prefix tallies still say where
the data is and how much)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from phileak.errors import LimitExceeded, TransientError
from phileak.model import DataCategory, Severity
from phileak.phi.extract import ExtractLimits
from phileak.phi.extract.batch import BatchExtractor
from phileak.phi.identity import IdentityHasher
from phileak.phi.person_evidence import MAX_PEOPLE
from phileak.phi.spec import Document, PersonRecord
from phileak.probes.storage.content import PeopleTally, PhiAdapter, PhiResult, readable_key, shown_key
from phileak.probes.storage.sample import top_prefix
from phileak.probes.storage.stores import ObjectInfo, ObjectStore, StoreError
from phileak.probes.storage.transport import ThrottledError

PER_OBJECT_LIMIT = 25
EXAMPLES = 3
KEY_BATCH = 500
READ_BATCH = 128  # objects per isolated extraction child and per call to the engine's worker
FIRST_READ_BATCH = 16
READ_BATCH_BYTES = 32 * 1024 * 1024  # bytes a chunk holds at once (an object over it is a chunk of its own)
WORKERS = 2
READS_IN_FLIGHT = 16
MAX_CONSECUTIVE_DENIED = 5  # refused reads in a row that close a folder where nothing was read yet
MAX_DENIED_WITHOUT_A_READ = 20  # refused reads, none served: the objects are not readable
MAX_CONSECUTIVE_FAILURES = 20
ERROR_BODY_BYTES = 16 * 1024  # an error answer (S3 XML, Azure, GCS JSON) is read whole up to this, to say why
WHOLE_FILE_TYPES = frozenset({".pdf", ".zip", ".docx", ".xlsx", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".dcm", ".7z"})
_SEVERITY_ORDER = {s: s.rank for s in Severity}


def object_id(hasher: IdentityHasher, ref: str, key: str) -> str:
    """A keyed, stable id for an object (its key may be patient data): HMAC of the key's bytes in hex."""
    return hasher.hash("url", f"{ref} {key.encode('utf-8', 'surrogatepass').hex()}")


@dataclass
class Hit:
    """One object (or key) with PHI, as a finding will show it."""

    object_id: str
    shown_key: str
    prefix: str
    size: int | None
    result: PhiResult


@dataclass
class Aggregate:
    """Objects (or keys) with PHI under one top-level prefix."""

    shown_prefix: str
    objects: int = 0
    total_bytes: int = 0
    categories: set[DataCategory] = field(default_factory=set)
    severity: Severity = Severity.INFO
    phi: int = 0
    person_keys: set[str] = field(default_factory=set)
    people: dict[str, PersonRecord] = field(default_factory=dict)  # the first MAX_PEOPLE, for the evidence
    examples: list[str] = field(default_factory=list)  # redacted keys
    excerpts: list[str] = field(default_factory=list)

    def add(self, hit: Hit) -> None:
        self.objects += 1
        self.total_bytes += hit.size or 0
        self.categories |= hit.result.categories
        self.phi += hit.result.is_phi
        if hit.result.severity.rank > self.severity.rank:
            self.severity = hit.result.severity
        if len(self.person_keys) < 1_000_000:
            self.person_keys.update(hit.result.person_keys)
        for person in hit.result.people:
            known = self.people.get(person.key)
            if known is not None:
                self.people[person.key] = PersonRecord(person.key, known.attributes | person.attributes)
            elif len(self.people) < MAX_PEOPLE:
                self.people[person.key] = person
        if len(self.examples) < EXAMPLES:
            self.examples.append(hit.shown_key)
        if hit.result.excerpt and len(self.excerpts) < EXAMPLES:
            self.excerpts.append(hit.result.excerpt)


@dataclass
class HitLog:
    """Per-object hits until there are too many, and per-prefix aggregates all along."""

    hits: list[Hit] = field(default_factory=list)
    aggregates: dict[str, Aggregate] = field(default_factory=dict)
    count: int = 0
    categories: set[DataCategory] = field(default_factory=set)
    worst: Severity = Severity.INFO

    def add(self, hit: Hit, shown_prefix: str) -> None:
        self.count += 1
        self.categories |= hit.result.categories
        if hit.result.severity.rank > self.worst.rank:
            self.worst = hit.result.severity
        if self.count <= PER_OBJECT_LIMIT:
            self.hits.append(hit)
        else:
            self.hits.clear()
        self.aggregates.setdefault(hit.prefix, Aggregate(shown_prefix)).add(hit)

    @property
    def aggregated(self) -> bool:
        return self.count > PER_OBJECT_LIMIT


@dataclass
class ContentStats:
    read: int = 0
    bytes_read: int = 0
    with_phi: int = 0
    analysed: int = 0
    skipped_too_large: int = 0
    empty: int = 0
    size_mismatch: int = 0
    read_in_part: int = 0  # objects read up to the read cap, or whose text passed an extraction limit
    without_text: int = 0  # PDFs of scanned pages: no text layer to read
    denied: int = 0
    skipped_in_refused_folders: int = 0
    unreadable: dict[str, int] = field(default_factory=dict)
    cut_short: str | None = None

    def failed(self, reason: str) -> None:
        self.unreadable[reason] = self.unreadable.get(reason, 0) + 1


_NAME_WORD = re.compile(r"(?:[A-Z][a-z]+|[A-Z]['\u2019][A-Z][a-z]+)(?:-[A-Z][a-z]+)?")  # Omar, O'Neil, Jean-Luc
_WORD_SEPARATORS = re.compile(r"[_ ]")
SHAPE_MIN_KEYS = 10
SHAPE_MIN_SHARE = 0.8
MAX_UNNAMED = 10_000


def name_shape(key: str) -> tuple[str, str] | None:
    """The shape of a file name made of two or three capitalised words ("Aisha_Okafor.pdf" -> ("W_W", "pdf")),
    the way a bucket names files after patients; None for any other name."""
    tail = key.rsplit("/", 1)[-1]
    stem, dot, extension = tail.rpartition(".")
    if not dot:
        stem, extension = tail, ""
    words = _WORD_SEPARATORS.split(stem)
    if not 2 <= len(words) <= 3 or not all(_NAME_WORD.fullmatch(word) for word in words):
        return None
    return "".join("W" + sep for sep in _WORD_SEPARATORS.findall(stem)) + "W", extension.lower()


@dataclass
class _ShapeTally:
    named: int = 0
    keys: int = 0
    unnamed: list[ObjectInfo] = field(default_factory=list)


class KeyScan:
    """PHI in object keys, analysed in batches as the listing streams.

    Buckets name files after patients (the PHM case), and no name list holds every patient's name. When at
    least SHAPE_MIN_SHARE of a bucket's keys of one shape (two or three capitalised words, same extension; at
    least SHAPE_MIN_KEYS of them) carry a name the engine recognises, the keys of that shape it did not
    recognise are read as names too, at the end of the listing."""

    def __init__(self, adapter: PhiAdapter, tally: PeopleTally, hasher: IdentityHasher, ref: str, prefix: str) -> None:
        self._adapter = adapter
        self._tally = tally
        self._hasher = hasher
        self._ref = ref
        self._prefix = prefix
        self._pending: list[ObjectInfo] = []
        self.log = HitLog()
        self.analysed = 0
        self.names_by_shape = 0
        self._prefix_names: dict[str, str] = {}
        self._shapes: dict[tuple[str, str], _ShapeTally] = {}
        self._unnamed = 0

    async def offer(self, item: ObjectInfo) -> None:
        self._pending.append(item)
        if len(self._pending) >= KEY_BATCH:
            await self.flush()

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        results = await self._adapter.analyse_keys([item.key for item in batch])
        self.analysed += len(batch)
        for item, result in zip(batch, results, strict=True):
            self._count_shape(item, result)
            if result.identifiers:
                await self._hit(item, result)

    async def finish(self) -> None:
        """The last batch, then the keys whose shape says they are named after people."""
        await self.flush()
        for tally in self._shapes.values():
            if tally.keys < SHAPE_MIN_KEYS or tally.named < SHAPE_MIN_SHARE * tally.keys or not tally.unnamed:
                continue
            names = [_WORD_SEPARATORS.sub(" ", item.key.rsplit("/", 1)[-1].rsplit(".", 1)[0]) for item in tally.unnamed]
            results = await self._adapter.analyse_named(names)
            for item, result in zip(tally.unnamed, results, strict=True):
                if result.identifiers:
                    self.names_by_shape += 1
                    await self._hit(item, result)
            tally.unnamed = []

    def _count_shape(self, item: ObjectInfo, result: PhiResult) -> None:
        shape = name_shape(item.key)
        if shape is None:
            return
        tally = self._shapes.get(shape)
        if tally is None:
            if len(self._shapes) >= 1000:
                return
            tally = self._shapes[shape] = _ShapeTally()
        tally.keys += 1
        if DataCategory.PERSON_NAME in result.identifiers:
            tally.named += 1
        elif self._unnamed < MAX_UNNAMED:
            tally.unnamed.append(item)
            self._unnamed += 1

    async def _hit(self, item: ObjectInfo, result: PhiResult) -> None:
        doc = object_id(self._hasher, self._ref, item.key)
        self._tally.add_key(doc, result)
        prefix = top_prefix(item.key, self._prefix)
        hit = Hit(doc, shown_key(item.key, result), prefix, item.size, result)
        self.log.add(hit, await self.shown_prefix(prefix))

    async def shown_prefix(self, prefix: str) -> str:
        shown = self._prefix_names.get(prefix)
        if shown is None:
            if prefix and len(self._prefix_names) < 10_000:
                [result] = await self._adapter.analyse_keys([prefix])
                shown = shown_key(prefix, result)
            else:
                shown = prefix
            self._prefix_names[prefix] = shown
        return shown


class ContentScan:
    """Reads objects and runs the engine on what they hold."""

    def __init__(
        self,
        store: ObjectStore,
        adapter: PhiAdapter,
        tally: PeopleTally,
        hasher: IdentityHasher,
        keys: KeyScan,
        *,
        ref: str,
        prefix: str,
        max_object_bytes: int,
        deadline: float,
        extract_limits: ExtractLimits,
    ) -> None:
        self._store = store
        self._adapter = adapter
        self._tally = tally
        self._hasher = hasher
        self._keys = keys
        self._ref = ref
        self._prefix = prefix
        self._cap = max_object_bytes
        self._deadline = deadline
        self._extractor = BatchExtractor(extract_limits)
        self._reads = asyncio.Semaphore(READS_IN_FLIGHT)
        # A policy may open one folder and not the next: refusals close a folder, not the bucket.
        self._denied_runs: dict[str, int] = {}
        self._folders_read: set[str] = set()
        self._refused_folders: set[str] = set()
        self._failure_run = 0
        self.stats = ContentStats()
        self.log = HitLog()

    @property
    def extraction(self) -> BatchExtractor:
        return self._extractor

    async def run(self, objects: AsyncIterator[ObjectInfo] | Iterable[ObjectInfo]) -> None:
        queue: asyncio.Queue[list[ObjectInfo] | None] = asyncio.Queue(maxsize=WORKERS * 2)
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(WORKERS)]
        try:
            await self._feed(objects, queue)
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _feed(
        self, objects: AsyncIterator[ObjectInfo] | Iterable[ObjectInfo], queue: asyncio.Queue[list[ObjectInfo] | None]
    ) -> None:
        async for chunk in chunked(objects, self._cap):
            if self._stopped():
                break
            await self._put(queue, chunk)

    async def _put(self, queue: asyncio.Queue[list[ObjectInfo] | None], chunk: list[ObjectInfo]) -> None:
        """Queue a chunk, noticing a worker that failed instead of waiting for room forever."""
        while True:
            try:
                await asyncio.wait_for(queue.put(chunk), timeout=1.0)
                return
            except TimeoutError:
                if self._stopped():
                    return

    def _stopped(self) -> bool:
        if self.stats.cut_short:
            return True
        if time.monotonic() > self._deadline:
            self.stats.cut_short = "phileak's time budget for reading contents ran out; the objects read are a sample"
            return True
        return False

    async def _worker(self, queue: asyncio.Queue[list[ObjectInfo] | None]) -> None:
        while True:
            chunk = await queue.get()
            if chunk is None:
                return
            if self._stopped():
                continue
            try:
                await self._chunk(chunk)
            except Exception as exc:
                self.stats.cut_short = f"content scan stopped: {type(exc).__name__}"
                raise

    async def _chunk(self, chunk: list[ObjectInfo]) -> None:
        datas = await asyncio.gather(*(self._read(item) for item in chunk))
        readable = [(item, data) for item, data in zip(chunk, datas, strict=True) if data is not None]
        if not readable:
            return
        extracted = await self._extractor.extract([(data, item.key) for item, data in readable])
        documents: list[tuple[ObjectInfo, Document]] = []
        for (item, _), outcome in zip(readable, extracted, strict=True):
            if outcome.document is None:
                self.stats.failed(outcome.error or "unreadable")
                continue
            document: Document = outcome.document
            cut = outcome.document.read_in_part or (item.size is not None and item.size > self._cap)
            self.stats.read_in_part += 1 if cut else 0
            self.stats.without_text += 1 if outcome.document.no_text_layer else 0
            named = Document(segments=document.segments, name=readable_key(item.key), source=document.source)
            documents.append((item, named))
        results = await self._adapter.analyse_many([document for _, document in documents])
        for (item, _), result in zip(documents, results, strict=True):
            doc = object_id(self._hasher, self._ref, item.key)
            if result is None:
                self.stats.failed("the PHI engine did not finish within phileak's limits")
                continue
            self.stats.analysed += 1
            self._tally.add_content(doc, result)
            if not result.identifiers:
                continue
            self.stats.with_phi += 1
            prefix = top_prefix(item.key, self._prefix)
            hit = Hit(doc, shown_key(item.key, result), prefix, item.size, result)
            self.log.add(hit, await self._keys.shown_prefix(prefix))

    async def _read(self, item: ObjectInfo) -> bytes | None:
        if item.size == 0:
            self.stats.empty += 1
            self._tally.add_content(object_id(self._hasher, self._ref, item.key), None)
            return None
        too_big = item.size is not None and item.size > self._cap
        if too_big and PurePosixPath(item.key).suffix.lower() in WHOLE_FILE_TYPES:
            self.stats.skipped_too_large += 1
            return None
        folder = top_prefix(item.key, self._prefix)
        if folder in self._refused_folders:
            self.stats.skipped_in_refused_folders += 1
            return None
        end = min(item.size or self._cap, self._cap) - 1
        async with self._reads:
            try:
                # What was asked and no more; but an error's XML may be longer than a small object, and its
                # code is what says why the read failed.
                answer = await self._store.read(item.key, 0, end, max_bytes=max(end + 1, ERROR_BODY_BYTES))
            except StoreError as exc:
                self._read_failed(exc, folder)
                return None
            except LimitExceeded:
                self.stats.failed("the server sent more than the read cap (it ignored the byte range)")
                return None
            except (TransientError, ThrottledError) as exc:
                self._failure_run += 1
                throttled = isinstance(exc, ThrottledError)
                self.stats.failed("throttled (429, 5xx) after retries" if throttled else "failed after retries")
                if self._failure_run >= MAX_CONSECUTIVE_FAILURES:
                    raise
                return None
        self._failure_run = 0
        self._denied_runs[folder] = 0
        self._folders_read.add(folder)
        self.stats.read += 1
        self.stats.bytes_read += len(answer.data)
        if item.size is not None and answer.total_size is not None and answer.total_size != item.size:
            self.stats.size_mismatch += 1
        if len(answer.data) > end + 1:
            self.stats.failed("the server sent more than the byte range asked for")
            return None
        return answer.data

    def _read_failed(self, exc: StoreError, folder: str) -> None:
        if exc.status in (401, 403):
            self.stats.denied += 1
            run = self._denied_runs[folder] = self._denied_runs.get(folder, 0) + 1
            if run >= MAX_CONSECUTIVE_DENIED and folder not in self._folders_read:
                self._refused_folders.add(folder)
            if self.stats.denied >= MAX_DENIED_WITHOUT_A_READ and self.stats.read == 0:
                self.stats.cut_short = "objects are not readable anonymously (listing only)"
        else:
            self.stats.failed(exc.summary)


async def chunked(
    objects: AsyncIterator[ObjectInfo] | Iterable[ObjectInfo], cap: int
) -> AsyncIterator[list[ObjectInfo]]:
    """The objects in reading order, READ_BATCH at most at a time and no more than READ_BATCH_BYTES of them by
    their listed sizes, each counted at most `cap` (the read cap); an object over the budget is read alone.
    The first chunks are smaller (FIRST_READ_BATCH, doubling), so extraction and analysis start sooner."""
    chunk: list[ObjectInfo] = []
    held = 0
    limit = min(FIRST_READ_BATCH, READ_BATCH)
    async for item in _aiter(objects):
        size = min(item.size if item.size is not None else cap, cap)
        if chunk and held + size > READ_BATCH_BYTES:
            yield chunk
            chunk, held = [], 0
        chunk.append(item)
        held += size
        if len(chunk) >= limit:
            yield chunk
            chunk, held = [], 0
            limit = min(2 * limit, READ_BATCH)
    if chunk:
        yield chunk


async def _aiter(objects: AsyncIterator[ObjectInfo] | Iterable[ObjectInfo]) -> AsyncIterator[ObjectInfo]:
    if isinstance(objects, AsyncIterator):
        async for item in objects:
            yield item
    else:
        for item in objects:
            yield item
