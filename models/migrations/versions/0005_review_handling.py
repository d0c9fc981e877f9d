"""Per-review handling (``models.state.ReviewHandling``, ``ReviewEvent``): a review assigned to a
handler and marked handled with an outcome and a note, and its timeline.

Databases of the version that introduced them before this migration existed made the tables with
``create_all``, so each is created only when missing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if "review_handling" not in present:
        op.create_table(
            "review_handling",
            sa.Column("review_id", sa.String(length=64), nullable=False),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("assignee", sa.String(length=64), nullable=True),
            sa.Column("entities", sa.JSON(), nullable=False),
            sa.Column("arrived_at", sa.DateTime(), nullable=False),
            sa.Column("handled_at", sa.DateTime(), nullable=True),
            sa.Column("handled_by", sa.String(length=64), nullable=True),
            sa.Column("outcome", sa.String(length=16), nullable=True),
            sa.Column("note", sa.Text(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False),
            sa.PrimaryKeyConstraint("review_id"))
        op.create_index(op.f("ix_review_handling_status"), "review_handling", ["status"],
                        unique=False)
        op.create_index(op.f("ix_review_handling_assignee"), "review_handling", ["assignee"],
                        unique=False)
        op.create_index(op.f("ix_review_handling_handled_at"), "review_handling",
                        ["handled_at"], unique=False)
    if "review_events" not in present:
        op.create_table(
            "review_events",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("review_id", sa.String(length=64), nullable=False),
            sa.Column("at", sa.DateTime(), nullable=False),
            sa.Column("kind", sa.String(length=32), nullable=False),
            sa.Column("actor", sa.String(length=64), nullable=False),
            sa.Column("detail", sa.JSON(), nullable=False),
            sa.ForeignKeyConstraint(["review_id"], ["review_handling.review_id"]),
            sa.PrimaryKeyConstraint("id"))
        op.create_index(op.f("ix_review_events_review_id"), "review_events", ["review_id"],
                        unique=False)


def downgrade() -> None:
    op.drop_table("review_events")
    op.drop_table("review_handling")
