"""INSERT ... ON CONFLICT DO NOTHING on both backends: the primitive behind every idempotent write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def rows_changed(result: object) -> int:
    """How many rows an INSERT, UPDATE or DELETE changed (SQLAlchemy answers those with a CursorResult)."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"not the result of a data-changing statement: {type(result).__name__}")
    return int(result.rowcount or 0)


def _statement(session: Session, table: Table, values: dict[str, Any], conflict: list[str]) -> Any:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)


def insert_ignore(session: Session, table: Table, values: dict[str, Any], conflict: list[str]) -> bool:
    """Insert a row unless one with the same unique key exists; True when this call inserted it.

    Told by RETURNING, not rowcount: with psycopg, SQLAlchemy reports rowcount -1 for these statements,
    which made every insert look new on PostgreSQL (and re-delivered events count twice).
    """
    statement = _statement(session, table, values, conflict).returning(table.c[conflict[0]])
    return session.execute(statement).first() is not None


def insert_ignore_id(session: Session, table: Table, values: dict[str, Any], conflict: list[str]) -> int | None:
    """Like insert_ignore, returning the new row's id (None when it existed): one round trip, not two."""
    statement = _statement(session, table, values, conflict).returning(table.c.id)
    return session.execute(statement).scalar_one_or_none()
