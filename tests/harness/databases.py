"""A database per run: SQLite in a folder, or a fresh schema in a PostgreSQL database, dropped afterwards.

The tests use it for every test (TEST_DATABASE_URL names the PostgreSQL database; each test gets its own
schema, so tests never see each other's rows) and bench/ for each measured bot (--database-url).
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from storage.db import normalise_url


def migrated_sqlite_template(workdir: Path) -> Path:
    """A SQLite file migrated to the newest revision, to copy for each test instead of running Alembic
    (about 0.3 s) per test; the copy still goes through `Database.migrate`, which finds nothing to do."""
    from storage.db import Database

    path = workdir / "template.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    with contextlib.closing(sqlite3.connect(path)) as connection:  # the whole database in the one file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


Statements = list[tuple[str, Any]]


def migrated_postgres_statements(url: str) -> Statements:
    """The statements Alembic runs to build the newest schema, recorded once while it migrates a throw-away
    schema, to replay into each test's schema: the same tables, indexes, triggers and alembic_version in
    about a tenth of the time (Alembic's own work, not PostgreSQL's, is most of a migration's 0.4-0.8 s).
    Reads (SELECT) are left out: they change nothing, and their answers only steered Alembic."""
    from sqlalchemy import event

    from storage.db import Database

    recorded: Statements = []
    with database(url, Path("."), "template") as schema_url:
        db = Database(schema_url)

        @event.listens_for(db.engine, "before_cursor_execute")
        def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
            recorded.append((statement, parameters))

        db.migrate()
        db.dispose()
    return [(statement, parameters) for statement, parameters in recorded
            if not statement.lstrip().upper().startswith(("SELECT", "SET "))]


@contextlib.contextmanager
def database(url: str | None, workdir: Path, name: str = "run",
             template: Path | Statements | None = None) -> Iterator[str]:
    """Yield a database URL: sqlite:///workdir/<name>.db when url is empty; else url (PostgreSQL) with
    search_path set to a new schema <name>_<random>, which is dropped (with all in it) at the end.
    With a `template`, the database starts at the newest schema: a SQLite file is a copy of
    migrated_sqlite_template's, a PostgreSQL schema gets migrated_postgres_statements replayed into it."""
    if not url:
        path = workdir / (name + ".db")
        if isinstance(template, Path):
            shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    from sqlalchemy import create_engine, text

    url = normalise_url(url)
    schema = f"{name}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        if isinstance(template, list):
            connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
            for statement, parameters in template:
                connection.exec_driver_sql(statement, parameters)
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
