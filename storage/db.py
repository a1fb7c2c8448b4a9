"""Engine, sessions and migrations.

SQLite is the zero-setup default and PostgreSQL the production target; both are driven the same way.
On SQLite every transaction starts with BEGIN IMMEDIATE (and WAL plus a busy timeout): writers queue
for the lock instead of failing with "database is locked" when a read transaction tries to upgrade.
Migrations run on start under a lock so that several processes starting together do not race.

A DATABASE_URL that cannot be used is reported as `DatabaseUnavailable`, one line that names the variable
and hides the password, instead of a 30- to 120-line SQLAlchemy traceback; connecting to PostgreSQL has
a deadline (CONNECT_TIMEOUT, or `connect_timeout` in the URL) so a database that accepts the TCP
connection and never answers cannot hang start-up.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 727_274_001
# Seconds to establish a PostgreSQL connection (TCP, TLS and authentication), unless the URL sets
# connect_timeout itself. Long enough for a managed database waking up, short enough that a black-holed
# address fails start-up visibly instead of hanging it (libpq's own default is to wait forever).
CONNECT_TIMEOUT = 10
_EXPECTED = "expected sqlite:///FILE or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"


class DatabaseUnavailable(Exception):
    """DATABASE_URL cannot be used (malformed, or the database cannot be reached). The message is one
    line that starts with the variable's name and never contains the password."""


def _safe(url: str) -> str:
    """The URL as it may be shown to an operator: password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the URL given"


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def make_engine(url: str) -> Engine:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]  # Heroku still hands out the old scheme
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    try:
        parsed = make_url(url)
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            _configure_sqlite(engine)
            return engine
        deadline = {} if "connect_timeout" in parsed.query else {"connect_timeout": CONNECT_TIMEOUT}
        # No pre-ping (a round trip before every transaction, on the ack path); connections are recycled
        # instead, and a connection that died anyway fails one transaction, which is retried (jobs) or
        # re-delivered by Slack (events).
        return create_engine(url, pool_recycle=300, pool_size=10, max_overflow=10, connect_args=deadline)
    except ArgumentError:  # includes NoSuchModuleError: an unknown scheme
        scheme = url.split("://", 1)[0] if "://" in url else ""
        known = re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,30}", scheme)
        what = f"{scheme!r} is not a supported database" if known else "not a database URL"
        raise DatabaseUnavailable(f"DATABASE_URL: {what} ({_EXPECTED})") from None
    except ImportError as exc:  # a known dialect whose driver is not installed (mysql://, ...)
        raise DatabaseUnavailable(f"DATABASE_URL: no driver for {_safe(url)} ({exc.name}); {_EXPECTED}") from None


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the begin hook below issue BEGIN itself
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One engine and its session factory; `session()` is a unit of work that commits or rolls back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. Queuing this process's transactions on a lock, instead of
        # letting them collide on the file lock, avoids SQLite's busy-wait sleeps (1, 2, 5 ... 50 ms)
        # that otherwise make the tail of ack latency (bench/README.md). PostgreSQL needs no such lock.
        self._local_writer = threading.RLock() if self.engine.dialect.name == "sqlite" else None

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        if self._local_writer is None:
            with self._sessions() as session, session.begin():
                yield session
            return
        with self._local_writer, self._sessions() as session, session.begin():
            yield session

    def connect(self) -> Connection:
        """A connection, or DatabaseUnavailable in one line: the first thing start-up does with the
        database, so a wrong host, port, password or database name is reported here, plainly."""
        try:
            return self.engine.connect()
        except DBAPIError as exc:
            raise DatabaseUnavailable(f"DATABASE_URL: cannot connect to {_safe(self.url)}: {_first_line(exc)}") \
                from None

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent; safe with several processes)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.connect() as connection, connection.begin():
            if self.is_postgres:
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        self.engine.dispose()
