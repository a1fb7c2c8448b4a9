"""Keeping Slack in step with the recorded verdicts (background jobs).

* refresh_claim: rewrite the claim message in place (chat.update) with status, voters and time, and
  post a thread note only when the verdict actually changed since the last note. One worker at a time
  renders a claim (a short lease on the claim row), and it always renders the newest state, so a late
  job can never put an old verdict back.
* notify_ineligible: tell someone, once, why their reaction did not count.
* reconcile_sweep / reconcile_claim: catch up on reactions given while the bot was down or an event
  was lost, by comparing reactions.get with the recorded active votes and recording the difference.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, select, update

from bot.pipeline import article_info
from bot.publisher import SlackPublisher
from bot.verdict_scale import VerdictScale, base_emoji
from bot.verdicts import Decision, VerdictRecorder
from bot.views import ClaimView, Message, claim_message, ineligible_notice, verdict_note
from bot.worker import JobContext, RetryLater
from storage import jobs
from storage.db import Database
from storage.models import ActiveVote, Claim, utcnow

log = logging.getLogger(__name__)

RECONCILE_SWEEP = "reconcile_sweep"
RECONCILE_CLAIM = "reconcile_claim"
RENDER_LEASE = timedelta(seconds=30)
RECENT = timedelta(days=14)


def _mentions(users: list[str]) -> str:
    return ", ".join(f"<@{u}>" for u in users)


def status_line(claim: Claim, decision: Decision, scale: VerdictScale, quorum: int) -> str:
    """`Verdict: False — @maria`, `Disputed — True: @a · False: @b`, `Open`, ..."""
    def label(key: str) -> str:
        verdict = scale.get(key)
        return verdict.label if verdict else key

    if decision.status == "resolved" and decision.verdict:
        return f"Verdict: *{label(decision.verdict)}* — {_mentions(decision.voters[decision.verdict])}"
    groups = " · ".join(f"{label(k)}: {_mentions(v)}" for k, v in decision.voters.items())
    if decision.status == "disputed":
        return f"*Disputed* — {groups}"
    if decision.voters:
        total = sum(len(v) for v in decision.voters.values())
        return f"Open — {total} vote{'s' if total != 1 else ''} so far, {quorum} needed for a verdict: {groups}"
    return "Open"


class ClaimUpdater:
    def __init__(self, db: Database, publisher: SlackPublisher, recorder: VerdictRecorder, scale: VerdictScale,
                 quorum: int = 1) -> None:
        self.db = db
        self.publisher = publisher
        self.recorder = recorder
        self.scale = scale
        self.quorum = quorum

    # -- refresh ------------------------------------------------------------------------------

    def refresh_claim(self, context: JobContext) -> None:
        claim_id = int(context.payload["claim_id"])
        now = utcnow()
        with self.db.session() as session:
            taken = session.execute(
                update(Claim).where(Claim.id == claim_id, Claim.message_ts.is_not(None),
                                    or_(Claim.render_lease_until.is_(None), Claim.render_lease_until < now))
                .values(render_lease_until=now + RENDER_LEASE)
            ).rowcount
            if not taken:
                claim = session.get(Claim, claim_id)
                if claim is None or claim.message_ts is None or claim.rendered_version >= claim.version:
                    return
                raise RetryLater(0.5, "another worker is updating this claim message")
        try:
            self._render_until_current(claim_id, resume=context.attempts > 1)
        finally:
            with self.db.session() as session:
                session.execute(update(Claim).where(Claim.id == claim_id).values(render_lease_until=None))

    def _render_until_current(self, claim_id: int, resume: bool) -> None:
        for _ in range(10):
            with self.db.session() as session:
                claim = session.get(Claim, claim_id)
                assert claim is not None and claim.channel_id and claim.message_ts
                if claim.version <= claim.rendered_version:
                    return
                version = claim.version
                decision = self.recorder.decision_for(session, claim_id)
                line = status_line(claim, decision, self.scale, self.quorum)
                stamp = int(utcnow().timestamp())
                details = [f"Updated <!date^{stamp}^{{date_short_pretty}} at {{time}}|{utcnow():%Y-%m-%d %H:%M} UTC>"]
                view = ClaimView(number=claim.position, text=claim.text, quote=claim.quote, speaker=claim.speaker,
                                 status=line, details=details)
                message = claim_message(claim.id, view, article_info(claim.article), self.scale)
                announce = (claim.status, claim.verdict) != (claim.announced_status, claim.announced_verdict)
                note = None
                if announce:
                    voters = " · ".join(f"{(self.scale.get(k).label if self.scale.get(k) else k)}: {_mentions(v)}"
                                        for k, v in decision.voters.items())
                    note = verdict_note(self.scale.status_label(claim.status, claim.verdict),
                                        self.scale.status_label(claim.announced_status, claim.announced_verdict),
                                        f"Votes: {voters}" if voters else "No votes left.")
                    note = Message(text=note.text, blocks=note.blocks, metadata={
                        "event_type": "factcheck_verdict",
                        "event_payload": {"claim_id": claim.id, "version": version}})
                    new_announced = (claim.status, claim.verdict)
                channel, ts = claim.channel_id, claim.message_ts
            self.publisher.update(channel, ts, message)
            if note is not None:
                self.publisher.post(channel, note, thread_ts=ts, resume=resume)
            with self.db.session() as session:
                claim = session.get(Claim, claim_id)
                assert claim is not None
                claim.rendered_version = max(claim.rendered_version, version)
                if note is not None:
                    claim.announced_status, claim.announced_verdict = new_announced

    # -- ineligible voters --------------------------------------------------------------------

    def notify_ineligible(self, context: JobContext) -> None:
        payload = context.payload
        self.publisher.ephemeral(payload["channel"], payload["user"], ineligible_notice(payload["user"]),
                                 thread_ts=payload.get("thread_ts"))

    # -- reconciliation -----------------------------------------------------------------------

    def reconcile_sweep(self, context: JobContext) -> None:
        """Queue a reconciliation of every open or recently changed claim."""
        since = utcnow() - RECENT
        stamp = context.payload.get("stamp", context.job_id)
        with self.db.session() as session:
            ids = session.scalars(select(Claim.id).where(
                Claim.message_ts.is_not(None),
                or_(Claim.status != "resolved", Claim.resolved_at >= since, Claim.created_at >= since))).all()
            for claim_id in ids:
                jobs.enqueue(session, RECONCILE_CLAIM, f"reconcile:{claim_id}:{stamp}", {"claim_id": claim_id})
        log.info("reconciliation queued for %d claims", len(ids))

    def reconcile_claim(self, context: JobContext) -> None:
        claim_id = int(context.payload["claim_id"])
        with self.db.session() as session:
            claim = session.get(Claim, claim_id)
            if claim is None or not claim.channel_id or not claim.message_ts:
                return
            channel, ts = claim.channel_id, claim.message_ts
        try:
            answer = self.publisher.reader.reactions_get(channel=channel, timestamp=ts, full=True)
        except SlackApiError as exc:
            if exc.response.get("error") in ("message_not_found", "channel_not_found", "not_in_channel"):
                log.info("claim %s: message gone (%s); nothing to reconcile", claim_id, exc.response.get("error"))
                return
            raise
        present: set[tuple[str, str]] = set()
        for reaction in (answer.get("message") or {}).get("reactions") or []:
            name = base_emoji(str(reaction.get("name", "")))
            if self.scale.for_emoji(name) is None:
                continue
            present.update((str(user), name) for user in reaction.get("users") or [])
        bot_user = self.publisher.identity().get("user_id")
        present = {(user, emoji) for user, emoji in present if user != bot_user}
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
            claim.reconciled_at = utcnow()
        if missed_adds or missed_removals:
            log.info("claim %s: reconciled %d missed reactions and %d missed removals", claim_id,
                     len(missed_adds), len(missed_removals))
