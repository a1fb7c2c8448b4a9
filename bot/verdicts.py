"""Votes in, verdicts out: the team's reactions and button clicks recorded faithfully.

The verdict rule (documented in the README, deterministic):

* every eligible person has one vote: their most recent active one (a reaction still on the message,
  or their button choice); withdrawing it (removing the reaction) falls back to their previous active
  one, if any;
* no votes: the claim is Open;
* otherwise the verdict with the most distinct voters wins; a tie at the top between different
  verdicts makes the claim Disputed;
* with VERDICT_QUORUM = n, a winning verdict needs at least n voters, else the claim stays Open.

Recording is idempotent and serialised per claim: the claim row is locked (FOR UPDATE on PostgreSQL,
BEGIN IMMEDIATE on SQLite) while its vote state changes, each vote event has a unique key, and the
active-vote slots are keyed by (claim, user, source). Two reactions arriving at once, or one event
delivered twice, therefore give one correct result. Vote events and verdict changes are append-only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.verdict_scale import VerdictScale, base_emoji
from storage import jobs
from storage.models import ActiveVote, Claim, VerdictChange, Vote, utcnow
from storage.upsert import insert_ignore_id

log = logging.getLogger(__name__)

REFRESH_CLAIM = "refresh_claim"
NOTIFY_INELIGIBLE = "notify_ineligible"
BUTTON_SOURCE = "button"


@dataclass(frozen=True)
class Decision:
    status: str  # open | resolved | disputed
    verdict: str | None
    voters: dict[str, list[str]]  # verdict -> user ids, in voting order


def decide(votes: Iterable[tuple[str, str, datetime]], quorum: int = 1) -> Decision:
    """Apply the verdict rule to (user, verdict, voted_at) active votes of eligible users."""
    latest: dict[str, tuple[datetime, str]] = {}
    for user, verdict, voted_at in votes:
        if user not in latest or (voted_at, verdict) > latest[user]:
            latest[user] = (voted_at, verdict)
    voters: dict[str, list[str]] = {}
    for user, (_at, verdict) in sorted(latest.items(), key=lambda item: (item[1][0], item[0])):
        voters.setdefault(verdict, []).append(user)
    if not voters:
        return Decision("open", None, voters)
    counts = Counter({verdict: len(users) for verdict, users in voters.items()})
    (leader, top), *rest = counts.most_common()
    if rest and rest[0][1] == top:
        return Decision("disputed", None, voters)
    if top < quorum:
        return Decision("open", None, voters)
    return Decision("resolved", leader, voters)


class Eligibility:
    """Who may decide: everyone, or FACTCHECKERS (user ids U…/W… and user-group ids S…).

    Group membership is read from Slack (usergroups.users.list) and cached, so that recording a vote
    never waits for the network more than once per refresh period.
    """

    def __init__(self, entries: Iterable[str], group_members: Callable[[str], list[str]] | None = None,
                 ttl: float = 600.0) -> None:
        cleaned = [e.strip() for e in entries if e.strip()]
        self.users = frozenset(e for e in cleaned if not e.startswith("S"))
        self.groups = frozenset(e for e in cleaned if e.startswith("S"))
        self._group_members = group_members
        self._ttl = ttl
        self._cache: tuple[float, frozenset[str]] | None = None
        self._lock = threading.Lock()

    @property
    def restricted(self) -> bool:
        return bool(self.users or self.groups)

    def _members(self) -> frozenset[str]:
        if not self.groups or self._group_members is None:
            return frozenset()
        with self._lock:
            if self._cache is None or time.monotonic() - self._cache[0] > self._ttl:
                members: set[str] = set()
                for group in self.groups:
                    try:
                        members.update(self._group_members(group))
                    except Exception as exc:
                        log.warning("could not read members of user group %s: %s", group, exc)
                        if self._cache is not None:
                            return self._cache[1]
                self._cache = (time.monotonic(), frozenset(members))
            return self._cache[1]

    def __call__(self, user: str) -> bool:
        return not self.restricted or user in self.users or user in self._members()


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
        at = _event_time(event_ts)
        emoji = base_emoji(reaction)
        key = f"r:{claim.id}:{user}:{emoji}:{'add' if added else 'remove'}:{event_ts or at.isoformat()}"
        return self._record(session, claim, user, verdict.key, f"reaction:{emoji}", added, key, at, origin)

    def record_button(self, session: Session, *, claim_id: int, user: str, verdict_key: str,
                      action_ts: str | None) -> VoteResult | None:
        """A click on a verdict button: the user's button vote becomes this verdict."""
        if self.scale.get(verdict_key) is None:
            return None
        claim = session.get(Claim, claim_id, with_for_update=True)
        if claim is None:
            return None
        at = _event_time(action_ts)
        key = f"b:{claim.id}:{user}:{verdict_key}:{action_ts or at.isoformat()}"
        return self._record(session, claim, user, verdict_key, BUTTON_SOURCE, True, key, at, "button")

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
        session.flush()
        decision, changed = self.recompute(session, claim, vote_id)
        if not eligible and added:
            jobs.enqueue(session, NOTIFY_INELIGIBLE, f"ineligible:{user}",
                         {"user": user, "channel": claim.channel_id, "thread_ts": claim.message_ts})
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
        jobs.enqueue(session, REFRESH_CLAIM, f"refresh:{claim.id}:{claim.version}", {"claim_id": claim.id})
        return decision, changed

    def decision_for(self, session: Session, claim_id: int) -> Decision:
        rows = session.execute(select(ActiveVote.user_id, ActiveVote.verdict, ActiveVote.voted_at).where(
            ActiveVote.claim_id == claim_id, ActiveVote.active.is_(True))).all()
        return decide(((u, v, at) for u, v, at in rows if self.eligibility(u) and self.scale.get(v)), self.quorum)


def _event_time(slack_ts: str | None) -> datetime:
    try:
        return datetime.fromtimestamp(float(slack_ts), UTC) if slack_ts else utcnow()
    except (TypeError, ValueError, OverflowError):
        return utcnow()


def verdict_history(session: Session, claim_id: int) -> list[VerdictChange]:
    return list(session.scalars(select(VerdictChange).where(VerdictChange.claim_id == claim_id)
                                .order_by(VerdictChange.id)))


def vote_history(session: Session, claim_id: int) -> list[Vote]:
    return list(session.scalars(select(Vote).where(Vote.claim_id == claim_id).order_by(Vote.created_at, Vote.id)))
