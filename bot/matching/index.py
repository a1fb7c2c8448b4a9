"""Candidate search in the database the bot already uses: SQLite FTS5 or PostgreSQL full text.

Why the database and not an in-process index: the store is shared by every process (web, workers) and
survives restarts; the claim triggers of migration 0006 keep it in step without anyone calling us.
Why only the rarest query words: FTS5 and ts_rank score every row that matches the OR query, so the
cost grows with the posting lists of the query's words; a tweet's rarest few words carry nearly all of
the evidence and keep a query on a million claims within milliseconds (bench/claim_matching.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Candidate:
    claim_id: int
    document: str
    position: int  # 0 = best by the database's full-text rank


def _filters(exclude_article_id: int | None, visible_channels: Collection[str] | None) -> tuple[str, dict[str, object]]:
    clauses: list[str] = []
    params: dict[str, object] = {}
    if exclude_article_id is not None:
        clauses.append("c.article_id <> :exclude_article_id")
        params["exclude_article_id"] = exclude_article_id
    if visible_channels is not None:
        clauses.append("c.channel_id IN :channels")
        params["channels"] = sorted(visible_channels)
    return "".join(f" AND {c}" for c in clauses), params


def search(session: Session, groups: Sequence[Sequence[str]], *, limit: int, exclude_article_id: int | None = None,
           visible_channels: Collection[str] | None = None) -> list[Candidate]:
    """Claims whose search document contains all the words of any of `groups`, best first.

    Words are plain [a-z0-9] (bot.matching.text), so they need no quoting beyond FTS5's double quotes.

    Visibility and the article exclusion are applied inside the query, before the limit, so that
    invisible claims can neither be returned nor crowd out visible ones.
    """
    if not groups or (visible_channels is not None and not visible_channels):
        return []
    where, params = _filters(exclude_article_id, visible_channels)
    params["limit"] = limit
    # The full-text engine ranks its matches first, on its own (no join per matching row, which is what
    # costs at a million claims); the best `pool` of them are then joined and filtered. When filters
    # remove so many that fewer than `limit` remain, the query is repeated with the filters applied to
    # every match: slower, but visibility never costs recall.
    params["pool"] = limit * 4 if where else limit
    if session.get_bind().dialect.name == "postgresql":
        params["query"] = " | ".join("(" + " & ".join(group) + ")" for group in groups)
        ranked = ("SELECT s.claim_id, ts_rank(s.tsv, q) AS r FROM claim_search s, "
                  "to_tsquery('english', :query) q WHERE s.tsv @@ q")
        order = "r DESC, claim_id"
    else:
        params["query"] = " OR ".join("(" + " AND ".join(f'"{t}"' for t in group) + ")" for group in groups)
        ranked = ("SELECT f.rowid AS claim_id, f.rank AS r FROM claim_search_fts f "
                  "WHERE claim_search_fts MATCH :query")
        order = "r, claim_id"
    outer_order = order.replace("claim_id", "m.claim_id")
    sql = (f"SELECT m.claim_id, s.document FROM ({ranked} ORDER BY {order} LIMIT :pool) m "
           f"JOIN claims c ON c.id = m.claim_id JOIN claim_search s ON s.claim_id = m.claim_id WHERE 1=1{where} "
           f"ORDER BY {outer_order} LIMIT :limit")
    rows = _run(session, sql, params, visible_channels)
    if where and len(rows) < limit:
        sql = (f"SELECT m.claim_id, s.document FROM ({ranked}) m JOIN claims c ON c.id = m.claim_id "
               f"JOIN claim_search s ON s.claim_id = m.claim_id WHERE 1=1{where} "
               f"ORDER BY {outer_order} LIMIT :limit")
        rows = _run(session, sql, params, visible_channels)
    return [Candidate(int(row[0]), row[1], i) for i, row in enumerate(rows)]


def _run(session: Session, sql: str, params: dict[str, object],
         visible_channels: Collection[str] | None) -> Sequence[tuple[Any, ...]]:
    statement = text(sql)
    if visible_channels is not None:
        statement = statement.bindparams(bindparam("channels", expanding=True))
    return [tuple(row) for row in session.execute(statement, params)]


def upsert(session: Session, claim_id: int, document: str) -> None:
    """Set the search document of a claim (the full-text index follows by trigger or generated column)."""
    if session.get_bind().dialect.name == "postgresql":
        sql = ("INSERT INTO claim_search (claim_id, document) VALUES (:id, :doc) "
               "ON CONFLICT (claim_id) DO UPDATE SET document = EXCLUDED.document")
    else:
        # Not INSERT OR REPLACE: REPLACE deletes without firing delete triggers, leaving FTS stale.
        sql = ("INSERT INTO claim_search (claim_id, document) VALUES (:id, :doc) "
               "ON CONFLICT (claim_id) DO UPDATE SET document = excluded.document")
    session.execute(text(sql), {"id": claim_id, "doc": document})


def sample_documents(session: Session, size: int) -> tuple[int, list[str]]:
    """(number of indexed claims, up to `size` of their documents chosen at random) for the IDF model."""
    total = int(session.execute(text("SELECT count(*) FROM claim_search")).scalar_one())
    if total <= size:
        rows = session.execute(text("SELECT document FROM claim_search")).scalars().all()
    else:
        rows = session.execute(
            text("SELECT document FROM claim_search ORDER BY random() LIMIT :n"), {"n": size}
        ).scalars().all()
    return total, list(rows)
