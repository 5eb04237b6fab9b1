"""The identity key: 32 random bytes kept beside the store, never inside it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from phileak.errors import InputError

KEY_BYTES = 32


def load_or_create_key(path: Path, *, store_exists: bool, store_label: str) -> bytes:
    """Reuse the key at `path`; make one only for a new store, never for an existing one."""
    if path.exists():
        return read_key(path)
    if store_exists:
        raise InputError(
            f"the store {store_label} exists but its identity key {path} is missing; restore that file "
            "(earlier scans' identity hashes depend on it) or use a new --db"
        )
    return create_key(path)


def read_key(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read the identity key {path}: {type(exc).__name__}") from None
    if len(key) != KEY_BYTES:
        raise InputError(f"the identity key {path} is damaged: expected {KEY_BYTES} bytes")
    return key


def create_key(path: Path) -> bytes:
    """Write a new key with mode 0600, atomically: the file appears complete or not at all."""
    key = secrets.token_bytes(KEY_BYTES)
    staging = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(key.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(staging, path)
        except FileExistsError:
            return read_key(path)  # another process made it first; everyone uses that one
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"cannot create the identity key {path}: {reason}") from None
    finally:
        staging.unlink(missing_ok=True)
    return key
