"""A durable job queue in the database.

Work is written here in the same transaction that accepts a Slack event, so nothing acknowledged is
ever lost. Workers claim one job at a time with a lease: on PostgreSQL with FOR UPDATE SKIP LOCKED (so
several processes never take the same job), on SQLite inside a BEGIN IMMEDIATE transaction (which
serialises claimers). A job whose worker died keeps its lease until it expires and is then taken over.
Jobs must therefore be resumable: each records its progress before moving to the next step.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from storage.models import Job, utcnow
from storage.upsert import insert_ignore, rows_changed

LEASE = timedelta(minutes=5)


def enqueue(
    session: Session, kind: str, dedupe_key: str, payload: dict[str, Any], run_after: datetime | None = None
) -> bool:
    """Add a job unless one with the same key exists (True when added)."""
    now = utcnow()
    return insert_ignore(
        session,
        Job.__table__,  # type: ignore[arg-type]
        {
            "kind": kind, "dedupe_key": dedupe_key, "payload": payload, "status": "pending", "attempts": 0,
            "run_after": run_after or now, "created_at": now, "updated_at": now,
        },
        ["dedupe_key"],
    )


def claim(session: Session, worker_id: str, kinds: Sequence[str], lease: timedelta = LEASE) -> Job | None:
    """Take the oldest ready job (or one whose lease expired) and lease it to worker_id."""
    now = utcnow()
    ready = or_(
        (Job.status == "pending") & (Job.run_after <= now),
        (Job.status == "running") & (Job.locked_until < now),
    )
    query = select(Job).where(ready, Job.kind.in_(kinds)).order_by(Job.run_after, Job.id).limit(1)
    job = session.scalars(query.with_for_update(skip_locked=True)).first()
    if job is None:
        return None
    job.status = "running"
    job.attempts += 1
    job.locked_by = worker_id
    job.locked_until = now + lease
    session.flush()
    return job


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

