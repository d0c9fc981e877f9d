"""Re-labelling jobs (``models.state.ReanalyzeJob``): ``koubei reanalyze`` and the admin page
record each run's progress and the point it reached, so that an interrupted run resumes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "reanalyze_jobs" in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    op.create_table(
        "reanalyze_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=True),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("relabelled", sa.Integer(), nullable=False),
        sa.Column("written", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("reached_at", sa.DateTime(), nullable=True),
        sa.Column("reached_id", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"))


def downgrade() -> None:
    op.drop_table("reanalyze_jobs")
