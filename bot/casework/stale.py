"""Claims nobody has touched: one reminder in the thread, naming whoever is on it.

A periodic sweep (scheduled through PeriodicJobs, so once per period across processes) finds claims
still open or disputed whose last activity (creation, votes, takes, sources, thread replies) is older
than STALE_AFTER_DAYS and that were not nudged within that time either. Each is claimed for nudging
by a guarded UPDATE of `nudged_at` (two sweeps cannot both win), and the reminder is a job of its
own whose post carries metadata, so a retried job finds the earlier post instead of posting twice.
Resolved claims are never nudged; a nudge is not itself activity.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, update

from bot.casework.state import assignees
from bot.casework.trail import NUDGED, record_event
from bot.casework.views import stale_nudge
from bot.infra.job_kinds import NUDGE_CLAIM, StaleNudge, Tick
from bot.infra.worker import JobContext
from bot.slack.gateway import SlackGateway
from storage.db import Database
from storage.models import Claim
from storage.upsert import rows_changed

log = logging.getLogger(__name__)

SWEEP_MINUTES = 60
BATCH = 200
UNRESOLVED = ("open", "disputed")


class StaleClaims:
    def __init__(self, db: Database, gateway: SlackGateway, *, stale_after_days: int, assign_emoji: str,
                 wake: Callable[[], None], clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.gateway = gateway
        self.stale_after = timedelta(days=stale_after_days)
        self.days = stale_after_days
        self.assign_emoji = assign_emoji
        self.wake = wake
        self.clock = clock

    def stale_sweep(self, context: JobContext[Tick]) -> None:
        self.sweep()

    def sweep(self) -> int:
        """Queue one nudge per stale claim; returns how many were queued."""
        now = self.clock()
        threshold = now - self.stale_after
        quiet = or_(Claim.last_activity_at < threshold,
                    and_(Claim.last_activity_at.is_(None), Claim.created_at < threshold))
        not_recently_nudged = or_(Claim.nudged_at.is_(None), Claim.nudged_at < threshold)
        queued = 0
        with self.db.session() as session:
            ids = list(session.scalars(select(Claim.id).where(
                Claim.message_ts.is_not(None), Claim.status.in_(UNRESOLVED), quiet, not_recently_nudged)
                .order_by(Claim.created_at, Claim.id).limit(BATCH)))
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        for claim_id in ids:
            with self.db.session() as session:
                won = rows_changed(session.execute(update(Claim).where(
                    Claim.id == claim_id, Claim.status.in_(UNRESOLVED), not_recently_nudged)
                    .values(nudged_at=now)))
                if not won:
                    continue
                claim = session.get(Claim, claim_id)
                assert claim is not None
                record_event(session, claim, user=None, kind=NUDGED, key=f"nudge:{claim_id}:{stamp}", at=now)
                NUDGE_CLAIM.enqueue(session, StaleNudge(claim_id, stamp), f"nudge:{claim_id}:{stamp}")
                queued += 1
        if queued:
            log.info("%d stale claim(s) to nudge", queued)
            self.wake()
        return queued

    def nudge_claim(self, context: JobContext[StaleNudge]) -> None:
        payload = context.payload
        with self.db.session() as session:
            claim = session.get(Claim, payload.claim_id)
            if claim is None or claim.status not in UNRESOLVED or not claim.channel_id or not claim.message_ts:
                return  # resolved since the sweep: no reminder
            people = [user for user, _since in assignees(session, [claim.id]).get(claim.id, [])]
            last = claim.last_activity_at or claim.created_at
            channel, ts = claim.channel_id, claim.message_ts
        quiet_days = max(self.days, (self.clock() - last).days)
        message = stale_nudge(payload.claim_id, payload.stamp, people, quiet_days, self.assign_emoji)
        self.gateway.post(channel, message, thread_ts=ts, resume=context.attempts > 1)
