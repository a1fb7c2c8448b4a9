"""inbox: events acknowledged to Slack and not yet applied by a worker

Revision ID: 0012_inbox
Revises: 0011_job_lanes
Create Date: 2026-12-01 18:40:00

The acknowledgement path now writes one row here (storage.inbox) instead of applying a link or a vote
itself; a worker applies it and deletes the row. On SQLite the bot keeps this table in a second file
beside the database (so acknowledgements never wait for the worker's write lock); the table is created
here too so one schema describes every backend.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0012_inbox'
down_revision = '0011_job_lanes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inbox',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('event_id', sa.String(length=64), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('received_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id'),
    )


def downgrade() -> None:
    op.drop_table('inbox')
