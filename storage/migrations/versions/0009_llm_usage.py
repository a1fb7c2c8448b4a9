"""language-model spend: llm_usage (one row per extraction that asked the model); articles.extractor_note

Revision ID: 0009_llm_usage
Revises: 0008
Create Date: 2026-12-01 15:30:00

Adds a column to `articles` only (no table rebuild, and `claims` is untouched, so the claim_search
triggers of 0006 stay in place on SQLite).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0009_llm_usage'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('llm_usage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('model', sa.String(length=128), nullable=False),
    sa.Column('prompt_tokens', sa.Integer(), nullable=False),
    sa.Column('completion_tokens', sa.Integer(), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('llm_usage', schema=None) as batch_op:
        batch_op.create_index('ix_llm_usage_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_llm_usage_article_id'), ['article_id'], unique=False)
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extractor_note', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('llm_usage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_llm_usage_article_id'))
        batch_op.drop_index('ix_llm_usage_at')
    op.drop_table('llm_usage')
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+): rebuilding `articles` would delete it first,
    # which the foreign keys of link_posts and claims refuse while they hold rows.
    with op.batch_alter_table('articles', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('extractor_note')
