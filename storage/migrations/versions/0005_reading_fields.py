"""what the reader found: page description, updated date, partial reads, summary source, candidates;
claim context and candidates not shown yet

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("modified", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("partial", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("reading", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("summary_source", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("candidates", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("context", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("shown", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_column("shown")
        batch_op.drop_column("context")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        for column in ("candidates", "summary_source", "reading", "partial", "modified", "description"):
            batch_op.drop_column(column)
