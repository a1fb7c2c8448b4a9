"""Keeping the claim messages in step with the recorded verdicts (background jobs).

* refresh_claim: rewrite the claim message in place (chat.update) with status, voters and time, and
  post a thread note only when the verdict actually changed since the last note. One worker at a time
  renders a claim (a short lease on the claim row), and it always renders the newest state, so a late
  job can never put an old verdict back.
* notify_ineligible: tell someone, once, why their reaction did not count.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from sqlalchemy import or_, update

from bot.casework.state import assignees, source_counts
from bot.casework.views import casework_details
from bot.config.verdict_scale import VerdictScale
from bot.infra.job_kinds import ClaimRef, IneligibleVoter
from bot.infra.worker import JobContext, RetryLater
from bot.publishing.rows import article_info, claim_view
from bot.publishing.views import claim_message, ineligible_notice, verdict_note
from bot.slack.gateway import SlackGateway
from bot.verdicts.recorder import VerdictRecorder
from bot.verdicts.rule import Decision
from storage.db import Database
from storage.models import Claim, utcnow
from storage.upsert import rows_changed

log = logging.getLogger(__name__)

RENDER_LEASE = timedelta(seconds=30)


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


class ClaimMessages:
    def __init__(self, db: Database, gateway: SlackGateway, recorder: VerdictRecorder, scale: VerdictScale,
                 quorum: int = 1, assign_emoji: str = "eyes") -> None:
        self.db = db
        self.assign_emoji = assign_emoji
        self.gateway = gateway
        self.recorder = recorder
        self.scale = scale
        self.quorum = quorum

    # -- refresh ------------------------------------------------------------------------------

    def refresh_claim(self, context: JobContext[ClaimRef]) -> None:
        claim_id = context.payload.claim_id
        now = utcnow()
        with self.db.session() as session:
            taken = rows_changed(session.execute(
                update(Claim).where(Claim.id == claim_id, Claim.message_ts.is_not(None),
                                    or_(Claim.render_lease_until.is_(None), Claim.render_lease_until < now))
                .values(render_lease_until=now + RENDER_LEASE)
            ))
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
            # Reading and rendering take no write lock (on SQLite a write session is BEGIN IMMEDIATE, which
            # the web process's acknowledgements queue behind); the render lease taken in refresh_claim
            # keeps other workers off this claim, and only the version written below needs a write.
            with self.db.read_session() as session:
                claim = session.get(Claim, claim_id)
                assert claim is not None and claim.channel_id and claim.message_ts
                if claim.version <= claim.rendered_version:
                    return
                version = claim.version
                decision = self.recorder.decision_for(session, claim_id)
                line = status_line(claim, decision, self.scale, self.quorum)
                stamp = int(utcnow().timestamp())
                details = casework_details(assignees(session, [claim.id]).get(claim.id, []),
                                           source_counts(session, [claim.id]).get(claim.id, 0),
                                           claim.explanation, claim.published_url, self.assign_emoji)
                details.append(f"Updated <!date^{stamp}^{{date_short_pretty}} at {{time}}|"
                               f"{utcnow():%Y-%m-%d %H:%M} UTC>")
                view = dataclasses.replace(claim_view(claim, self.scale), permalink=None, status=line,
                                           details=details, resolved=claim.status == "resolved",
                                           explained=bool(claim.explanation))
                message = claim_message(claim.id, view, article_info(claim.article), self.scale)
                announce = (claim.status, claim.verdict) != (claim.announced_status, claim.announced_verdict)
                note = None
                if announce:
                    voters = " · ".join(f"{self.scale.label(k)}: {_mentions(v)}"
                                        for k, v in decision.voters.items())
                    note = verdict_note(claim.id, version, self.scale.status_label(claim.status, claim.verdict),
                                        self.scale.status_label(claim.announced_status, claim.announced_verdict),
                                        f"Votes: {voters}" if voters else "No votes left.",
                                        explain=claim.status == "resolved")
                    new_announced = (claim.status, claim.verdict)
                channel, ts = claim.channel_id, claim.message_ts
            self.gateway.update(channel, ts, message)
            if note is not None:
                self.gateway.post(channel, note, thread_ts=ts, resume=resume)
            with self.db.session() as session:
                claim = session.get(Claim, claim_id)
                assert claim is not None
                claim.rendered_version = max(claim.rendered_version, version)
                if note is not None:
                    claim.announced_status, claim.announced_verdict = new_announced

    # -- ineligible voters --------------------------------------------------------------------

    def notify_ineligible(self, context: JobContext[IneligibleVoter]) -> None:
        payload = context.payload
        if payload.channel:
            self.gateway.post_ephemeral(payload.channel, payload.user, ineligible_notice(payload.user),
                                        thread_ts=payload.thread_ts)
