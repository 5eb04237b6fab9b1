"""The `files` probe: patient data in local files and their names, and how many distinct people it concerns."""

from __future__ import annotations

import asyncio
import functools
import os
import re
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from phileak.errors import PhileakError
from phileak.isolation import preload
from phileak.logsafe import safe_message
from phileak.model import DataCategory, Evidence, Finding, Severity
from phileak.phi.engine import Analysis, PhiEngine
from phileak.phi.extract import (
    ExtractedDocument,
    ExtractionError,
    ExtractLimits,
    extract_path,
    extract_path_isolated,
    sniff,
)
from phileak.phi.extract.batch import BatchExtractor, Extracted
from phileak.phi.extract.dispatch import read_head, read_in_part
from phileak.phi.identity import IdentityHasher
from phileak.phi.people import PeopleCounter
from phileak.phi.person_evidence import people_evidence
from phileak.phi.redact import redact_text
from phileak.phi.worker import analyse_each
from phileak.probes.base import ScanContext
from phileak.probes.files.walk import WalkStats, printable, walk
from phileak.targets import Target

MAX_FILES = 1_000_000
_MASKABLE = re.compile(r"[^\W_]")
COMMON_EXTENSIONS = frozenset(
    [
        ".pdf",
        ".doc",
        ".docx",
        ".docm",
        ".dot",
        ".dotx",
        ".rtf",
        ".odt",
        ".txt",
        ".text",
        ".log",
        ".md",
        ".csv",
        ".tsv",
        ".tab",
        ".json",
        ".jsonl",
        ".ndjson",
        ".xml",
        ".html",
        ".htm",
        ".xhtml",
        ".xls",
        ".xlsx",
        ".xlsm",
        ".xlsb",
        ".ods",
        ".ppt",
        ".pptx",
        ".odp",
        ".eml",
        ".msg",
        ".mbox",
        ".zip",
        ".gz",
        ".tgz",
        ".tar",
        ".bz2",
        ".xz",
        ".7z",
        ".rar",
        ".dcm",
        ".dicom",
        ".ima",
        ".img",
        ".nii",
        ".jpg",
        ".jpeg",
        ".png",
        ".gif",
        ".bmp",
        ".tif",
        ".tiff",
        ".heic",
        ".webp",
        ".svg",
        ".mp3",
        ".mp4",
        ".wav",
        ".mov",
        ".avi",
        ".bin",
        ".dat",
        ".db",
        ".sqlite",
        ".sql",
        ".bak",
        ".tmp",
        ".hl7",
        ".xps",
        ".pages",
        ".numbers",
        ".key",
        ".vcf",
        ".ics",
    ]
)
MAX_PEOPLE_LISTED = 1000  # keyed people per file finding; its count says how many there are in all
_SNIFF_BYTES = 8192
BATCH_FILES = 128  # files per isolated extraction child and per call to the engine's worker
BATCH_BYTES = 16 * 1024 * 1024  # a batch's bytes held at once; a larger file is read by its child itself
FIRST_BATCH_FILES = 16
TRIMMED_DETECTIONS = 2_000  # a file's analysis keeps no more detections than its excerpt and name need past this
BATCHES_IN_FLIGHT = 2  # one batch extracted while the one before is analysed

preload("phileak.phi.extract.batch", "phileak.phi.extract.pdf", "phileak.phi.extract.archives")

REMEDIATION = (
    "Move files holding patient data out of shared or exported locations, keep them only where access is "
    "controlled and logged, and delete copies that are not needed; rename files so their names carry no patient "
    "identifier."
)


def analyse_all(engine: PhiEngine, documents: list[ExtractedDocument]) -> list[Analysis]:
    """In the engine's worker: a batch of files, in one trip (a large table's analysis trimmed for the trip
    back: its counts as numbers, the detections its excerpt and name need)."""
    return [engine.analyse(document, trim=TRIMMED_DETECTIONS) for document in documents]


async def _analysed_all(hasher: IdentityHasher, documents: list[ExtractedDocument]) -> list[Analysis | str]:
    """Each document's analysis, or why there is none (one line)."""
    outcomes = await analyse_each(hasher, analyse_all, documents)
    return [safe_message(outcome) if isinstance(outcome, PhileakError) else outcome for outcome in outcomes]


@dataclass(frozen=True)
class _Read:
    """One file's outcome: its document and analysis, or why it could not be read (and its name's analysis)."""

    path: Path
    document: ExtractedDocument
    analysis: Analysis | None
    failure: str | None = None


@dataclass
class _Tally:
    scanned: int = 0
    with_phi: int = 0
    unreadable: int = 0
    read_in_part: int = 0
    without_text: int = 0
    worst: Severity = Severity.INFO
    categories: set[DataCategory] = field(default_factory=set)


class FilesProbe:
    name: ClassVar[str] = "files"

    async def scan(self, target: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
        root = Path(target.ref)
        limits = ExtractLimits(max_input_bytes=min(ctx.limits.max_bytes, ExtractLimits().max_input_bytes))
        reader = _BatchReader(root, limits, ctx.identity)
        counter = PeopleCounter()
        tally = _Tally()
        in_flight: deque[asyncio.Task[list[_Read]]] = deque()
        walked = WalkStats()
        batches = _batches(walk(root, max_files=int(ctx.options.get("max_files") or MAX_FILES), stats=walked))
        try:
            while True:
                batch = next(batches, None)
                if batch is not None:
                    in_flight.append(asyncio.create_task(reader.read(*batch)))
                if not in_flight:
                    break
                if batch is None or len(in_flight) >= BATCHES_IN_FLIGHT:  # in order, whichever finished first
                    for finding in _findings(await in_flight.popleft(), target, root, ctx, tally, counter):
                        yield finding
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)
        if tally.scanned or walked.unreadable_folders:
            yield _summary(target, tally, counter, walked)


def _batches(files: Iterator[tuple[Path, int]]) -> Iterator[tuple[list[Path], int]]:
    """Files in walk order, a batch at a time with its size: at most BATCH_FILES files and BATCH_BYTES bytes (a
    larger file is a batch of its own). The first batches are smaller (FIRST_BATCH_FILES, doubling): the engine
    waits for the first extraction, and that wait is shorter for a small batch."""
    batch: list[Path] = []
    size = 0
    limit = min(FIRST_BATCH_FILES, BATCH_FILES)
    for path, length in files:
        if batch and (len(batch) >= limit or size + length > BATCH_BYTES):
            yield batch, size
            batch, size = [], 0
            limit = min(2 * limit, BATCH_FILES)
        batch.append(path)
        size += length
    if batch:
        yield batch, size


class _BatchReader:
    """Reads, extracts and analyses one batch of files: extraction of the batch in one isolated child (a failed
    batch is retried one file per child), analysis in one call to the engine's worker."""

    def __init__(self, root: Path, limits: ExtractLimits, hasher: IdentityHasher) -> None:
        self._root = root
        self._limits = limits
        self._hasher = hasher
        self._extractor = BatchExtractor(limits)

    async def read(self, paths: list[Path], size: int) -> list[_Read]:
        names = [_relative(path, self._root) for path in paths]
        extracted: list[Extracted]
        if size > BATCH_BYTES:  # a large file (alone in its batch): the child reads it itself
            extracted = [await _extracted_alone(paths[0], self._limits)]
        else:
            datas = await asyncio.to_thread(_read_files, paths, names, self._limits)
            items = [(data[0], name) for data, name in zip(datas, names, strict=True) if isinstance(data, tuple)]
            done = iter(await self._extractor.extract(items))
            extracted = [data if isinstance(data, Extracted) else _cut(next(done), data[1]) for data in datas]
        documents = [
            replace(outcome.document, name=name) if outcome.document is not None
            else ExtractedDocument(segments=(), name=name)
            for outcome, name in zip(extracted, names, strict=True)
        ]  # fmt: skip
        analyses = await _analysed_all(self._hasher, documents)
        reads: list[_Read] = []
        for path, outcome, document, analysis in zip(paths, extracted, documents, analyses, strict=True):
            if outcome.document is None:
                reads.append(_Read(path, document, None if isinstance(analysis, str) else analysis,
                                   outcome.error or "unreadable"))  # fmt: skip
            elif isinstance(analysis, str):
                name_only = ExtractedDocument(segments=(), name=document.name)
                [named] = await _analysed_all(self._hasher, [name_only])
                reads.append(_Read(path, name_only, None if isinstance(named, str) else named, analysis))
            else:
                reads.append(_Read(path, document, analysis))
        return reads


def _read_files(paths: list[Path], names: list[str], limits: ExtractLimits) -> list[tuple[bytes, bool] | Extracted]:
    """Each file's bytes (at most max_input_bytes) and whether they were cut there, or why it was not read."""
    out: list[tuple[bytes, bool] | Extracted] = []
    for path, name in zip(paths, names, strict=True):
        try:
            out.append(read_head(path, limits))
        except ExtractionError as exc:
            out.append(Extracted.failed(exc, name))
    return out


def _cut(outcome: Extracted, cut: bool) -> Extracted:
    return replace(outcome, document=read_in_part(outcome.document, cut)) if outcome.document is not None else outcome


async def _extracted_alone(path: Path, limits: ExtractLimits) -> Extracted:
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
        if sniff(head, path.name).isolate:
            return Extracted(await extract_path_isolated(path, limits))
        return Extracted(await asyncio.to_thread(extract_path, path, limits))
    except (ExtractionError, PhileakError, OSError) as exc:
        return Extracted.failed(exc, str(path))


def _findings(
    reads: list[_Read], target: Target, root: Path, ctx: ScanContext, tally: _Tally, counter: PeopleCounter
) -> Iterator[Finding]:
    for read in reads:
        tally.scanned += 1
        if read.failure is not None:
            tally.unreadable += 1
            named = read.analysis if read.analysis is not None and read.analysis.categories else None
            if named is not None:  # its name alone says whose it is
                tally.with_phi += 1
                tally.categories |= named.categories
                counter.add(_file_key(read.path, root, ctx), named.people)
            yield _unreadable(read.path, root, read.document, read.analysis, read.failure, ctx)
            continue
        analysis = read.analysis
        tally.read_in_part += 1 if read.document.read_in_part else 0
        if read.document.no_text_layer:
            tally.without_text += 1
            yield _without_text(read.path, root, read.document, analysis, ctx)
        if analysis is None or not analysis.categories:
            continue
        tally.with_phi += 1
        tally.categories |= analysis.categories
        severity = analysis.severity()
        if severity.rank > tally.worst.rank:
            tally.worst = severity
        key = _file_key(read.path, root, ctx)
        counter.add(key, analysis.people)
        yield _file_finding(target, read.path, root, read.document, analysis, key)


def _file_key(path: Path, root: Path, ctx: ScanContext) -> str:
    """The file's keyed hash, by its real path (walks follow no links: only the target itself can be one)."""
    resolved = path.resolve() if path == root else _resolved_folder(path.parent) / path.name
    return ctx.identity.hash("url", printable(str(resolved)))


@functools.lru_cache(maxsize=4096)
def _resolved_folder(folder: Path) -> Path:
    return folder.resolve()


def _relative(path: Path, root: Path) -> str:
    """What the engine reads as the file's name: its path under the target folder (folder names too: exports
    are often filed under "SMITH_JOHN_19600101/"), or its own name when the target is the file."""
    return printable(path.name if path == root else str(path.relative_to(root)))


def _shown_path(path: Path, root: Path, document: ExtractedDocument, analysis: Analysis | None) -> tuple[str, str]:
    """The file's path as reports may show it, and as a title names it (under the target folder): any
    identifier detected in its name or folders is redacted (every letter and digit of it, but the extension,
    when the name could not be analysed)."""
    relative = document.name if document.name is not None else _relative(path, root)
    if analysis is None:
        stem, dot, extension = relative.rpartition(".")
        masked = _MASKABLE.sub("*", stem if dot else relative)
        relative = f"{masked}.{extension}" if dot else masked
    else:
        if document.name is not None:
            found = {document.name[d.start : d.end]: d.category.value for d in analysis.detections if d.segment == -1}
            relative = redact_text(relative, found) if found else relative
        relative = _masked_name_runs(relative)
    if path == root:
        shown = os.path.join(printable(str(path.parent)), relative)
        return shown, shown
    return os.path.join(printable(str(root)), relative), relative


def _file_finding(
    target: Target, path: Path, root: Path, document: ExtractedDocument, analysis: Analysis, key: str
) -> Finding:
    shown, relative = _shown_path(path, root, document, analysis)
    people = people_evidence(analysis.people, limit=MAX_PEOPLE_LISTED)
    in_name = sorted({d.category.value for d in analysis.detections if d.segment == -1})
    kind = "phi-in-file" if analysis.is_phi else "pii-in-file"
    if analysis.is_phi:
        what = "Patient data"
    else:
        what = "Personal identifiers" if analysis.identifiers else "Health information, with no identifier found,"
    in_part = f" (read in part: {document.read_in_part})" if document.read_in_part else ""
    return Finding.create(
        probe="files",
        target=shown,
        kind=kind,
        key=key,
        severity=analysis.severity(),
        title=f"{what} in {relative}" + (" (also in its file name)" if in_name else "") + in_part,
        data_categories=sorted(analysis.categories, key=lambda c: c.value),
        affected_individuals=len({person.key for person in analysis.people}),
        evidence=Evidence(
            excerpt=analysis.excerpt(document),
            **people,
            counts={category.value: count for category, count in sorted(analysis.counts().items())},
            identifiers=sorted(c.value for c in analysis.identifiers),
            health_context=sorted(c.value for c in analysis.health),
            in_file_name=in_name,
            format=document.source,
            skipped_parts=len(document.skipped),
            **({"read_in_part": document.read_in_part} if document.read_in_part else {}),
        ),
        remediation=REMEDIATION,
    )


def _unreadable(
    path: Path,
    root: Path,
    document: ExtractedDocument,
    analysis: Analysis | None,
    reason: str,
    ctx: ScanContext,
) -> Finding:
    in_name = sorted(analysis.categories, key=lambda c: c.value) if analysis is not None else []
    named = " (its name holds personal data)" if in_name else ""
    return Finding.create(
        probe="files",
        target=_shown_path(path, root, document, analysis)[0],
        kind="file-unreadable",
        key=_file_key(path, root, ctx),
        severity=Severity.INFO,
        title=f"A file could not be read{named}; it was skipped and the scan went on",
        data_categories=in_name,
        affected_individuals=len({person.key for person in analysis.people}) if in_name and analysis else None,
        evidence=Evidence(reason=reason, extension=_extension(path)),
        remediation="Check this file by hand: phileak could not read it within its limits.",
    )


_NAME_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")  # Okafor, O'Neil, Mary-Kate, Élodie
_BETWEEN_NAME_WORDS = re.compile(r"[ _,.]+")


def _masked_name_runs(relative: str) -> str:
    """Names no detector expects ("Priya Okafor.txt", a folder per patient "OKAFOR_PRIYA/"): every run of two
    or more capitalised words, in the folders and the file's name, reduced to its shape ("P**** O****")."""
    stem, dot, extension = relative.rpartition(".")
    if not dot or f".{extension.lower()}" not in COMMON_EXTENSIONS:
        stem, dot, extension = relative, "", ""
    runs: list[list[re.Match[str]]] = []
    for word in _NAME_WORD.finditer(stem):
        if not word[0][0].isupper():
            runs.append([])
            continue
        run = runs[-1] if runs else None
        if run and _BETWEEN_NAME_WORDS.fullmatch(stem, run[-1].end(), word.start()):
            run.append(word)
        else:
            runs.append([word])
    masked = list(stem)
    for word in reversed([word for run in runs if len(run) >= 2 for word in run]):  # from the end: offsets hold
        masked[word.start() + 1 : word.end()] = ["*"] * min(word.end() - word.start() - 1, 4)
    return "".join(masked) + dot + extension


def _without_text(
    path: Path, root: Path, document: ExtractedDocument, analysis: Analysis | None, ctx: ScanContext
) -> Finding:
    """A PDF of scanned pages: phileak reads text, not images, so "no patient data" would be unfounded."""
    return Finding.create(
        probe="files",
        target=_shown_path(path, root, document, analysis)[0],
        kind="file-no-text",
        key=_file_key(path, root, ctx),
        severity=Severity.INFO,
        title="A PDF has no text layer (scanned pages?): its content was not read",
        evidence=Evidence(reason="no page has a text layer; phileak does not read images (no OCR)"),
        remediation="Check this file by hand, or run it through OCR and scan the result: scanned lab reports "
        "and letters hold the same patient data as typed ones.",
    )


def _extension(path: Path) -> str | None:
    """The file's extension when it is a common one; anything else after a dot may be part of a name or date."""
    suffix = path.suffix.lower()
    return suffix if suffix in COMMON_EXTENSIONS else None


def _summary(target: Target, tally: _Tally, counter: PeopleCounter, walked: WalkStats) -> Finding:
    distinct = counter.distinct()
    severity = tally.worst if tally.with_phi else Severity.INFO
    root = Path(target.ref)
    return Finding.create(
        probe="files",
        target=os.path.join(printable(str(root.parent)), _masked_name_runs(printable(root.name))),
        kind="files-people-summary",
        severity=severity,
        title=(
            f"{tally.with_phi} of {tally.scanned} files hold personal or patient data, about {distinct} distinct people"
            + (f" ({tally.read_in_part} files read only in part: more are likely)" if tally.read_in_part else "")
            + (f"; {tally.without_text} PDF{'s' if tally.without_text > 1 else ''} without a text layer (not read)"
               if tally.without_text else "")
            + (f"; {walked.unreadable_folders} folders could not be read" if walked.unreadable_folders else "")
        ),
        data_categories=sorted(tally.categories, key=lambda c: c.value),
        affected_individuals=distinct,
        evidence=Evidence(
            files_scanned=tally.scanned,
            files_with_data=tally.with_phi,
            files_unreadable=tally.unreadable,
            folders_unreadable=walked.unreadable_folders,
            files_read_in_part=tally.read_in_part,
            files_without_text=tally.without_text,
            files_per_person=round(counter.files_per_person(), 2) if distinct else None,
        ),
        remediation=REMEDIATION,
    )
