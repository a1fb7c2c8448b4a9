"""channels: recorded channel privacy and membership (the private-channel rule reads these)

Revision ID: 0010_channels
Revises: 0009_llm_usage
Create Date: 2026-12-01 15:40:00

New tables only; `claims` is untouched, so 0006's triggers stay in place on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0010_channels'
down_revision = '0009_llm_usage'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channels',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('is_private', sa.Boolean(), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('members_known', sa.Boolean(), nullable=False),
    sa.Column('updated_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('channel_members',
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('channel_id', 'user_id')
    )


def downgrade() -> None:
    op.drop_table('channel_members')
    op.drop_table('channels')
