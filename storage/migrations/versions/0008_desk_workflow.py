"""desk workflow: claim events (audit trail), assignees, sources, explanations; claim workflow columns

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 13:00:00

Adds columns to `claims` only (no table rebuild), so the claim_search triggers of 0006 stay in place
on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('claim_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('event_key', sa.String(length=255), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_key')
    )
    with op.batch_alter_table('claim_events', schema=None) as batch_op:
        batch_op.create_index('ix_claim_events_at', ['created_at'], unique=False)
        batch_op.create_index('ix_claim_events_claim', ['claim_id', 'id'], unique=False)

    op.create_table('claim_assignees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('since', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('claim_id', 'user_id')
    )
    with op.batch_alter_table('claim_assignees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_assignees_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index('ix_claim_assignees_user', ['user_id', 'active'], unique=False)

    op.create_table('claim_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('posted_by', sa.String(length=32), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=False),
    sa.Column('posted_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('title_status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('claim_id', 'message_ts', 'url')
    )
    with op.batch_alter_table('claim_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_sources_claim_id'), ['claim_id'], unique=False)

    op.create_table('claim_explanations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('published_url', sa.String(length=2048), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('claim_explanations', schema=None) as batch_op:
        batch_op.create_index('ix_claim_explanations_claim', ['claim_id', 'id'], unique=False)

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('explanation', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('published_url', sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column('published_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_activity_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('nudged_at', storage.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('nudged_at')
        batch_op.drop_column('last_activity_at')
        batch_op.drop_column('published_at')
        batch_op.drop_column('published_url')
        batch_op.drop_column('explanation')

    with op.batch_alter_table('claim_explanations', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_explanations_claim')
    op.drop_table('claim_explanations')
    with op.batch_alter_table('claim_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_sources_claim_id'))
    op.drop_table('claim_sources')
    with op.batch_alter_table('claim_assignees', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_assignees_user')
        batch_op.drop_index(batch_op.f('ix_claim_assignees_claim_id'))
    op.drop_table('claim_assignees')
    with op.batch_alter_table('claim_events', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_events_claim')
        batch_op.drop_index('ix_claim_events_at')
    op.drop_table('claim_events')
