"""A durable job queue in the database.

Work is written here in the same transaction that accepts a Slack event, so nothing acknowledged is
ever lost. Workers claim one job at a time with a lease: on PostgreSQL with FOR UPDATE SKIP LOCKED (so
several processes never take the same job), on SQLite inside a BEGIN IMMEDIATE transaction (which
serialises claimers). A job whose worker died keeps its lease until it expires and is then taken over.
Jobs must therefore be resumable: each records its progress before moving to the next step.

Every job sits in a lane (0 user-facing, 1 background, 2 maintenance): a claimer takes the lowest
lane first, so a flood of reconciliation or lookups never stands in front of a pasted link's card.
Finished jobs and old event ids are pruned in small batches (`prune_jobs`, `prune_events`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Job, SlackEvent, utcnow
from storage.upsert import insert_ignore, rows_changed

LEASE = timedelta(minutes=5)


def enqueue(
    session: Session, kind: str, dedupe_key: str, payload: dict[str, Any], run_after: datetime | None = None,
    lane: int = 1,
) -> bool:
    """Add a job unless one with the same key exists (True when added)."""
    now = utcnow()
    return insert_ignore(
        session,
        Job.__table__,  # type: ignore[arg-type]
        {
            "kind": kind, "dedupe_key": dedupe_key, "payload": payload, "status": "pending", "attempts": 0,
            "run_after": run_after or now, "created_at": now, "updated_at": now, "lane": lane,
        },
        ["dedupe_key"],
    )


def claim(session: Session, worker_id: str, kinds: Sequence[str], lease: timedelta = LEASE,
          max_lane: int | None = None) -> Job | None:
    """Take the ready job (or one whose lease expired) of the lowest lane, oldest first, and lease it.

    `max_lane` limits the claimer to lanes up to it: a worker kept for user-facing work passes 0.
    """
    now = utcnow()
    ready = or_(
        (Job.status == "pending") & (Job.run_after <= now),
        (Job.status == "running") & (Job.locked_until < now),
    )
    query = select(Job).where(ready, Job.kind.in_(kinds))
    if max_lane is not None:
        query = query.where(Job.lane <= max_lane)
    query = query.order_by(Job.lane, Job.run_after, Job.id).limit(1)
    job = session.scalars(query.with_for_update(skip_locked=True)).first()
    if job is None:
        return None
    job.status = "running"
    job.attempts += 1
    job.locked_by = worker_id
    job.locked_until = now + lease
    session.flush()
    return job


def set_payload(session: Session, job_id: int, payload: dict[str, Any]) -> None:
    """Replace a job's payload (a job recording its progress for the run after a crash)."""
    session.execute(update(Job).where(Job.id == job_id).values(payload=payload, updated_at=utcnow()))


def finish(session: Session, job_id: int, worker_id: str) -> None:
    session.execute(
        update(Job).where(Job.id == job_id, Job.locked_by == worker_id)
        .values(status="done", locked_until=None, updated_at=utcnow())
    )


def retry_later(session: Session, job_id: int, worker_id: str, delay: timedelta, error: str | None = None) -> None:
    """Give the job back to the queue to run again after `delay` (attempts are kept)."""
    session.execute(
        update(Job).where(Job.id == job_id, Job.locked_by == worker_id)
        .values(status="pending", run_after=utcnow() + delay, locked_until=None, last_error=error,
                updated_at=utcnow())
    )


def fail(session: Session, job_id: int, worker_id: str, error: str) -> None:
    session.execute(
        update(Job).where(Job.id == job_id, Job.locked_by == worker_id)
        .values(status="failed", locked_until=None, last_error=error[:2000], updated_at=utcnow())
    )


def release(session: Session, worker_id: str) -> int:
    """Hand back every job this worker holds (shutdown, or a dead worker): others may take them at once.

    Attempts are kept, so the next run knows the job was started before and checks Slack for what it
    may already have posted.
    """
    result = session.execute(
        update(Job).where(Job.locked_by == worker_id, Job.status == "running")
        .values(status="pending", locked_until=None, updated_at=utcnow())
    )
    return rows_changed(result)


def running_workers(session: Session, prefix: str) -> list[str]:
    """Worker ids starting with prefix that hold running jobs (to find the dead ones on this host)."""
    return list(session.scalars(select(Job.locked_by).where(Job.status == "running", Job.locked_by.like(f"{prefix}%"))
                                .distinct()))



def active(session: Session, kind: str) -> bool:
    """Whether a job of this kind is waiting or running (a sweep still under way)."""
    return session.scalar(select(Job.id).where(Job.kind == kind, Job.status.in_(("pending", "running"))).limit(1)) \
        is not None


def prune_jobs(session: Session, before: datetime, keep_kinds: Sequence[str] = (), batch: int = 1000) -> int:
    """Delete up to `batch` jobs that finished (done or failed) before `before`; returns how many.

    Kinds in keep_kinds are kept: their dedupe key is the only record that something happened once.
    """
    ids = select(Job.id).where(Job.status.in_(("done", "failed")), Job.updated_at < before)
    if keep_kinds:
        ids = ids.where(Job.kind.not_in(keep_kinds))
    chosen = list(session.scalars(ids.order_by(Job.updated_at).limit(batch)))
    if chosen:
        session.execute(delete(Job).where(Job.id.in_(chosen)))
    return len(chosen)


def prune_events(session: Session, before: datetime, batch: int = 1000) -> int:
    """Delete up to `batch` event ids received before `before` (Slack re-delivers for minutes, not days)."""
    chosen = list(session.scalars(select(SlackEvent.event_id).where(SlackEvent.received_at < before)
                                  .order_by(SlackEvent.received_at).limit(batch)))
    if chosen:
        session.execute(delete(SlackEvent).where(SlackEvent.event_id.in_(chosen)))
    return len(chosen)
