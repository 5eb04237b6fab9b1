"""Which files a `files` target covers: a file, or a folder walked without following links out of it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from phileak.errors import InputError, LimitExceeded


def walk(root: Path, *, max_files: int) -> Iterator[Path]:
    """Regular files under `root` in a stable order; symbolic links are not followed; hidden folders are
    skipped. More than `max_files` files is a limit, not a silent truncation."""
    if root.is_file():
        yield root
        return
    if not root.is_dir():
        raise InputError(f"cannot read {root}: no such file or folder")
    seen = 0
    for folder, subfolders, files in os.walk(root, followlinks=False):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(files):
            path = Path(folder, name)
            if path.is_symlink() or not path.is_file():
                continue
            seen += 1
            if seen > max_files:
                raise LimitExceeded(f"more than {max_files} files under the target (raise --max-files)")
            yield path
