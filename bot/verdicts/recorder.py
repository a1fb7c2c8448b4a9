"""Votes in, verdicts out: the team's reactions and button clicks recorded faithfully.

The rule itself is bot.verdicts.rule. Recording is idempotent and serialised per claim: the claim row
is locked (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite) while its vote state changes, each vote
event has a unique key, and the active-vote slots are keyed by (claim, user, source). Two reactions
arriving at once, or one event delivered twice, therefore give one correct result. Vote events and
verdict changes are append-only: together they are the audit trail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config.verdict_scale import VerdictScale, base_emoji
from bot.infra.job_kinds import NOTIFY_INELIGIBLE, REFRESH_CLAIM, ClaimRef, IneligibleVoter
from bot.slack.timestamps import slack_time
from bot.verdicts.eligibility import Eligibility
from bot.verdicts.rule import Decision, decide
from storage.models import ActiveVote, Claim, VerdictChange, Vote, utcnow
from storage.upsert import insert_ignore_id

log = logging.getLogger(__name__)

BUTTON_SOURCE = "button"


@dataclass(frozen=True)
class VoteResult:
    claim_id: int
    recorded: bool
    eligible: bool
    decision: Decision | None
    changed: bool


class VerdictRecorder:
    def __init__(self, scale: VerdictScale, eligibility: Eligibility, quorum: int = 1,
                 bot_user_id: Callable[[], str | None] = lambda: None) -> None:
        self.scale = scale
        self.eligibility = eligibility
        self.quorum = quorum
        self._bot_user_id = bot_user_id

    def claim_for_message(self, session: Session, channel: str, ts: str) -> Claim | None:
        return session.scalars(
            select(Claim).where(Claim.channel_id == channel, Claim.message_ts == ts).with_for_update()
        ).first()

    def record_reaction(self, session: Session, *, channel: str, ts: str, user: str, reaction: str, added: bool,
                        event_ts: str | None, origin: str = "event") -> VoteResult | None:
        """A reaction on a message; None when it is not a vote (not a claim, no verdict, the bot's own)."""
        verdict = self.scale.for_emoji(reaction)
        if verdict is None or not user or user == self._bot_user_id():
            return None
        claim = self.claim_for_message(session, channel, ts)
        if claim is None:
            return None
        at = slack_time(event_ts)
        emoji = base_emoji(reaction)
        key = f"r:{claim.id}:{user}:{emoji}:{'add' if added else 'remove'}:{event_ts or at.isoformat()}"
        return self._record(session, claim, user, verdict.key, f"reaction:{emoji}", added, key, at, origin)

    def record_button(self, session: Session, *, claim_id: int, user: str, verdict_key: str,
                      action_ts: str | None, origin: str = "button") -> VoteResult | None:
        """A click on a verdict button: the user's button vote becomes this verdict.

        `origin` says which button in the audit trail ("button", or "same_claim" when the verdict was
        carried over from the earlier claim this one matched).
        """
        if self.scale.get(verdict_key) is None:
            return None
        claim = session.get(Claim, claim_id, with_for_update=True)
        if claim is None:
            return None
        at = slack_time(action_ts)
        key = f"b:{claim.id}:{user}:{verdict_key}:{action_ts or at.isoformat()}"
        return self._record(session, claim, user, verdict_key, BUTTON_SOURCE, True, key, at, origin)

    def record_same_claim(self, session: Session, *, claim_id: int, user: str,
                          action_ts: str | None) -> VoteResult | None:
        """"Same claim": the user's vote becomes the verdict of the earlier claim this one matched."""
        claim = session.get(Claim, claim_id)
        earlier = session.get(Claim, claim.seen_claim_id) if claim and claim.seen_claim_id else None
        if earlier is None or earlier.status != "resolved" or not earlier.verdict:
            return None
        return self.record_button(session, claim_id=claim_id, user=user, verdict_key=earlier.verdict,
                                  action_ts=action_ts, origin="same_claim")

    def _record(self, session: Session, claim: Claim, user: str, verdict: str, source: str, added: bool,
                key: str, at: datetime, origin: str) -> VoteResult:
        eligible = self.eligibility(user)
        slot = session.scalars(select(ActiveVote).where(
            ActiveVote.claim_id == claim.id, ActiveVote.user_id == user, ActiveVote.source == source)).first()
        if slot is not None and slot.voted_at > at:
            # An older event arriving late (a retry after a newer one): it cannot change the present.
            return VoteResult(claim.id, False, eligible, None, False)
        unchanged = (slot is not None and slot.active == added and (not added or slot.verdict == verdict)) or (
            slot is None and not added)
        if unchanged:
            return VoteResult(claim.id, False, eligible, None, False)
        vote_id = insert_ignore_id(session, Vote.__table__, {  # type: ignore[arg-type]
            "claim_id": claim.id, "user_id": user, "verdict": verdict, "source": source,
            "action": "added" if added else "withdrawn", "eligible": eligible, "origin": origin,
            "event_key": key, "created_at": at}, ["event_key"])
        if vote_id is None:
            return VoteResult(claim.id, False, eligible, None, False)
        if slot is None:
            session.add(ActiveVote(claim_id=claim.id, user_id=user, source=source, verdict=verdict, active=added,
                                   voted_at=at))
        else:
            slot.verdict, slot.active, slot.voted_at = verdict, added, at
        if claim.last_activity_at is None or claim.last_activity_at < at:
            claim.last_activity_at = at  # a vote is activity: the claim is not stale
        session.flush()
        decision, changed = self.recompute(session, claim, vote_id)
        if not eligible and added and self.eligibility.known:  # never tell someone off on a guess
            NOTIFY_INELIGIBLE.enqueue(session, IneligibleVoter(user, claim.channel_id, claim.message_ts),
                                      f"ineligible:{user}")
        return VoteResult(claim.id, True, eligible, decision, changed)

    def recompute(self, session: Session, claim: Claim, vote_id: int | None = None) -> tuple[Decision, bool]:
        """Re-apply the rule to the claim's active votes; record a change; queue the Slack refresh."""
        decision = self.decision_for(session, claim.id)
        changed = (decision.status, decision.verdict) != (claim.status, claim.verdict)
        if changed:
            session.add(VerdictChange(claim_id=claim.id, old_status=claim.status, old_verdict=claim.verdict,
                                      new_status=decision.status, new_verdict=decision.verdict, vote_id=vote_id,
                                      changed_at=utcnow()))
            claim.status, claim.verdict = decision.status, decision.verdict
            claim.resolved_at = utcnow() if decision.status == "resolved" else None
        claim.version += 1
        REFRESH_CLAIM.enqueue(session, ClaimRef(claim.id), f"refresh:{claim.id}:{claim.version}")
        return decision, changed

    def decision_for(self, session: Session, claim_id: int) -> Decision:
        rows = session.execute(select(ActiveVote.user_id, ActiveVote.verdict, ActiveVote.voted_at).where(
            ActiveVote.claim_id == claim_id, ActiveVote.active.is_(True))).all()
        return decide(((u, v, at) for u, v, at in rows if self.eligibility(u) and self.scale.get(v)), self.quorum)



def verdict_history(session: Session, claim_id: int) -> list[VerdictChange]:
    return list(session.scalars(select(VerdictChange).where(VerdictChange.claim_id == claim_id)
                                .order_by(VerdictChange.id)))


def vote_history(session: Session, claim_id: int) -> list[Vote]:
    return list(session.scalars(select(Vote).where(Vote.claim_id == claim_id).order_by(Vote.created_at, Vote.id)))
