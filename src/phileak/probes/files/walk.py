"""Which files a `files` target covers: a file, or a folder walked without following links out of it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from phileak.errors import InputError, LimitExceeded


@dataclass
class WalkStats:
    """What a walk could not look into: folders it could not list (their files are not scanned)."""

    unreadable_folders: int = 0


def walk(root: Path, *, max_files: int, stats: WalkStats | None = None) -> Iterator[tuple[Path, int]]:
    """Regular files under `root` in a stable order (a folder's files by name, then its subfolders by name),
    each with its size; symbolic links are not followed; hidden folders are skipped. More than `max_files`
    files is a limit, not a silent truncation; a folder that cannot be listed is counted in `stats`."""
    if root.is_file():
        yield root, _size(root)
        return
    if not root.is_dir():
        what = "not a regular file or folder" if root.exists() else "no such file or folder"
        raise InputError(f"cannot read {printable(str(root))}: {what}")
    for seen, entry in enumerate(_files_under(str(root), stats or WalkStats()), start=1):
        if seen > max_files:
            raise LimitExceeded(f"more than {max_files} files under the target (raise --max-files)")
        yield Path(entry.path), _entry_size(entry)


def _files_under(root: str, stats: WalkStats) -> Iterator[os.DirEntry[str]]:
    """Regular files, depth first. A directory read gives each entry's type, so links, sockets and devices
    are told apart without a call per file; a folder that cannot be read is counted and skipped."""
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            stats.unreadable_folders += 1
            continue
        subfolders: list[str] = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith("."):
                        subfolders.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    yield entry
            except OSError:
                continue
        folders.extend(reversed(subfolders))


def printable(text: str) -> str:
    """A path as text that can be written anywhere: bytes of a name that are not UTF-8 (a Latin-1 "Dupr\\xe9"),
    which Python keeps as lone surrogates, shown as \\x escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _entry_size(entry: os.DirEntry[str]) -> int:
    try:
        return entry.stat(follow_symlinks=False).st_size
    except OSError:
        return 0


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
