"""Schema migrations: Alembic, configured in code, run to head whenever a store is opened.

A schema change is a new file in migrations/versions/ (shaped like migrations/script.py.mako) whose
`down_revision` is the current head, plus the matching change in schema.py."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from phileak.errors import InputError

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def is_phileak_store(engine: Engine) -> bool:
    """True once migrations have run here: a database without our version table is a new store."""
    return sa.inspect(engine).has_table(VERSION_TABLE)


def upgrade(engine: Engine, store_label: str) -> None:
    """Bring the schema to head; refuse a schema newer than this phileak knows."""
    script = ScriptDirectory.from_config(alembic_config())
    known = {revision.revision for revision in script.walk_revisions()}
    with engine.begin() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
        unknown = sorted(current - known)
        if unknown:
            raise InputError(
                f"the store {store_label} has schema revision {', '.join(unknown)}, which this phileak does "
                "not know: it was written by a newer phileak (upgrade phileak) or is not a phileak store"
            )
        if current != set(script.get_heads()):
            command.upgrade(alembic_config(connection), "head")
