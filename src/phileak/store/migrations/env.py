"""Alembic environment. phileak runs migrations itself (phileak.store.migrate) on an open connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from phileak.store.schema import metadata


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if not isinstance(_connection, Connection):
    raise RuntimeError("phileak's migrations run from phileak.store.migrate.upgrade(), with a connection")
run_migrations(_connection)
