"""Engines for the two supported backends, and the one-line errors when a --db cannot be opened."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from phileak.errors import InputError
from phileak.store.location import Location

CONNECT_TIMEOUT_S = 10
SQLITE_BUSY_TIMEOUT_MS = 30_000


def open_engine(location: Location) -> Engine:
    """An engine whose first connection has already succeeded; InputError (one line) if it cannot."""
    if location.sqlite_path is not None:
        _prepare_sqlite_file(location)
        engine = sa.create_engine(location.url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(
            location.url, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}, pool_pre_ping=True
        )
    try:
        with engine.connect() as connection:
            connection.execute(sa.select(1))
    except SQLAlchemyError as exc:
        engine.dispose()
        raise cannot_open(location, exc) from None
    return engine


def cannot_open(location: Location, exc: BaseException) -> InputError:
    return InputError(f"cannot open the database {location.label}: {describe(location, exc)}")


def describe(location: Location, exc: BaseException) -> str:
    """The driver's reason on one line, with any spelling of the password removed."""
    cause = getattr(exc, "orig", None) or exc
    text = " ".join(str(cause).split()) or type(cause).__name__
    for secret in location.secrets():
        text = text.replace(secret, "***")
    return text[:300]


def _prepare_sqlite_file(location: Location) -> None:
    path = location.sqlite_path
    assert path is not None
    if not path.parent.is_dir():
        raise InputError(f"cannot open the database {path}: directory {path.parent} does not exist")
    if path.is_dir():
        raise InputError(f"cannot open the database {path}: it is a directory")
    if not path.exists():
        # Findings say where an organisation leaks; a new store is readable by its owner only.
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise InputError(f"cannot create the database {path}: {reason}") from None


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # WAL with synchronous=NORMAL keeps every committed finding through a crash of phileak itself.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()
