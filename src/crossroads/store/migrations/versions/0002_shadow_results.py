"""shadow traffic results (routing): both answers of a mirrored request, for the lab

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shadow_results",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("endpoint", sa.String(length=32), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("primary", sa.JSON(), nullable=False),
        sa.Column("shadow", sa.JSON(), nullable=False),
        sa.Column("primary_backend", sa.String(length=200), nullable=False),
        sa.Column("shadow_backend", sa.String(length=200), nullable=False),
        sa.Column("shadow_upstream_model", sa.String(length=200), nullable=False),
        sa.Column("shadow_status", sa.Integer(), nullable=True),
        sa.Column("primary_latency_ms", sa.Float(), nullable=True),
        sa.Column("shadow_latency_ms", sa.Float(), nullable=True),
        sa.Column("primary_cost", sa.BigInteger(), nullable=True),
        sa.Column("shadow_cost", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("shadow_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shadow_results_request_id"), ["request_id"], unique=False)
        batch_op.create_index("ix_shadow_results_model_at", ["model", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shadow_results", schema=None) as batch_op:
        batch_op.drop_index("ix_shadow_results_model_at")
        batch_op.drop_index(batch_op.f("ix_shadow_results_request_id"))
    op.drop_table("shadow_results")
