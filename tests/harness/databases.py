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


@contextlib.contextmanager
def database(url: str | None, workdir: Path, name: str = "run", template: Path | None = None) -> Iterator[str]:
    """Yield a database URL: sqlite:///workdir/<name>.db when url is empty; else url (PostgreSQL) with
    search_path set to a new schema <name>_<random>, which is dropped (with all in it) at the end.
    With a `template` (from migrated_sqlite_template), a SQLite database starts as a copy of it."""
    if not url:
        path = workdir / (name + ".db")
        if template is not None:
            shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    from sqlalchemy import create_engine, text

    url = normalise_url(url)
    schema = f"{name}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
