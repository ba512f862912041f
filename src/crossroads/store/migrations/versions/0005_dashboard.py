"""dashboard: rollups of the ledger (usage, outcomes, latency histograms and privacy findings per hour and per
day, traffic per minute), audit verifications, and key roles (admin / viewer may sign in to the dashboard)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

The rollups are filled from the ledger already written (``crossroads.metering.rollup.rebuild``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

USAGE_DIMS = ("span", "bucket", "key_id", "model", "backend", "kind")
OUTCOME_DIMS = ("span", "bucket", "kind", "status", "error_type", "privacy_action", "local_only")


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("role", sa.String(length=16), nullable=True))
    op.create_table(
        "usage_rollup",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("span", sa.String(length=4), nullable=False),
        sa.Column("bucket", sa.DateTime(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("backend", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(*USAGE_DIMS, name="uq_usage_rollup_group"),
    )
    op.create_table(
        "outcome_rollup",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("span", sa.String(length=4), nullable=False),
        sa.Column("bucket", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("error_type", sa.String(length=64), nullable=False),
        sa.Column("privacy_action", sa.String(length=16), nullable=False),
        sa.Column("local_only", sa.Boolean(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.Column("fallbacks", sa.Integer(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(*OUTCOME_DIMS, name="uq_outcome_rollup_group"),
    )
    op.create_table(
        "traffic_minute",
        sa.Column("minute", sa.DateTime(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("minute"),
    )
    op.create_table(
        "latency_rollup",
        sa.Column("span", sa.String(length=4), nullable=False),
        sa.Column("bucket", sa.DateTime(), nullable=False),
        sa.Column("measure", sa.String(length=8), nullable=False),
        sa.Column("bin", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("span", "bucket", "measure", "bin"),
    )
    op.create_table(
        "privacy_rollup",
        sa.Column("span", sa.String(length=4), nullable=False),
        sa.Column("bucket", sa.DateTime(), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("found", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("span", "bucket", "entity_type", "action"),
    )
    op.create_table(
        "audit_checks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("ledger_rows", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_checks_at", "audit_checks", ["at"])
    op.create_index("ix_shadow_results_at", "shadow_results", ["at"])
    from crossroads.metering.rollup import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_shadow_results_at", table_name="shadow_results")
    op.drop_index("ix_audit_checks_at", table_name="audit_checks")
    for table in (
        "audit_checks",
        "privacy_rollup",
        "latency_rollup",
        "traffic_minute",
        "outcome_rollup",
        "usage_rollup",
    ):
        op.drop_table(table)
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("role")
