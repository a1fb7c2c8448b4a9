"""`python app.py` with experimental changes, for bench/ack_latency.py --variants (BOT_VARIANT=lock,coalesce).

* lock: on SQLite every bot session starts with BEGIN IMMEDIATE; a thread that finds the write lock
  taken waits in SQLite's busy handler, which sleeps in steps of 1, 2, 5, 10, ... 25, 50, 100 ms, so a
  lock released after a millisecond can still cost a waiter tens of milliseconds. One process-wide
  re-entrant lock around SQLite sessions makes waiting threads wake as soon as it is free (the SQLite
  lock still guards against other processes).
* coalesce: a recorded vote queues a refresh job keyed by the claim's *rendered* version instead of its
  new version, so all votes arriving before the next render share one job (the job already renders
  until the message is current) instead of one job per vote.
* noping: PostgreSQL engine without pool_pre_ping (one round trip less per session; stale connections
  are then handled by pool_recycle instead).
* threads: the bot as it was before worker processes: one process, the job workers as threads beside
  the HTTP server (WORKER_PROCESSES=0, and the web process starts its own workers and schedules).

Nothing else differs from app.py. These are measurements of proposed changes, not part of the bot.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.orm import Session

import bot.verdicts as verdicts
import storage.db as storage_db
from storage import jobs as storage_jobs
from storage.models import Claim

VARIANT = set(filter(None, os.environ.get("BOT_VARIANT", "").split(",")))
_write_lock = threading.RLock()
_original_session = storage_db.Database.session


@contextmanager
def _serialised_session(self: storage_db.Database) -> Iterator[Session]:
    if self.engine.dialect.name != "sqlite":
        with _original_session(self) as session:
            yield session
        return
    with _write_lock, _original_session(self) as session:
        yield session


class _CoalescingJobs:
    """storage.jobs as bot.verdicts sees it, with refresh jobs keyed by the rendered version."""

    def __getattr__(self, name: str) -> Any:
        return getattr(storage_jobs, name)

    @staticmethod
    def enqueue(session: Session, kind: str, dedupe_key: str, payload: dict[str, Any], run_after: Any = None) -> bool:
        if kind == verdicts.REFRESH_CLAIM:
            claim = session.get(Claim, payload["claim_id"])
            if claim is not None:
                dedupe_key = f"refresh:{claim.id}:after:{claim.rendered_version}"
        return storage_jobs.enqueue(session, kind, dedupe_key, payload, run_after)


def _engine_without_ping(url: str) -> Any:
    from sqlalchemy import create_engine

    if url.startswith(("postgresql", "postgres")):
        return create_engine(storage_db.normalise_url(url), pool_size=10, max_overflow=10, pool_recycle=300)
    return _original_make_engine(url)


_original_make_engine = storage_db.make_engine
if "noping" in VARIANT:
    storage_db.make_engine = _engine_without_ping
if "lock" in VARIANT:
    storage_db.Database.session = _serialised_session  # type: ignore[method-assign]
if "coalesce" in VARIANT:
    verdicts.jobs = _CoalescingJobs()  # type: ignore[assignment]
if "threads" in VARIANT:
    from bot.runtime.composition import Services

    os.environ["WORKER_PROCESSES"] = "0"
    Services.start_web = Services.start  # type: ignore[method-assign]

if __name__ == "__main__":
    import app

    sys.exit(app.main())
