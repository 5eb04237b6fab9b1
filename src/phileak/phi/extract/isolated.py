"""extract() in a child process phileak can kill, for hostile input.

pdfium (C++), pydicom, Pillow, lxml-backed python-docx and openpyxl parse whatever bytes they are given; a
crafted file can crash them, loop, or allocate far beyond what the cooperative limits see (a single call into a
C parser cannot be interrupted). Use extract_isolated (or extract_path_isolated) for anything from outside
phileak's control -- bucket objects, downloads, files on a scanned share -- when sniff(...).isolate is true;
plain extract() is fine for the pure-Python formats (CSV, JSON, HTML, XML, text) and for phileak's own files.
The child runs under phileak.isolation.run_isolated: RLIMIT_AS of max_memory_mb, killed at max_seconds (plus
process start-up), result size capped. Each call starts a process (tens of milliseconds with the forkserver)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from phileak.errors import LimitExceeded, PhileakError
from phileak.isolation import run_isolated
from phileak.phi.extract.context import ExtractedDocument
from phileak.phi.extract.dispatch import extract, read_head, read_in_part
from phileak.phi.extract.errors import ExtractionError, ExtractionLimitExceeded
from phileak.phi.extract.limits import DEFAULT_LIMITS, ExtractLimits
from phileak.probes.base import Limits

_STARTUP_ALLOWANCE_S = 15.0
_PICKLE_BYTES_PER_CHAR = 4
_PICKLE_BYTES_PER_SEGMENT = 256
_PICKLE_SLACK = 1024 * 1024

# ("limit", field, detail) or ("error", "", message): the exact error class survives the process boundary.
_Failure = tuple[str, str, str]


def _extract_in_child(data: bytes, name: str | None, limits: ExtractLimits) -> ExtractedDocument | _Failure:
    try:
        return extract(data, name=name, limits=limits)
    except ExtractionLimitExceeded as exc:
        return ("limit", exc.limit, exc.detail)
    except ExtractionError as exc:
        return ("error", "", str(exc))


def _extract_path_in_child(path: str, limits: ExtractLimits) -> ExtractedDocument | _Failure:
    try:
        data, cut = read_head(path, limits)
    except ExtractionLimitExceeded as exc:
        return ("limit", exc.limit, exc.detail)
    except ExtractionError as exc:
        return ("error", "", str(exc))
    outcome = _extract_in_child(data, path, limits)
    return read_in_part(outcome, cut) if isinstance(outcome, ExtractedDocument) else outcome


def isolation_limits(limits: ExtractLimits) -> Limits:
    """The child's process limits for these extraction limits."""
    result_cap = (
        limits.max_output_chars * _PICKLE_BYTES_PER_CHAR
        + limits.max_segments * _PICKLE_BYTES_PER_SEGMENT
        + _PICKLE_SLACK
    )
    return Limits(
        timeout_s=limits.max_seconds + _STARTUP_ALLOWANCE_S,
        max_bytes=result_cap,
        max_memory_mb=limits.max_memory_mb,
        retries=0,
    )


async def extract_isolated(
    data: bytes, name: str | None = None, limits: ExtractLimits = DEFAULT_LIMITS
) -> ExtractedDocument:
    """extract() in a killable child process; the same result and the same error classes, plus
    ExtractionLimitExceeded for the memory and wall-clock limits and ExtractionError if the parser crashed."""
    return _unwrap(await _run(_extract_in_child, data, name, limits, limits=limits))


async def extract_path_isolated(path: str | Path, limits: ExtractLimits = DEFAULT_LIMITS) -> ExtractedDocument:
    """extract_path() in a killable child process: the child reads the file, so its bytes are not piped over."""
    return _unwrap(await _run(_extract_path_in_child, str(path), limits, limits=limits))


async def _run(
    fn: Callable[..., ExtractedDocument | _Failure], *args: Any, limits: ExtractLimits
) -> ExtractedDocument | _Failure:
    try:
        outcome = await run_isolated(fn, *args, limits=isolation_limits(limits))
    except LimitExceeded as exc:
        raise ExtractionLimitExceeded(_isolation_limit_name(str(exc)), str(exc)) from None
    except PhileakError as exc:
        raise ExtractionError(f"the parser failed: {exc}") from None
    return outcome


def _isolation_limit_name(message: str) -> str:
    if "wall-clock" in message:
        return "max_seconds"
    if "memory" in message:
        return "max_memory_mb"
    return "max_output_chars"


def _unwrap(outcome: ExtractedDocument | _Failure) -> ExtractedDocument:
    if isinstance(outcome, ExtractedDocument):
        return outcome
    kind, limit, message = outcome
    if kind == "limit":
        raise ExtractionLimitExceeded(limit, message)
    raise ExtractionError(message)
