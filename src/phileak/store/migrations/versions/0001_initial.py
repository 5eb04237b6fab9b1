"""Initial schema: scans, targets (per-target outcomes), findings, evidence.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("started", sa.DateTime, nullable=False),
        sa.Column("finished", sa.DateTime, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.UniqueConstraint("id", name="uq_scans_id"),
    )
    op.create_index("ix_scans_started", "scans", ["started"])
    op.create_table(
        "targets",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scan_id", sa.String(255), nullable=False),
        sa.Column("probe", sa.String(64), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("target_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("findings", sa.Integer, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"], name="fk_targets_scan", ondelete="CASCADE"),
        sa.UniqueConstraint("scan_id", "probe", "target_key", name="uq_targets_scan_probe_target"),
    )
    op.create_table(
        "findings",
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
    )
    op.create_index("ix_findings_scan_severity", "findings", ["scan_id", "severity"])
    op.create_table(
        "evidence",
        sa.Column("finding_pk", sa.Integer, primary_key=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_pk"], ["findings.pk"], name="fk_evidence_finding", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("evidence")
    op.drop_index("ix_findings_scan_severity", table_name="findings")
    op.drop_table("findings")
    op.drop_table("targets")
    op.drop_index("ix_scans_started", table_name="scans")
    op.drop_table("scans")
