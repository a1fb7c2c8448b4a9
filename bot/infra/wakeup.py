"""Telling job workers in other processes that a job is waiting, without them polling the database.

The web process only records jobs; worker processes (spawned by `python app.py`, or `python app.py worker`
elsewhere) run them. A worker with nothing to do sleeps until it is woken or its poll interval passes.
Inside one process a condition variable wakes it (bot.infra.worker); across processes this module carries
the signal:

* PostgreSQL: `NOTIFY factcheck_jobs`, heard by every worker process on any host that LISTENs. The
  NOTIFY is sent by a background thread on its own connection, so the ack path never waits for it, and a
  burst of wake-ups becomes one NOTIFY. An acknowledgement's inbox row needs none of this: its insert
  carries the notification itself (storage.inbox, `pg_notify` in the same statement).
* SQLite (one host by nature): a file beside the database whose modification time is bumped; workers
  watch it with a cheap stat() every few milliseconds. Polling the queue itself would take SQLite's write
  lock (claims run in BEGIN IMMEDIATE) and make the web process's own writes wait.

A signal that is lost (the database restarting, a full disk) only delays work until the next poll.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from storage.db import Database

log = logging.getLogger(__name__)

CHANNEL = "factcheck_jobs"
WATCH_INTERVAL = 0.02  # seconds between stat() calls of the SQLite wake file
LISTEN_TIMEOUT = 1.0  # how often a PostgreSQL listener looks up from its wait to see whether to stop
RECONNECT_WAIT = 2.0


class JobSignal(Protocol):
    def notify(self) -> None:
        """Tell every listening process that a job may be ready. Never blocks on the network."""

    def listen(self, on_signal: Callable[[], None]) -> None:
        """Call on_signal (in a background thread) whenever any process notifies, and once at start."""

    def close(self) -> None:
        """Stop listening and sending."""


def job_signal(db: Database) -> JobSignal | None:
    """The signal for this database, or None where only the worker's poll can help (in-memory SQLite)."""
    if db.is_postgres:
        return PostgresSignal(db)
    database = db.engine.url.database
    if db.engine.dialect.name == "sqlite" and database and database != ":memory:":
        return FileSignal(Path(f"{database}-wake"))
    return None


class FileSignal:
    """SQLite: the wake file's modification time, bumped by notify() and watched by listeners."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stopping = threading.Event()
        self._failed = False

    def _stamp(self) -> int:
        try:
            return os.stat(self.path).st_mtime_ns
        except OSError:
            return 0

    def notify(self) -> None:
        stamp = time.time_ns()
        try:
            try:
                os.utime(self.path, ns=(stamp, stamp))
            except FileNotFoundError:
                self.path.touch()
                os.utime(self.path, ns=(stamp, stamp))
        except OSError as error:
            if not self._failed:  # once: the workers' poll still finds the job, a little later
                log.warning("cannot write the job wake-up file %s (%s); workers will find jobs by polling",
                            self.path, error.strerror)
                self._failed = True

    def listen(self, on_signal: Callable[[], None]) -> None:
        def watch() -> None:
            seen = self._stamp()
            on_signal()
            while not self._stopping.wait(WATCH_INTERVAL):
                stamp = self._stamp()
                if stamp != seen:
                    seen = stamp
                    on_signal()

        threading.Thread(target=watch, name="job-signal-watch", daemon=True).start()

    def close(self) -> None:
        self._stopping.set()


class PostgresSignal:
    """PostgreSQL: LISTEN/NOTIFY on the channel `factcheck_jobs`."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._stopping = threading.Event()
        self._pending = threading.Event()
        self._sender: threading.Thread | None = None
        self._sender_lock = threading.Lock()

    def notify(self) -> None:
        self._pending.set()
        if self._sender is None:
            with self._sender_lock:
                if self._sender is None:
                    self._sender = threading.Thread(target=self._send_loop, name="job-signal-notify", daemon=True)
                    self._sender.start()

    def _send_loop(self) -> None:
        """NOTIFY on a connection of the sender's own, in autocommit: one statement, one round trip. Through
        the engine's pool (checkout, BEGIN, NOTIFY, COMMIT, reset) each one cost the web process about
        0.3 ms of the interpreter, once per acknowledged vote or link when they come one at a time."""
        connection: Any = None
        while not self._stopping.is_set():
            if not self._pending.wait(LISTEN_TIMEOUT):
                continue
            self._pending.clear()  # wake-ups arriving while this NOTIFY is sent make one more
            try:
                if connection is None or connection.closed:
                    connection = self._db.own_connection()
                connection.execute(f"NOTIFY {CHANNEL}")
            except Exception as error:  # the workers' poll still finds the job
                log.warning("could not notify the job workers (%s)", type(error).__name__)
                if connection is not None:
                    with contextlib.suppress(Exception):
                        connection.close()
                    connection = None
                self._stopping.wait(RECONNECT_WAIT)
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    def listen(self, on_signal: Callable[[], None]) -> None:
        threading.Thread(target=self._listen_loop, args=(on_signal,), name="job-signal-listen", daemon=True).start()

    def _listen_loop(self, on_signal: Callable[[], None]) -> None:
        while not self._stopping.is_set():
            connection = None
            try:
                connection = self._db.own_connection()  # held for good: never handed back to the pool
                connection.execute(f"LISTEN {CHANNEL}")
                on_signal()  # anything notified before LISTEN took effect
                while not self._stopping.is_set():
                    for _notice in connection.notifies(timeout=LISTEN_TIMEOUT):
                        on_signal()
            except Exception as error:
                if not self._stopping.is_set():
                    log.warning("lost the job notifications (%s); listening again in %.0f s",
                                type(error).__name__, RECONNECT_WAIT)
                    self._stopping.wait(RECONNECT_WAIT)
            finally:
                if connection is not None:
                    with contextlib.suppress(Exception):
                        connection.close()

    def close(self) -> None:
        self._stopping.set()
        self._pending.set()
