"""Engine, sessions and migrations.

SQLite is the zero-setup default and PostgreSQL the production target; both are driven the same way.
On SQLite every transaction starts with BEGIN IMMEDIATE (and WAL plus a busy timeout): writers queue
for the lock instead of failing with "database is locked" when a read transaction tries to upgrade.
Migrations run on start under a lock so that several processes starting together do not race.

Every wait on the database is bounded (`timeout`, DATABASE_TIMEOUT_SECONDS): a database that accepts
connections but never answers, or a network that drops packets, must not hang Slack's acknowledgements,
/healthz or start-up forever. On PostgreSQL that is libpq's connect_timeout, a server-side
statement_timeout set on each new connection, TCP keepalives and tcp_user_timeout (a connection whose
packets go unacknowledged is dropped), and the pool's checkout timeout; on SQLite the busy timeout.

A DATABASE_URL that cannot be used is reported as `DatabaseUnavailable`, one line that names the variable
and hides the password, instead of a 30- to 120-line SQLAlchemy traceback. A `connect_timeout` in the URL
overrides the connect deadline.
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 727_274_001
_EXPECTED = "expected sqlite:///FILE or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"


READ_ONLY = "factcheck_read_only"  # execution option of the engine behind Database.read_session


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


def normalise_url(url: str) -> str:
    """One spelling per database: the driver SQLAlchemy should use, whatever the host handed out."""
    url = url.strip()
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]  # Heroku still hands out the old scheme
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


DEFAULT_TIMEOUT = 10.0
# How many sessions each thread has open: a network call made while one is open holds a transaction
# (and on SQLite this process's write lock) for as long as the network takes; see in_session().
_open_sessions = threading.local()


def in_session() -> bool:
    """Whether the calling thread has a database session open (the gateway warns when it calls Slack)."""
    return bool(getattr(_open_sessions, "depth", 0))


@contextmanager
def _counted() -> Iterator[None]:
    _open_sessions.depth = getattr(_open_sessions, "depth", 0) + 1
    try:
        yield
    finally:
        _open_sessions.depth -= 1
HEALTH_TIMEOUT = 2.0


def make_engine(url: str, timeout: float = DEFAULT_TIMEOUT) -> Engine:
    """An engine for a normalised URL (Settings normalises DATABASE_URL; see normalise_url).

    `timeout` bounds, in seconds, connecting, each statement and waiting for a lock or a pooled connection.
    Raises DatabaseUnavailable (one line naming DATABASE_URL) for a URL that cannot be used.
    """
    try:
        parsed = make_url(url)
        if url.startswith("sqlite") and parsed.database in (None, "", ":memory:"):
            # Every connection would get its own empty database: the workers, the HTTP threads and
            # the migration would each see a different one, and everything is lost at exit.
            raise DatabaseUnavailable("DATABASE_URL: an in-memory SQLite database cannot be shared by the bot's "
                                      "threads and is lost at exit; name a file: sqlite:///factcheck.db")
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": timeout, "check_same_thread": False},
                                   pool_timeout=timeout)
            _configure_sqlite(engine, timeout)
            return engine
        # No pre-ping (a round trip before every transaction, on the ack path); connections are recycled
        # instead, and a connection that died anyway fails one transaction, which is retried (jobs) or
        # re-delivered by Slack (events).
        seconds = max(1, math.ceil(timeout))  # libpq counts whole seconds
        connect_args: dict[str, Any] = {"keepalives": 1, "keepalives_idle": seconds,
                                        "keepalives_interval": max(1, seconds // 3), "keepalives_count": 3,
                                        "tcp_user_timeout": int(timeout * 1000)}
        if "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = seconds
        engine = create_engine(url, pool_recycle=300, pool_size=10, max_overflow=10, pool_timeout=timeout,
                               connect_args=connect_args)
    except ArgumentError:  # includes NoSuchModuleError: an unknown scheme
        scheme = url.split("://", 1)[0] if "://" in url else ""
        known = re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,30}", scheme)
        what = f"{scheme!r} is not a supported database" if known else "not a database URL"
        raise DatabaseUnavailable(f"DATABASE_URL: {what} ({_EXPECTED})") from None
    except ValueError:  # SQLAlchemy parses the port with int()
        raise DatabaseUnavailable(f"DATABASE_URL: the port is not a number ({_EXPECTED})") from None
    except ImportError as exc:  # a known dialect whose driver is not installed (mysql://, ...)
        raise DatabaseUnavailable(f"DATABASE_URL: no driver for {_safe(url)} ({exc.name}); {_EXPECTED}") from None
    statement_ms = int(timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SET, not the `options` connect argument: that would replace options given in DATABASE_URL.
        dbapi_connection.execute(f"SET statement_timeout = {statement_ms}")
        dbapi_connection.commit()

    return engine


def _configure_sqlite(engine: Engine, timeout: float) -> None:
    busy_ms = int(timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the begin hook below issue BEGIN itself
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            # Switching a new file to WAL answers "locked" at once, past the busy timeout, while another
            # connection (another process starting) switches it too: taken as soon as it is free.
            retry_while_locked(lambda: cursor.execute("PRAGMA journal_mode=WAL"), timeout)
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A read-only session (Database.read_session) takes no write lock: in WAL mode readers and the
        # one writer never wait for each other.
        if connection.get_execution_options().get(READ_ONLY, False):
            connection.exec_driver_sql("BEGIN")
            return
        # Another process (a worker process) may hold the write lock: taken as soon as it is free.
        raw = connection.connection.driver_connection
        raw.execute("PRAGMA busy_timeout=0")
        try:
            retry_while_locked(lambda: raw.execute("BEGIN IMMEDIATE"), timeout)
        except sqlite3.OperationalError as error:
            if not _locked(error):
                raise
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # still locked: fails now, as SQLAlchemy's error
        finally:
            raw.execute(f"PRAGMA busy_timeout={busy_ms}")


T = TypeVar("T")


def _locked(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def retry_while_locked(attempt: Callable[[], T], timeout: float) -> T:
    """Run `attempt`, again every 0.2-2 ms while SQLite answers that the database is locked, for up to
    `timeout` seconds (then that error is raised). SQLite's own busy handler sleeps 1, 2, 5, 10 ... 50,
    100 ms between tries, so a lock freed after a millisecond could cost a waiting acknowledgement tens
    of milliseconds; this takes it as soon as it is free. Give the connection `busy_timeout=0`."""
    deadline, pause = time.monotonic() + timeout, 0.0002
    while True:
        try:
            return attempt()
        except sqlite3.OperationalError as error:
            if not _locked(error) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.002)


class Database:
    """One engine and its session factory; `session()` is a unit of work that commits or rolls back."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = url
        self.timeout = timeout
        self.engine = make_engine(url, timeout)
        self._probe: threading.Thread | None = None
        self._probe_result: str | None = None
        self._probe_lock = threading.Lock()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
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
            with _counted(), self._sessions() as session, session.begin():
                yield session
            return
        with _counted(), self._local_writer, self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading only, rolled back at the end. On SQLite it takes no write lock, so long
        reads in a worker process (claim matching over the desk's claims) never hold up the web
        process's writes, which Slack's acknowledgements wait for."""
        with _counted(), self._read_sessions() as session:  # begins on first use; closing it rolls back
            yield session

    def own_connection(self) -> Any:
        """A driver connection in autocommit that the caller keeps and closes: opened through the engine, so
        it carries the connect arguments and the statement timeout, then detached, so the pool neither
        counts it, resets it nor hands it to anyone else. For connections held across many statements
        off the ORM: job notifications, and the acknowledgements' inbox inserts on PostgreSQL."""
        proxied = self.engine.raw_connection()
        connection = proxied.driver_connection
        assert connection is not None
        proxied.detach()
        connection.autocommit = True
        return connection

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
                # Schema changes on a big table, or waiting for another process's migration, may take
                # longer than the statement timeout meant for the bot's own queries.
                connection.execute(text("SET LOCAL statement_timeout = 0"))
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def check(self, timeout: float = HEALTH_TIMEOUT) -> str | None:
        """None when `SELECT 1` answers within `timeout` seconds, else a plain reason (for /healthz).

        The probe runs in its own thread so a stalled database cannot hold the caller longer than
        `timeout`; while one probe is still waiting, later checks wait on it instead of starting more.
        A raw DBAPI connection is used so that SQLite's BEGIN IMMEDIATE (a write lock) is not taken.
        """
        with self._probe_lock:
            if self._probe is None or not self._probe.is_alive():
                self._probe = threading.Thread(target=self._run_probe, name="db-health", daemon=True)
                self._probe.start()
            probe = self._probe
        probe.join(timeout)
        if probe.is_alive():
            return f"database did not answer within {timeout:g} s"
        return self._probe_result

    def _run_probe(self) -> None:
        try:
            connection = self.engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute("SELECT 1")
                cursor.fetchall()
                cursor.close()
            finally:
                connection.close()
            self._probe_result = None
        except Exception as exc:  # any failure is a "no" for the health check; the reason is logged
            log.warning("database health check failed: %s", type(exc).__name__)
            self._probe_result = f"database unavailable ({type(exc).__name__})"

    def dispose(self) -> None:
        self.engine.dispose()
