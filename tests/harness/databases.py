"""A database per run: SQLite in a folder, or a fresh schema in a PostgreSQL database, dropped afterwards.

The tests use it for every test (TEST_DATABASE_URL names the PostgreSQL database; each test gets its own
schema, so tests never see each other's rows) and bench/ for each measured bot (--database-url).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

from storage.db import normalise_url


@contextlib.contextmanager
def database(url: str | None, workdir: Path, name: str = "run") -> Iterator[str]:
    """Yield a database URL: sqlite:///workdir/<name>.db when url is empty; else url (PostgreSQL) with
    search_path set to a new schema <name>_<random>, which is dropped (with all in it) at the end."""
    if not url:
        yield f"sqlite:///{workdir / (name + '.db')}"
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
