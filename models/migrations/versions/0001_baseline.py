"""Baseline: the state tables as they were when migrations began (users, API tokens,
silences, incidents and their events, login failures, crawl checkpoints).

A database made before migrations (by ``create_all``) already has some or all of them: only
the missing ones are created, so it is adopted as it is.

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if 'crawl_checkpoints' not in present:
        op.create_table('crawl_checkpoints',
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('watermark', sa.DateTime(), nullable=True),
        sa.Column('recent_ids', sa.JSON(), nullable=False),
        sa.Column('last_run_at', sa.DateTime(), nullable=True),
        sa.Column('last_success_at', sa.DateTime(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('broken_since', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('last_counts', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('source')
        )
    if 'incidents' not in present:
        op.create_table('incidents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule', sa.String(length=64), nullable=False),
        sa.Column('group_key', sa.String(length=256), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('entities', sa.JSON(), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('last_fired_at', sa.DateTime(), nullable=False),
        sa.Column('last_notified_at', sa.DateTime(), nullable=True),
        sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('metric', sa.Float(), nullable=False),
        sa.Column('baseline', sa.Float(), nullable=False),
        sa.Column('explanation', sa.JSON(), nullable=False),
        sa.Column('review_ids', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
        op.create_index(op.f('ix_incidents_opened_at'), 'incidents', ['opened_at'], unique=False)
        op.create_index(op.f('ix_incidents_rule'), 'incidents', ['rule'], unique=False)
        op.create_index(op.f('ix_incidents_status'), 'incidents', ['status'], unique=False)
    if 'login_failures' not in present:
        op.create_table('login_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=320), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
        op.create_index(op.f('ix_login_failures_at'), 'login_failures', ['at'], unique=False)
        op.create_index(op.f('ix_login_failures_key'), 'login_failures', ['key'], unique=False)
    if 'silences' not in present:
        op.create_table('silences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule', sa.String(length=64), nullable=True),
        sa.Column('entity', sa.String(length=64), nullable=True),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
        op.create_index(op.f('ix_silences_ends_at'), 'silences', ['ends_at'], unique=False)
    if 'users' not in present:
        op.create_table('users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('display_name', sa.String(length=128), nullable=True),
        sa.Column('email', sa.String(length=256), nullable=True),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('entities', sa.JSON(), nullable=False),
        sa.Column('password_hash', sa.String(length=256), nullable=True),
        sa.Column('disabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username')
        )
    if 'api_tokens' not in present:
        op.create_table('api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.Column('revoked', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash')
        )
        op.create_index(op.f('ix_api_tokens_user_id'), 'api_tokens', ['user_id'], unique=False)
    if 'incident_events' not in present:
        op.create_table('incident_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        op.create_index(op.f('ix_incident_events_incident_id'), 'incident_events',
                        ['incident_id'], unique=False)


def downgrade() -> None:
    for name in ("incident_events", "api_tokens", "users", "silences", "login_failures",
                 "incidents", "crawl_checkpoints"):
        op.drop_table(name)
