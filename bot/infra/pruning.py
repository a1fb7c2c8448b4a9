"""Pruning: finished jobs and old Slack event ids are deleted, so the queue's tables stop growing.

A finished job's row is only its history, with one exception: for some kinds the dedupe key is the
only record that something was done once (a person told once that their votes do not count), and
those are kept. Everything else a job did is recorded where it belongs (claims, votes, posts,
weekly_summaries). An event id needs keeping only while Slack may re-deliver the event (minutes).
Deletes run in small batches, each its own transaction, within a time budget, so pruning never holds
a lock for long and a large backlog is worked off over a few runs.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from bot.infra.job_kinds import NOTIFY_INELIGIBLE, Tick
from bot.infra.worker import JobContext
from storage import jobs
from storage.db import Database
from storage.models import utcnow

log = logging.getLogger(__name__)

# Kinds whose dedupe key is the record that matters: never pruned.
REMEMBERED_KINDS = (NOTIFY_INELIGIBLE.name,)
BATCH = 1000
BUDGET_SECONDS = 20.0


class Pruner:
    def __init__(self, db: Database, *, job_retention_days: int, event_retention_days: int,
                 batch: int = BATCH, budget: float = BUDGET_SECONDS) -> None:
        self.db = db
        self.job_retention = timedelta(days=job_retention_days)
        self.event_retention = timedelta(days=event_retention_days)
        self.batch = batch
        self.budget = budget

    def prune(self, context: JobContext[Tick] | None = None) -> tuple[int, int]:
        """Delete what is past its retention; returns (jobs, events) deleted this run."""
        deadline = time.monotonic() + self.budget
        now = utcnow()
        totals = [0, 0]
        steps = (
            lambda session: jobs.prune_jobs(session, now - self.job_retention, REMEMBERED_KINDS, self.batch),
            lambda session: jobs.prune_events(session, now - self.event_retention, self.batch),
        )
        for index, step in enumerate(steps):
            while time.monotonic() < deadline:
                with self.db.session() as session:
                    deleted = step(session)
                totals[index] += deleted
                if deleted < self.batch:
                    break
        if any(totals):
            log.info("pruned %d finished jobs and %d old event ids", *totals)
        return totals[0], totals[1]
