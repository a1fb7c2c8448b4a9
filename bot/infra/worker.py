"""Background workers that run the durable jobs.

Slack handlers only record work (storage.jobs) and wake the workers, so acknowledging Slack never
waits for a slow article server. Workers poll as a safety net (jobs from other processes, retries
that come due, leases that expire) and are woken at once for local work. Work recorded in another
process (the web process, when workers run in their own processes) reaches them through a JobSignal
(bot.infra.wakeup): wake() sends it, and a started worker listens to it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.infra.job_kinds import USER, JobKind
from bot.infra.wakeup import JobSignal
from storage import jobs
from storage.db import Database

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """Raised by a job that cannot go on yet (e.g. another job owns the article) and should run again."""

    def __init__(self, delay: float, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay


P = TypeVar("P")


@dataclass(frozen=True)
class JobContext(Generic[P]):
    """One run of a job: attempts > 1 means an earlier run may have done part of the work."""

    job_id: int
    attempts: int
    payload: P


JobHandler = Callable[[JobContext[Any]], object]
MAX_ATTEMPTS = 5
# Pauses between attempts to record a job's outcome while the database is down (doubling, capped).
BOOKKEEPING_FIRST_WAIT = 0.25
BOOKKEEPING_MAX_WAIT = 2.0


class Worker:
    """Threads that run jobs, lowest lane first; the first `user_threads` take only user-facing jobs.

    Those reserved threads exist only when there are more threads than that, so a single thread still
    runs every lane. They keep a new link's card moving while every other thread is busy with slow
    lookups or a reconciliation sweep.
    """

    def __init__(self, db: Database, threads: int = 4, poll: float = 1.0, signal: JobSignal | None = None,
                 user_threads: int = 1) -> None:
        self._db = db
        self._signal = signal
        self._handlers: dict[str, tuple[JobKind[Any], JobHandler]] = {}
        self._threads = threads
        self._user_threads = user_threads if threads > user_threads else 0
        self._poll = poll
        self._wake = threading.Condition()
        self._pending_wakeups = 0
        self._stopping = threading.Event()
        self._pool: list[threading.Thread] = []
        self.worker_prefix = f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        # What acknowledgements recorded and nobody has applied yet (storage.inbox): taken by whichever
        # thread is free before it looks for a job, one thread at a time, since applying it makes jobs.
        self.intake: Callable[[], int] | None = None
        self._intake_lock = threading.Lock()

    def reclaim_from_dead_local_workers(self) -> int:
        """Hand back jobs held by worker processes on this host that no longer exist (killed, crashed).

        Their leases would expire anyway; this only spares a restarted bot the wait. A pid is judged on
        this host only, where "no such process" is certain.
        """
        host = socket.gethostname()[:32]
        reclaimed = 0
        with self._db.session() as session:
            for worker_id in jobs.running_workers(session, f"{host}:"):
                parts = worker_id.split(":")
                if len(parts) < 2 or not parts[1].isdigit() or int(parts[1]) == os.getpid():
                    continue
                try:
                    os.kill(int(parts[1]), 0)
                except ProcessLookupError:
                    reclaimed += jobs.release(session, worker_id)
                except PermissionError:
                    continue
        if reclaimed:
            log.info("took back %d jobs from workers that died on this host", reclaimed)
        return reclaimed

    def register(self, kind: JobKind[P], handler: Callable[[JobContext[P]], object]) -> None:
        """Bind a job kind to the function that runs it (the last binding wins; what it returns is ignored,
        so a handler that reports counts to its callers, such as pruning, can be bound as it is)."""
        self._handlers[kind.name] = (kind, handler)

    def registered(self) -> frozenset[str]:
        """The names of the job kinds this worker can run."""
        return frozenset(self._handlers)

    def start(self) -> None:
        self.reclaim_from_dead_local_workers()
        for index in range(self._threads):
            max_lane = USER if index < self._user_threads else None
            thread = threading.Thread(target=self._loop, args=(f"{self.worker_prefix}:{index}", max_lane),
                                      name=f"job-worker-{index}", daemon=True)
            thread.start()
            self._pool.append(thread)
        if self._signal is not None:
            self._signal.listen(self.wake_local)

    def wake(self) -> None:
        """New work was recorded: wake this process's workers and tell those of other processes."""
        self.wake_local()
        if self._signal is not None:
            self._signal.notify()

    def wake_local(self) -> None:
        with self._wake:
            self._pending_wakeups += 1
            self._wake.notify_all()

    def stop(self, timeout: float = 25.0) -> None:
        """Stop taking jobs, let running ones finish within timeout, hand back what is still held."""
        self._stopping.set()
        self.wake_local()
        for thread in self._pool:
            thread.join(timeout=max(0.1, timeout / max(1, len(self._pool))))
        with self._db.session() as session:
            handed_back = sum(jobs.release(session, f"{self.worker_prefix}:{i}") for i in range(self._threads))
        if handed_back:
            log.info("handed back %d unfinished jobs", handed_back)

    def run_once(self, worker_id: str | None = None, max_lane: int | None = None) -> bool:
        """Claim and run one job (of lanes up to max_lane); False when none was ready. Used by the loop and tests."""
        worker_id = worker_id or f"{self.worker_prefix}:once"
        with self._db.session() as session:
            job = jobs.claim(session, worker_id, list(self._handlers), max_lane=max_lane)
            if job is None:
                return False
            kind, raw = job.kind, dict(job.payload)
            context: JobContext[Any] = JobContext(job_id=job.id, attempts=job.attempts, payload=raw)
        job_kind, handler = self._handlers[kind]
        try:
            context = JobContext(job_id=context.job_id, attempts=context.attempts, payload=job_kind.load(raw))
            handler(context)
        except RetryLater as retry:
            job_id, delay, why = context.job_id, timedelta(seconds=retry.delay), str(retry)
            self._bookkeep(job_id, lambda session: jobs.retry_later(session, job_id, worker_id, delay, why))
            return True
        except Exception as exc:  # a job must never take the worker down
            log.error("job %s (%s) failed on attempt %d: %s", context.job_id, kind, context.attempts,
                      "".join(traceback.format_exception_only(exc)).strip())
            log.debug("job failure", exc_info=True)
            job_id, attempts, error = context.job_id, context.attempts, repr(exc)

            def give_back(session: Session) -> None:
                if attempts >= MAX_ATTEMPTS:
                    jobs.fail(session, job_id, worker_id, error)
                else:
                    backoff = timedelta(seconds=min(300, 2 ** attempts))
                    jobs.retry_later(session, job_id, worker_id, backoff, error)

            self._bookkeep(job_id, give_back)
            return True
        self._bookkeep(context.job_id, lambda session: jobs.finish(session, context.job_id, worker_id))
        return True

    def _bookkeep(self, job_id: int, action: Callable[[Session], None]) -> None:
        """Record a job's outcome, retrying while the database is unreachable.

        A job that failed because the database went away (a reset connection, a restart) must not stay
        leased until its 5-minute lease expires: as soon as the database answers again the outcome is
        written and the job is given back (or finished). Only shutdown stops the retrying, and then the
        lease or the next start's reclaim hands the job back.
        """
        wait = BOOKKEEPING_FIRST_WAIT
        while True:
            try:
                with self._db.session() as session:
                    action(session)
                return
            except SQLAlchemyError as exc:
                if self._stopping.is_set():
                    log.error("could not record the outcome of job %s while stopping: %s", job_id, type(exc).__name__)
                    return
                log.warning("could not record the outcome of job %s (%s); retrying in %.1f s",
                            job_id, type(exc).__name__, wait)
                self._stopping.wait(wait)
                wait = min(wait * 2, BOOKKEEPING_MAX_WAIT)

    def take_intake(self) -> int:
        """Apply what acknowledgements recorded; 0 when there is none or another thread is at it."""
        if self.intake is None or not self._intake_lock.acquire(blocking=False):
            return 0
        try:
            return self.intake()
        finally:
            self._intake_lock.release()

    def _loop(self, worker_id: str, max_lane: int | None = None) -> None:
        while not self._stopping.is_set():
            try:
                self.take_intake()
            except Exception:
                log.exception("worker %s could not read the inbox; retrying", worker_id)
            try:
                if self.run_once(worker_id, max_lane):
                    continue
            except Exception:
                log.exception("worker %s could not claim a job; retrying", worker_id)
            with self._wake:
                if self._pending_wakeups == 0 and not self._stopping.is_set():
                    self._wake.wait(timeout=self._poll)
                self._pending_wakeups = max(0, self._pending_wakeups - 1)
