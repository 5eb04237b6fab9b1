"""The store's tables. Each row keeps its model as JSON in `data`, the source of truth when reading it
back (so round-trips are exact); the other columns exist to query and to constrain.

Changing anything here needs a new migration in migrations/versions/."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = sa.MetaData()


class UtcDateTime(TypeDecorator[datetime]):
    """A moment stored as naive UTC on every backend, so it sorts right; a naive input is taken as UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


scans = sa.Table(
    "scans",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(255), nullable=False),
    sa.Column("started", UtcDateTime, nullable=False),
    sa.Column("finished", UtcDateTime, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("command", sa.Text, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.UniqueConstraint("id", name="uq_scans_id"),
    sa.Index("ix_scans_started", "started"),
)

targets = sa.Table(
    "targets",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("scan_id", sa.String(255), nullable=False),
    sa.Column("probe", sa.String(64), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    # A digest of `target`: URLs can outgrow what a PostgreSQL index entry may hold.
    sa.Column("target_key", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("findings", sa.Integer, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.ForeignKeyConstraint(["scan_id"], ["scans.id"], name="fk_targets_scan", ondelete="CASCADE"),
    sa.UniqueConstraint("scan_id", "probe", "target_key", name="uq_targets_scan_probe_target"),
)

findings = sa.Table(
    "findings",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("scan_id", sa.String(255), nullable=False),
    sa.Column("finding_id", sa.String(64), nullable=False),
    sa.Column("probe", sa.String(64), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("affected_individuals", sa.BigInteger, nullable=True),
    sa.Column("data", sa.JSON, nullable=False),
    sa.ForeignKeyConstraint(["scan_id"], ["scans.id"], name="fk_findings_scan", ondelete="CASCADE"),
    sa.UniqueConstraint("scan_id", "finding_id", name="uq_findings_scan_finding"),
    sa.Index("ix_findings_scan_severity", "scan_id", "severity"),
)

evidence = sa.Table(
    "evidence",
    metadata,
    sa.Column("finding_pk", sa.Integer, primary_key=True),
    sa.Column("data", sa.JSON, nullable=False),
    sa.ForeignKeyConstraint(["finding_pk"], ["findings.pk"], name="fk_evidence_finding", ondelete="CASCADE"),
)
