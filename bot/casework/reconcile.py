"""Catching up on reactions given while the bot was down or whose event was lost.

Each claim's reactions as Slack holds them (reactions.get) are compared with the recorded active votes
and the difference is recorded as votes with origin "reconcile", so the audit trail says so. Runs at
every start and every RECONCILE_INTERVAL_MINUTES, for open claims and those changed recently.

A sweep must scale to a desk with 100k open claims without getting in anyone's way:

* its jobs sit in the maintenance lane, behind every user-facing and background job;
* it walks the claims in id order, one bounded batch at a time (a cursor in the batch job), so each
  transaction is small and a restart resumes the sweep where it was instead of starting it again;
* its claims are due one after another, spaced so that the reactions.get calls stay within
  RECONCILE_PER_MINUTE (Slack's Tier 3 allows about 50 a minute), and the next batch is due after the
  last of them;
* a new sweep (a tick, a restart) starts only when the previous one has finished.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.sql.elements import ColumnElement

from bot.casework import assignment
from bot.config.verdict_scale import VerdictScale, base_emoji
from bot.infra.job_kinds import RECONCILE_BATCH, RECONCILE_CLAIM, ClaimRef, ReconcileBatch, Tick
from bot.infra.worker import JobContext
from bot.slack.gateway import SlackGateway, SlackRefused
from bot.verdicts.recorder import VerdictRecorder
from storage import jobs
from storage.db import Database
from storage.models import ActiveVote, Claim, utcnow

log = logging.getLogger(__name__)

RECENT = timedelta(days=14)
# The most claims one batch job queues (and so one transaction writes).
MAX_BATCH = 200


def _worth_reconciling(since: object) -> ColumnElement[bool]:
    return Claim.message_ts.is_not(None) & or_(Claim.status != "resolved", Claim.resolved_at >= since,
                                               Claim.created_at >= since)


class Reconciler:
    def __init__(self, db: Database, gateway: SlackGateway, recorder: VerdictRecorder, scale: VerdictScale,
                 assign_emoji: str | None = None, per_minute: int = 50) -> None:
        self.db = db
        self.batch = max(1, min(MAX_BATCH, per_minute))
        # Each claim of a batch is due this long after the one before, so that reactions.get is called at
        # most per_minute times a minute, evenly; the next batch is due after the last of them.
        self.spacing = timedelta(seconds=60.0 / per_minute)
        self.gateway = gateway
        self.recorder = recorder
        self.scale = scale
        self.assign_emoji = assign_emoji

    def reconcile_sweep(self, context: JobContext[Tick]) -> None:
        """Start a sweep over every open or recently changed claim, unless one is still under way."""
        stamp = context.payload.stamp or str(context.job_id)
        with self.db.session() as session:
            if jobs.active(session, RECONCILE_BATCH.name):
                log.info("reconciliation: the previous sweep is still under way; not starting another")
                return
            RECONCILE_BATCH.enqueue(session, ReconcileBatch(stamp, 0), f"reconcile_batch:{stamp}:0")

    def reconcile_batch(self, context: JobContext[ReconcileBatch]) -> None:
        """Queue the next batch of claims of a sweep, and the batch after it, due when the rate allows."""
        sweep, after = context.payload.sweep, context.payload.after
        now = utcnow()
        with self.db.session() as session:
            ids = list(session.scalars(select(Claim.id).where(Claim.id > after, _worth_reconciling(now - RECENT))
                                       .order_by(Claim.id).limit(self.batch)))
            for index, claim_id in enumerate(ids):
                RECONCILE_CLAIM.enqueue(session, ClaimRef(claim_id), f"reconcile:{claim_id}:{sweep}",
                                        run_after=now + self.spacing * index)
            if len(ids) == self.batch:
                RECONCILE_BATCH.enqueue(session, ReconcileBatch(sweep, ids[-1]), f"reconcile_batch:{sweep}:{ids[-1]}",
                                        run_after=now + self.spacing * len(ids))
        log.info("reconciliation %s: queued %d claims after id %d", sweep, len(ids), after)

    def reconcile_claim(self, context: JobContext[ClaimRef]) -> None:
        claim_id = context.payload.claim_id
        with self.db.session() as session:
            claim = session.get(Claim, claim_id)
            if claim is None or not claim.channel_id or not claim.message_ts:
                return
            channel, ts = claim.channel_id, claim.message_ts
        try:
            reactions = self.gateway.reactions_on(channel, ts)
        except SlackRefused as refused:
            if refused.code in ("message_not_found", "channel_not_found", "not_in_channel"):
                log.info("claim %s: message gone (%s); nothing to reconcile", claim_id, refused.code)
                return
            raise
        present: set[tuple[str, str]] = set()
        assigning: set[str] = set()
        for reaction in reactions:
            name = base_emoji(str(reaction.get("name", "")))
            if self.assign_emoji and name == self.assign_emoji:
                assigning.update(str(user) for user in reaction.get("users") or [])
            if self.scale.for_emoji(name) is None:
                continue
            present.update((str(user), name) for user in reaction.get("users") or [])
        bot_user = self.gateway.identity().get("user_id")
        present = {(user, emoji) for user, emoji in present if user != bot_user}
        assigning.discard(str(bot_user))
        with self.db.session() as session:
            claim = session.get(Claim, claim_id, with_for_update=True)
            assert claim is not None
            slots = session.scalars(select(ActiveVote).where(
                ActiveVote.claim_id == claim_id, ActiveVote.source.like("reaction:%"))).all()
            recorded = {(s.user_id, s.source.split(":", 1)[1]) for s in slots if s.active}
            missed_adds = sorted(present - recorded)
            missed_removals = sorted(recorded - present)
            for user, emoji in missed_adds:
                self.recorder.record_reaction(session, channel=channel, ts=ts, user=user, reaction=emoji,
                                              added=True, event_ts=None, origin="reconcile")
            for user, emoji in missed_removals:
                self.recorder.record_reaction(session, channel=channel, ts=ts, user=user, reaction=emoji,
                                              added=False, event_ts=None, origin="reconcile")
            taken, handed_back = (assignment.reconcile(session, claim, assigning, utcnow()) if self.assign_emoji
                                  else (0, 0))
            claim.reconciled_at = utcnow()
        if taken or handed_back:
            log.info("claim %s: reconciled %d missed takes and %d missed hand-backs", claim_id, taken, handed_back)
        if missed_adds or missed_removals:
            log.info("claim %s: reconciled %d missed reactions and %d missed removals", claim_id,
                     len(missed_adds), len(missed_removals))
