"""The `files` probe: patient data in local files and their names, and how many distinct people it concerns."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from phileak.errors import PhileakError
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
from phileak.phi.identity import IdentityHasher
from phileak.phi.people import PeopleCounter
from phileak.phi.person_evidence import people_evidence
from phileak.phi.redact import redact_text
from phileak.phi.worker import RESULT_BYTES, call_timeout, engine_worker
from phileak.probes.base import ScanContext
from phileak.probes.files.walk import walk
from phileak.targets import Target

MAX_FILES = 1_000_000
_MASKABLE = re.compile(r"[^\W_]")
MAX_PEOPLE_LISTED = 1000  # keyed people per file finding; its count says how many there are in all
_SNIFF_BYTES = 8192

REMEDIATION = (
    "Move files holding patient data out of shared or exported locations, keep them only where access is "
    "controlled and logged, and delete copies that are not needed; rename files so their names carry no patient "
    "identifier."
)


def analyse(engine: PhiEngine, document: ExtractedDocument) -> Analysis:
    """In the engine's worker (phileak.phi.worker): one file's analysis."""
    return engine.analyse(document)


async def _analysed(hasher: IdentityHasher, document: ExtractedDocument) -> Analysis:
    """The engine's analysis of one file, under phileak's limits (a PhileakError when it did not finish)."""
    size = sum(len(segment.text) for segment in document.segments) + len(document.name or "")
    result: Analysis = await engine_worker(hasher).call(
        analyse, document, timeout_s=call_timeout(size), max_bytes=RESULT_BYTES
    )
    return result


@dataclass
class _Tally:
    scanned: int = 0
    with_phi: int = 0
    unreadable: int = 0
    worst: Severity = Severity.INFO
    categories: set[DataCategory] = field(default_factory=set)


class FilesProbe:
    name: ClassVar[str] = "files"

    async def scan(self, target: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
        root = Path(target.ref)
        limits = ExtractLimits(max_input_bytes=min(ctx.limits.max_bytes, ExtractLimits().max_input_bytes))
        counter = PeopleCounter()
        tally = _Tally()
        for path in walk(root, max_files=int(ctx.options.get("max_files") or MAX_FILES)):
            tally.scanned += 1
            try:
                document = replace(await _extract(path, limits), name=_relative(path, root))
                analysis = await _analysed(ctx.identity, document)
            except (ExtractionError, PhileakError, OSError) as exc:
                tally.unreadable += 1
                name_only = ExtractedDocument(segments=(), name=_relative(path, root))
                try:
                    name_analysis: Analysis | None = await _analysed(ctx.identity, name_only)
                except PhileakError:
                    name_analysis = None
                yield _unreadable(path, root, name_only, name_analysis, exc, ctx)
                continue
            if not analysis.categories:
                continue
            tally.with_phi += 1
            tally.categories |= analysis.categories
            severity = analysis.severity()
            if severity.rank > tally.worst.rank:
                tally.worst = severity
            counter.add(_file_key(path, ctx), analysis.people)
            yield _file_finding(target, path, root, document, analysis, ctx)
        if tally.scanned:
            yield _summary(target, tally, counter)


async def _extract(path: Path, limits: ExtractLimits) -> ExtractedDocument:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if sniff(head, path.name).isolate:
        return await extract_path_isolated(path, limits)
    return await asyncio.to_thread(extract_path, path, limits)


def _file_key(path: Path, ctx: ScanContext) -> str:
    return ctx.identity.hash("url", str(path.resolve()))


def _relative(path: Path, root: Path) -> str:
    """What the engine reads as the file's name: its path under the target folder (folder names too: exports
    are often filed under "SMITH_JOHN_19600101/"), or its own name when the target is the file."""
    return path.name if path == root else str(path.relative_to(root))


def _shown_path(path: Path, root: Path, document: ExtractedDocument, analysis: Analysis | None) -> str:
    """The file's path as reports may show it: any identifier detected in its name or folders is redacted
    (every letter and digit of it, but the extension, when the name could not be analysed)."""
    relative = _relative(path, root)
    if analysis is None:
        stem, dot, extension = relative.rpartition(".")
        masked = _MASKABLE.sub("*", stem if dot else relative)
        relative = f"{masked}.{extension}" if dot else masked
    elif document.name is not None:
        values = {document.name[d.start : d.end]: d.category.value for d in analysis.detections if d.segment == -1}
        relative = redact_text(relative, values) if values else relative
    return str(path.parent / relative) if path == root else str(root / relative)


def _file_finding(
    target: Target, path: Path, root: Path, document: ExtractedDocument, analysis: Analysis, ctx: ScanContext
) -> Finding:
    shown = _shown_path(path, root, document, analysis)
    relative = shown if path == root else str(Path(shown).relative_to(root))
    people = people_evidence(analysis.people, limit=MAX_PEOPLE_LISTED)
    in_name = sorted({d.category.value for d in analysis.detections if d.segment == -1})
    kind = "phi-in-file" if analysis.is_phi else "pii-in-file"
    what = "Patient data" if analysis.is_phi else "Personal identifiers"
    return Finding.create(
        probe="files",
        target=shown,
        kind=kind,
        key=_file_key(path, ctx),
        severity=analysis.severity(),
        title=f"{what} in {relative}" + (" (also in its file name)" if in_name else ""),
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
        ),
        remediation=REMEDIATION,
    )


def _unreadable(
    path: Path,
    root: Path,
    document: ExtractedDocument,
    analysis: Analysis | None,
    exc: BaseException,
    ctx: ScanContext,
) -> Finding:
    return Finding.create(
        probe="files",
        target=_shown_path(path, root, document, analysis),
        kind="file-unreadable",
        key=_file_key(path, ctx),
        severity=Severity.INFO,
        title="A file could not be read; it was skipped and the scan went on",
        evidence=Evidence(reason=safe_message(exc), extension=path.suffix.lower()),
        remediation="Check this file by hand: phileak could not read it within its limits.",
    )


def _summary(target: Target, tally: _Tally, counter: PeopleCounter) -> Finding:
    distinct = counter.distinct()
    severity = tally.worst if tally.with_phi else Severity.INFO
    return Finding.create(
        probe="files",
        target=target.ref,
        kind="files-people-summary",
        severity=severity,
        title=(
            f"{tally.with_phi} of {tally.scanned} files hold personal or patient data, about {distinct} distinct people"
        ),
        data_categories=sorted(tally.categories, key=lambda c: c.value),
        affected_individuals=distinct,
        evidence=Evidence(
            files_scanned=tally.scanned,
            files_with_data=tally.with_phi,
            files_unreadable=tally.unreadable,
            files_per_person=round(counter.files_per_person(), 2) if distinct else None,
        ),
        remediation=REMEDIATION,
    )
