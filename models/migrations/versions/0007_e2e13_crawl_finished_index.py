"""An index on ``crawl_jobs.finished_at``: the scheduler asks every few seconds which crawls
finished since the last detection run began (``models.crawl_queue.stored_new_since``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""
from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_crawl_jobs_finished_at"), "crawl_jobs", ["finished_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_crawl_jobs_finished_at"), table_name="crawl_jobs")
