"""Compiled hyperscan databases kept on disk: compiling the engine's patterns takes seconds, loading them back
milliseconds. The cache holds compiled regexes only, never anything read from a target.

A database is stored under a key hashing everything its compilation depends on (the expressions, their flags,
the hyperscan binding's version and the machine), with how the matcher planned each expression. Hyperscan
refuses a database built by another version or for another CPU (a trial scan tells); any entry that does not
load, or that another user could have written, is compiled again and replaced. $PHILEAK_CACHE_DIR chooses
the folder (empty: no cache); the default is $XDG_CACHE_HOME/phileak or ~/.cache/phileak."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

log = logging.getLogger(__name__)

CACHE_ENV: Final = "PHILEAK_CACHE_DIR"
KEEP: Final = 8  # databases kept; the least recently used go first
MIN_COMPILE_SECONDS = 0.25  # a database compiled faster is not worth its room on disk
_SUFFIX: Final = ".hsdb"


@dataclass(frozen=True)
class Plan:
    """How the matcher compiled its expressions: which it tracks without start of match, which Python scans."""

    without_som: tuple[int, ...]
    fallback: tuple[int, ...]


def cache_dir() -> Path | None:
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return Path(configured) / "hyperscan" if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "phileak" / "hyperscan"


def cache_key(hs: Any, described: object) -> str:
    """The key of a database compiled from `described` (a JSON-able description of every expression)."""
    identity = [getattr(hs, "__version__", "?"), platform.machine(), platform.system(), described]
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:40]


def load(hs: Any, key: str) -> tuple[Any, Plan] | None:
    """The cached database and its plan, or None (missing, unreadable, or refused by hyperscan)."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / f"{key}{_SUFFIX}"
    try:
        if not _private(path):
            log.info("compiled pattern cache entry not owned by this user or writable by others; compiling")
            return None
        with path.open("rb") as handle:
            header = json.loads(handle.readline())
            body = handle.read()
        plan = Plan(tuple(int(i) for i in header["without_som"]), tuple(int(i) for i in header["fallback"]))
        if header.get("key") != key or len(body) != int(header["size"]):
            raise ValueError("entry does not match its key")
        database = hs.loadb(body, mode=hs.HS_MODE_BLOCK)
        # A database built on another CPU (a home folder shared between machines) loads but will not run.
        database.scan(b"phileak", match_event_handler=_ignore, scratch=hs.Scratch(database))
        os.utime(path)  # recently used: the last to be evicted
    except FileNotFoundError:
        return None
    except Exception as exc:  # a damaged or foreign entry: compile again
        log.info("compiled pattern cache entry not usable (%s); compiling", type(exc).__name__)
        return None
    return database, plan


def _ignore(*_: object) -> None:
    return None


def _private(path: Path) -> bool:
    """Whether only this user could have written `path` (hyperscan trusts the bytes it loads)."""
    for checked in (path, path.parent):
        status = checked.stat()
        if status.st_uid != os.getuid() or status.st_mode & 0o022:
            return False
    return True


def store(hs: Any, key: str, database: Any, plan: Plan) -> None:
    """Write the database atomically (a reader sees the old entry or the new one, never half of one)."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        body = hs.dumpb(database)
        header = {"key": key, "size": len(body), "without_som": list(plan.without_som), "fallback": list(plan.fallback)}
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(json.dumps(header).encode() + b"\n" + body)
            os.replace(temporary, folder / f"{key}{_SUFFIX}")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _evict(folder)
    except Exception as exc:  # a read-only home or a full disk costs the next start a compile, nothing more
        log.info("compiled patterns not cached (%s)", type(exc).__name__)


def _evict(folder: Path) -> None:
    entries = sorted(folder.glob(f"*{_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[KEEP:]:
        stale.unlink(missing_ok=True)
