"""The inbox: what an acknowledgement records, so Slack gets its answer without waiting for the work.

A link message or a reaction used to be applied inside its acknowledgement: 4-9 ORM statements (the
event id, articles, link posts, jobs; a vote, its history, the claim's status) in one transaction. On
SQLite that transaction queues for the one write lock, which the worker process also takes many times
per job; a worker descheduled while holding it made acknowledgements wait 70-100 ms (bench/README.md,
"Where the ack time goes"). Now the acknowledgement inserts one row here and wakes the workers, and a
worker applies the row (bot.runtime.composition.Services.drain_inbox) and deletes it.

Nothing is lost: the row is committed before Slack is acknowledged, and it is deleted only after what
it asked for is committed. Nothing is done twice: the row is keyed by Slack's event id (a retried
delivery is the same row), and applying it records the event id in `slack_events` in the same
transaction as its effects, so a row applied twice (two workers, or a crash before the delete) does
nothing the second time.

On SQLite the inbox is a second database file beside the main one (`<database>-inbox`, like SQLite's
own `-wal` and `-shm`): its write lock is taken only by acknowledgements and by the short deletes of
the drain, never by the worker's jobs. On PostgreSQL, where writers do not share a lock, it is the
`inbox` table of the main database (migration 0012).
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.schema import CreateTable

from storage.db import Database, retry_while_locked
from storage.models import InboxEvent, utcnow

log = logging.getLogger(__name__)

# A row that has failed this many times, and is this old, is logged and dropped rather than retried for
# ever; the age keeps a database outage of a few minutes (every row failing) from losing anything.
MAX_ATTEMPTS = 5
GIVE_UP_AFTER = timedelta(minutes=10)
# The same row SQLAlchemy writes (its SQLite DateTime format), with one prepared statement.
_SQLITE_INSERT = ("INSERT INTO inbox (event_id, kind, payload, attempts, received_at) VALUES (?, ?, ?, 0, ?) "
                  "ON CONFLICT (event_id) DO NOTHING RETURNING id")
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
_PG_INSERT = ("INSERT INTO inbox (event_id, kind, payload, attempts, received_at) VALUES (%s, %s, %s, 0, %s) "
              "ON CONFLICT (event_id) DO NOTHING RETURNING id")
# The same, telling the listening workers in the same statement (and transaction) when the row is new.
_PG_INSERT_NOTIFY = f"WITH added AS ({_PG_INSERT}) SELECT id, pg_notify(%s, '') FROM added"
_PG_RECYCLE = 300.0  # seconds, as the engine's pool_recycle (storage.db.make_engine)


@dataclass
class _Ticket:
    """One acknowledgement's row, waiting for whichever thread writes the next group."""

    row: tuple[str | None, str, str, str]
    done: bool = False
    inserted: bool = False
    error: BaseException | None = field(default=None, repr=False)


@dataclass(frozen=True)
class InboxItem:
    id: int
    event_id: str | None
    kind: str
    payload: dict[str, Any]
    attempts: int
    received_at: datetime


def side_file(db: Database) -> str | None:
    """The inbox's own SQLite file for a file-backed SQLite database, else None (the main database)."""
    if db.engine.dialect.name != "sqlite":
        return None
    database = db.engine.url.database
    if not database or database == ":memory:":
        return None
    return f"{database}-inbox"


class Inbox:
    """`notify_channel` (PostgreSQL only): a LISTEN channel notified with every new row, in the insert's own
    statement; `notifies` then says the workers need no other wake-up from the acknowledgement."""

    def __init__(self, db: Database, notify_channel: str | None = None) -> None:
        path = side_file(db)
        self.db = Database(f"sqlite:///{path}", db.timeout) if path else db
        table = cast(Table, InboxEvent.__table__)
        if path:  # the main database's schema is Alembic's; this file holds only the one table
            # The web process and its worker processes open it together: IF NOT EXISTS in one statement,
            # so none of them can fail at start for having created it second.
            with self.db.engine.begin() as connection:
                connection.execute(CreateTable(table, if_not_exists=True))
        # PostgreSQL: the acknowledgements' own autocommit connections (Database.own_connection), idle ones
        # here with the time each was opened.
        self._pg_idle: queue.SimpleQueue[tuple[Any, float]] = queue.SimpleQueue()
        self._notify_channel = notify_channel if db.is_postgres else None
        self.notifies = self._notify_channel is not None
        self._sqlite: sqlite3.Connection | None = None
        if path:
            own = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
            retry_while_locked(lambda: own.execute("PRAGMA journal_mode=WAL"), db.timeout)
            own.execute("PRAGMA synchronous=NORMAL")
            self._sqlite = own
        # SQLite has one writer: this process's acknowledgements queue here rather than in SQLite's busy
        # handler, which sleeps 1, 2, 5 ... ms between tries (storage.db.Database.session does the same).
        self._writer = threading.Lock()
        self._queued: deque[_Ticket] = deque()
        self.groups_written = 0  # SQLite transactions the acknowledgements' rows took (tests, bench)

    def put(self, kind: str, event_id: str | None, payload: dict[str, Any]) -> bool:
        """Record an event before its acknowledgement; False when this event id is already waiting.

        One prepared statement on a connection that is the inbox's own, below SQLAlchemy: on SQLite group-
        committed (the file's only writer in this process), on PostgreSQL in autocommit. Through an ORM
        session, with the statement built per call, the insert cost about 1.5 ms of the 2 ms a vote's ack
        took; through a Core statement on the engine's pool, 0.25 ms on PostgreSQL."""
        text = json.dumps(payload, separators=(",", ":"))
        now = utcnow()
        if self._sqlite is not None:
            return self._sqlite_put((event_id, kind, text, now.strftime(_SQLITE_TIME)))
        if self._notify_channel is not None:
            return self._pg_put(_PG_INSERT_NOTIFY, (event_id, kind, text, now, self._notify_channel))
        return self._pg_put(_PG_INSERT, (event_id, kind, text, now))

    def _pg_put(self, statement: str, row: tuple[Any, ...]) -> bool:
        """One prepared statement on an autocommit connection of the inbox's own: one round trip and about
        0.08 ms of the interpreter, where a Core statement through the engine's pool took 0.25 ms (and a
        NOTIFY sent after it, on a connection of its own, 0.09 ms more). A connection is taken per insert
        and given back, so there are at most as many as acknowledgements run at once (HTTP_THREADS). A
        reused connection that fails (the server restarted) is replaced once; a new one that fails fails
        the acknowledgement, and Slack delivers the event again."""
        while True:
            connection, born, reused = self._pg_connection()
            try:
                inserted = connection.execute(statement, row, prepare=True).fetchone() is not None
            except Exception:
                connection.close()
                if reused:
                    continue
                raise
            self._pg_idle.put((connection, born))
            return inserted

    def _pg_connection(self) -> tuple[Any, float, bool]:
        """(connection, when it was opened, whether it was idle here before): an idle one younger than the
        engine's recycle age, else a new one. Each failure closes the one it happened on, so the idle
        connections run out and a new one is opened: the retry above ends."""
        while True:
            try:
                connection, born = self._pg_idle.get_nowait()
            except queue.Empty:
                break
            if time.monotonic() - born < _PG_RECYCLE and not connection.closed:
                return connection, born, True
            connection.close()
        return self.db.own_connection(), time.monotonic(), False

    def _sqlite_put(self, row: tuple[str | None, str, str, str]) -> bool:
        """Group commit: the row joins a queue; whichever acknowledgement holds the writer lock writes
        every queued row in one transaction, and those waiting behind it find theirs already written.

        One at a time, each insert was its own transaction (lock, append, index update, unlock: a dozen
        system calls, each letting go of the interpreter), and with the HTTP threads' acknowledgements
        arriving together they queued behind one another for the lock: a vote's acknowledgement cost
        the web process three times its solitary price. Alone, a row is still written at once."""
        ticket = _Ticket(row)
        self._queued.append(ticket)  # before the lock: whoever holds it next takes this row too
        with self._writer:
            if not ticket.done:
                self._write_queued()
        if ticket.error is not None:
            raise sqlite3.OperationalError(f"could not record the event in the inbox: {ticket.error}") \
                from ticket.error
        return ticket.inserted

    def _write_queued(self) -> None:
        """Write what is queued in one transaction (called with the writer lock held). The queue is taken
        once the file's lock is had, so rows that arrive while a worker's delete holds it join this group."""
        connection = self._sqlite
        assert connection is not None
        batch: list[_Ticket] = []
        try:
            # BEGIN IMMEDIATE takes the file's write lock as soon as a worker's delete frees it
            # (storage.db.retry_while_locked); the inserts after it then cannot find the file locked.
            retry_while_locked(lambda: connection.execute("BEGIN IMMEDIATE"), self.db.timeout)
            while self._queued:
                batch.append(self._queued.popleft())
            try:
                for ticket in batch:  # read to the end: the statement is then done
                    ticket.inserted = bool(connection.execute(_SQLITE_INSERT, ticket.row).fetchall())
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            self.groups_written += 1
        except Exception as error:  # every row of the group failed with it; each acknowledgement says so
            while self._queued:
                batch.append(self._queued.popleft())
            for ticket in batch:
                ticket.inserted, ticket.error = False, error
        finally:
            for ticket in batch:
                ticket.done = True

    def waiting(self, limit: int = 200) -> list[InboxItem]:
        """The oldest rows, in the order Slack's events were acknowledged."""
        with self.db.read_session() as session:
            rows = session.scalars(select(InboxEvent).order_by(InboxEvent.id).limit(limit)).all()
            return [InboxItem(row.id, row.event_id, row.kind, json.loads(row.payload), row.attempts,
                              row.received_at) for row in rows]

    def done(self, ids: list[int]) -> None:
        if ids:
            with self.db.session() as session:
                session.execute(delete(InboxEvent).where(InboxEvent.id.in_(ids)))

    def failed(self, item: InboxItem) -> bool:
        """Count a failed attempt; True (and the row is dropped) once it has failed MAX_ATTEMPTS times and
        was received more than GIVE_UP_AFTER ago."""
        with self.db.session() as session:
            if item.attempts + 1 >= MAX_ATTEMPTS and item.received_at < utcnow() - GIVE_UP_AFTER:
                session.execute(delete(InboxEvent).where(InboxEvent.id == item.id))
                return True
            session.execute(update(InboxEvent).where(InboxEvent.id == item.id)
                            .values(attempts=InboxEvent.attempts + 1))
            return False

    def count(self) -> int:
        with self.db.read_session() as session:
            return int(session.scalar(select(func.count()).select_from(InboxEvent)) or 0)

    def dispose(self) -> None:
        """Close the inbox's own file (on SQLite) or connections (on PostgreSQL); the main database is its
        owner's to dispose."""
        while True:
            try:
                connection, _born = self._pg_idle.get_nowait()
            except queue.Empty:
                break
            connection.close()
        if self._sqlite is not None:
            with self._writer:
                self._sqlite.close()
            self.db.dispose()
