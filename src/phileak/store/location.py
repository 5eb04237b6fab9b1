"""Where a store lives: its SQLAlchemy URL and the identity key kept beside it."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from phileak.errors import InputError

DEFAULT_DB = "phileak.db"
KEY_DIR_ENV = "PHILEAK_KEY_DIR"
DEFAULT_KEY_DIR = Path("~/.local/share/phileak/keys")
POSTGRES_DRIVER = "postgresql+psycopg"

_POSTGRES_SCHEMES = {"postgres", "postgresql", POSTGRES_DRIVER}
_SQLITE_SCHEMES = {"sqlite", "sqlite+pysqlite"}
_USAGE = "give a file path, sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"


@dataclass(frozen=True)
class Location:
    url: URL
    key_path: Path
    sqlite_path: Path | None = None

    @property
    def shown(self) -> str:
        """The URL with its password masked: the only form fit for messages and reprs."""
        return self.url.render_as_string(hide_password=True)

    @property
    def label(self) -> str:
        """How messages name the store: its file path, or the masked URL."""
        return str(self.sqlite_path) if self.sqlite_path is not None else self.shown

    def secrets(self) -> list[str]:
        """Every spelling of the password an error message might carry, to scrub it out."""
        password = self.url.password
        if not password:
            return []
        text = str(password)
        return sorted({text, quote(text, safe=""), unquote(text)}, key=len, reverse=True)


def locate(target: str | None) -> Location:
    """Turn a `--db` value (a path or a URL; None for ./phileak.db) into a Location."""
    text = DEFAULT_DB if target is None else target.strip()
    if not text:
        raise InputError(f"--db is empty; {_USAGE}")
    if "://" not in text:
        return _sqlite_location(Path(text))
    url = _parse_url(text)
    backend = url.drivername
    if backend in _SQLITE_SCHEMES:
        if not url.database or url.database == ":memory:":
            raise InputError("an in-memory SQLite database cannot keep findings; give a file path")
        return _sqlite_location(Path(url.database))
    if backend in _POSTGRES_SCHEMES:
        url = url.set(drivername=POSTGRES_DRIVER)
        return Location(url=url, key_path=_key_dir() / f"postgresql-{_postgres_identity(url)}.key")
    raise InputError(f"unsupported database URL scheme '{backend}'; {_USAGE}")


def _parse_url(text: str) -> URL:
    try:
        return make_url(text)
    except (ArgumentError, ValueError):
        # The parser's own message repeats the URL, password included.
        scheme = text.split("://", 1)[0]
        raise InputError(f"--db is not a valid database URL (scheme '{scheme[:40]}'); {_USAGE}") from None


def _sqlite_location(path: Path) -> Location:
    absolute = Path(os.path.abspath(path.expanduser()))
    url = URL.create("sqlite+pysqlite", database=str(absolute))
    return Location(url=url, key_path=absolute.with_name(absolute.name + ".key"), sqlite_path=absolute)


def _key_dir() -> Path:
    configured = os.environ.get(KEY_DIR_ENV)
    return (Path(configured) if configured else DEFAULT_KEY_DIR).expanduser()


def _postgres_identity(url: URL) -> str:
    """A hash naming one PostgreSQL database, blind to the password, the driver and connection options."""
    host = url.host or _query_value(url, "host") or "localhost"
    port = url.port or _query_value(url, "port") or "5432"
    canonical = f"postgresql://{url.username or ''}@{host}:{port}/{url.database or ''}"
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _query_value(url: URL, name: str) -> str | None:
    value = url.query.get(name)
    if isinstance(value, tuple):
        return value[0] if value else None
    return value
