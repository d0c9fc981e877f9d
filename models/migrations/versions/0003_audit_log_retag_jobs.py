"""The audit log (who changed which rule, entity, channel or user) and entity re-tagging jobs.

Both tables arrived before this migration did (made by ``create_all`` on databases of that
version), so each is created only when missing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if "audit_log" not in present:
        op.create_table(
            "audit_log",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("at", sa.DateTime(), nullable=False),
            sa.Column("actor", sa.String(length=64), nullable=False),
            sa.Column("kind", sa.String(length=16), nullable=False),
            sa.Column("target", sa.String(length=128), nullable=False),
            sa.Column("action", sa.String(length=32), nullable=False),
            sa.Column("detail", sa.JSON(), nullable=False),
            sa.PrimaryKeyConstraint("id"))
        op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
        op.create_index(op.f("ix_audit_log_kind"), "audit_log", ["kind"], unique=False)
    if "retag_jobs" not in present:
        op.create_table(
            "retag_jobs",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("entity", sa.String(length=64), nullable=False),
            sa.Column("actor", sa.String(length=64), nullable=False),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("total", sa.Integer(), nullable=False),
            sa.Column("done", sa.Integer(), nullable=False),
            sa.Column("added", sa.Integer(), nullable=False),
            sa.Column("removed", sa.Integer(), nullable=False),
            sa.Column("started_at", sa.DateTime(), nullable=False),
            sa.Column("finished_at", sa.DateTime(), nullable=True),
            sa.Column("error", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("id"))


def downgrade() -> None:
    op.drop_table("retag_jobs")
    op.drop_table("audit_log")
