"""claim search index for "seen before" claim matching (FTS5 on SQLite, tsvector + GIN on PostgreSQL)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 12:50:00.000000

Why triggers: every claim the desk stores must be findable later without the pipeline having to
remember to index it; the triggers keep `claim_search` (and through it the full-text index) in step
with `claims` on insert, text update and delete, in the same transaction.
Caution: a later SQLite batch migration that recreates `claims` drops its triggers; recreate them
(the SQLITE_CLAIM_TRIGGERS statements below) in that migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE claim_search_fts USING fts5(document, content='claim_search', "
    "content_rowid='claim_id', tokenize='porter unicode61 remove_diacritics 2')",
    # The documented external-content pattern: the FTS table follows claim_search row by row.
    "CREATE TRIGGER claim_search_ai AFTER INSERT ON claim_search BEGIN "
    "INSERT INTO claim_search_fts(rowid, document) VALUES (new.claim_id, new.document); END",
    "CREATE TRIGGER claim_search_ad AFTER DELETE ON claim_search BEGIN "
    "INSERT INTO claim_search_fts(claim_search_fts, rowid, document) VALUES ('delete', old.claim_id, old.document); "
    "END",
    "CREATE TRIGGER claim_search_au AFTER UPDATE ON claim_search BEGIN "
    "INSERT INTO claim_search_fts(claim_search_fts, rowid, document) VALUES ('delete', old.claim_id, old.document); "
    "INSERT INTO claim_search_fts(rowid, document) VALUES (new.claim_id, new.document); END",
]
SQLITE_CLAIM_TRIGGERS = [
    "CREATE TRIGGER claims_search_ai AFTER INSERT ON claims BEGIN "
    "INSERT INTO claim_search(claim_id, document) VALUES (new.id, new.text) "
    "ON CONFLICT(claim_id) DO UPDATE SET document = excluded.document; END",
    "CREATE TRIGGER claims_search_au AFTER UPDATE OF text ON claims WHEN new.text IS NOT old.text BEGIN "
    "UPDATE claim_search SET document = new.text WHERE claim_id = new.id; END",
    "CREATE TRIGGER claims_search_ad AFTER DELETE ON claims BEGIN "
    "DELETE FROM claim_search WHERE claim_id = old.id; DELETE FROM claim_embeddings WHERE claim_id = old.id; END",
]
POSTGRES = [
    "ALTER TABLE claim_search ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, document)) STORED",
    "CREATE INDEX ix_claim_search_tsv ON claim_search USING gin (tsv)",
    """CREATE FUNCTION claims_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO claim_search (claim_id, document) VALUES (NEW.id, NEW.text)
            ON CONFLICT (claim_id) DO UPDATE SET document = EXCLUDED.document;
        ELSIF TG_OP = 'UPDATE' THEN
            IF NEW.text IS DISTINCT FROM OLD.text THEN
                UPDATE claim_search SET document = NEW.text WHERE claim_id = NEW.id;
            END IF;
        ELSE
            DELETE FROM claim_search WHERE claim_id = OLD.id;
            DELETE FROM claim_embeddings WHERE claim_id = OLD.id;
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER claims_search_sync AFTER INSERT OR UPDATE OF text OR DELETE ON claims "
    "FOR EACH ROW EXECUTE FUNCTION claims_search_sync()",
]


def upgrade() -> None:
    op.create_table(
        'claim_search',
        sa.Column('claim_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('claim_id'),
    )
    op.create_table(
        'claim_embeddings',
        sa.Column('claim_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('model', sa.String(length=128), nullable=False),
        sa.Column('document_hash', sa.String(length=64), nullable=False),
        sa.Column('dimensions', sa.Integer(), nullable=False),
        sa.Column('vector', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('claim_id'),
    )
    dialect = op.get_bind().dialect.name
    statements = SQLITE_FTS + SQLITE_CLAIM_TRIGGERS if dialect == 'sqlite' else POSTGRES
    for statement in statements:
        op.execute(statement)
    # Claims stored before this migration become searchable too.
    op.execute("INSERT INTO claim_search (claim_id, document) SELECT id, text FROM claims")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('claims_search_ai', 'claims_search_au', 'claims_search_ad', 'claim_search_ai', 'claim_search_ad',
                     'claim_search_au'):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS claim_search_fts")
    else:
        op.execute("DROP TRIGGER IF EXISTS claims_search_sync ON claims")
        op.execute("DROP FUNCTION IF EXISTS claims_search_sync()")
    op.drop_table('claim_embeddings')
    op.drop_table('claim_search')
