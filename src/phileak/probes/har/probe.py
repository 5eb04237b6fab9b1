"""The `har` probe: `phileak scan har FILE...` (HAR files, mitmproxy dumps) with `--canary-file`.

Options (ctx.options, or a plan target's own): `canary_file` (path), `first_party` (host or list of hosts; by
default the most visited page's site, or for app captures the busiest host the tracker catalogue does not
know). Each file is read and analysed in a child process under phileak's limits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Final

from phileak.errors import InputError, LimitExceeded
from phileak.isolation import run_isolated
from phileak.model import Finding
from phileak.probes.base import Limits, ScanContext
from phileak.probes.har.analysis import CaptureJob, analyse_capture_file
from phileak.probes.har.canary_file import load_canary_file
from phileak.probes.web.capture_model import MAX_BODY_BYTES
from phileak.targets import Target

MAX_CAPTURE_BYTES: Final = 256 * 1024 * 1024
RESULT_BYTES: Final = 64 * 1024 * 1024
_CHILD_SHARE: Final = 0.9  # the child ends first, so the runner records its error rather than a timeout


class HarProbe:
    name: ClassVar[str] = "har"

    async def scan(self, target: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
        options: Mapping[str, Any] = {**ctx.options, **target.options}
        canary_path = options.get("canary_file")
        canary = load_canary_file(Path(canary_path)) if canary_path else None
        cap = min(ctx.limits.max_bytes, MAX_CAPTURE_BYTES)
        path = Path(target.ref)
        _check_file(path, cap)
        job = CaptureJob(
            path=str(path),
            target=target.ref,
            canary=canary,
            first_party=_hosts(options.get("first_party")),
            body_cap=MAX_BODY_BYTES,
            max_file_bytes=cap,
        )
        limits = Limits(
            timeout_s=ctx.limits.timeout_s * _CHILD_SHARE,
            max_bytes=RESULT_BYTES,
            max_memory_mb=ctx.limits.max_memory_mb,
            retries=0,
        )
        for finding in await run_isolated(analyse_capture_file, job, ctx.identity, limits=limits):
            yield finding


def _check_file(path: Path, cap: int) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"no such capture file: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {type(exc).__name__}") from None
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a capture file")
    if size > cap:
        raise LimitExceeded(f"{path} is {size} bytes, over phileak's limit of {cap} bytes for a capture file")


def _hosts(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    hosts = []
    for item in items:
        text = str(item).strip()
        if "://" in text:
            text = text.split("://", 1)[1]
        hosts.append(text.split("/", 1)[0].split(":", 1)[0].lower())
    return tuple(h for h in hosts if h)
