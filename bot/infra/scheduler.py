"""Periodic work, queued as durable jobs so that several processes schedule it only once.

APScheduler ticks in each process; each tick only *enqueues* a job whose dedupe key is the time bucket
(`sweep:<bucket>`), so however many processes tick, one job per bucket exists, and whichever worker
claims it does the work.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler

from bot.infra.job_kinds import JobKind, Tick
from storage.db import Database
from storage.models import utcnow

log = logging.getLogger(__name__)


def bucket(now: datetime, minutes: int) -> str:
    return str(int(now.timestamp()) // (minutes * 60))


class PeriodicJobs:
    def __init__(self, db: Database, wake: Callable[[], None]) -> None:
        self._db = db
        self._wake = wake
        self._scheduler = BackgroundScheduler(timezone="UTC")

    def every(self, minutes: int, kind: JobKind[Tick], *, run_now: bool = True) -> None:
        """Enqueue `kind` once per period across all processes, and once now for this process's start."""

        def enqueue(stamp: str) -> None:
            try:
                with self._db.session() as session:
                    kind.enqueue(session, Tick(stamp), f"{kind.name}:{stamp}")
                self._wake()
            except Exception:
                log.exception("could not schedule %s", kind.name)

        if run_now:
            # A (re)start is exactly when events may have been missed: always catch up, whatever the period.
            enqueue(f"start-{uuid.uuid4().hex}")
        self._scheduler.add_job(lambda: enqueue(bucket(utcnow(), minutes)), "interval", minutes=minutes, id=kind.name,
                                replace_existing=True, coalesce=True, max_instances=1)

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
