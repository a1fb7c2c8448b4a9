"""seen before: the earlier claim a new claim matched, and how closely

Revision ID: 0007
Revises: 0006

Adds columns only (no table rebuild), so the claim_search triggers of 0006 stay in place on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("claims", sa.Column("seen_claim_id", sa.Integer(), nullable=True))
    op.add_column("claims", sa.Column("seen_score", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_column("seen_score")
        batch_op.drop_column("seen_claim_id")
