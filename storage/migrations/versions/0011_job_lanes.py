"""job lanes: user-facing work is taken before background lookups, and those before reconciliation

Revision ID: 0011_job_lanes
Revises: 0010_channels
Create Date: 2026-12-01 15:40:00

Adds `jobs.lane` (0 user-facing, 1 background, 2 maintenance) and an index workers claim by. Jobs
queued before the upgrade default to the background lane; they run as before, in order. Indexes for
pruning finished jobs and old event ids, and `weekly_summaries.claimed_until` (a weekly post is made
with no database session open, the row claimed for a short while instead of locked).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0011_job_lanes'
down_revision = '0010_channels'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lane', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_index('ix_jobs_lane_ready', ['status', 'lane', 'run_after'], unique=False)
        batch_op.create_index('ix_jobs_finished', ['status', 'updated_at'], unique=False)
    with op.batch_alter_table('slack_events', schema=None) as batch_op:
        batch_op.create_index('ix_slack_events_received', ['received_at'], unique=False)
    with op.batch_alter_table('weekly_summaries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_until', storage.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('weekly_summaries', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
    with op.batch_alter_table('slack_events', schema=None) as batch_op:
        batch_op.drop_index('ix_slack_events_received')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_finished')
        batch_op.drop_index('ix_jobs_lane_ready')
        batch_op.drop_column('lane')
