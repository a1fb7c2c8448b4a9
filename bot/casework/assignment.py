"""Taking a claim ("I'm on it") and handing it back, by button or by reaction.

Several people may be on one claim; each has one slot per claim, switched on when they take it and
off when they hand it back. Only someone on the claim can hand it back, so a stray click changes
nothing. The slots are the present; the ClaimEvents are the history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.casework.trail import ASSIGNED, RELEASED, changed, claim_at, lock_claim, record_event
from bot.config.verdict_scale import base_emoji
from storage.models import Claim, ClaimAssignee, ClaimEvent


def take(session: Session, claim: Claim, user: str, *, via: str, key: str, at: datetime) -> bool:
    """Put `user` on the claim; False when they already are (or this event was already recorded)."""
    slot = session.scalars(select(ClaimAssignee).where(ClaimAssignee.claim_id == claim.id,
                                                       ClaimAssignee.user_id == user)).first()
    if slot is not None and slot.active:
        return False
    if not record_event(session, claim, user=user, kind=ASSIGNED, key=key, detail={"via": via}, at=at):
        return False
    if slot is None:
        session.add(ClaimAssignee(claim_id=claim.id, user_id=user, active=True, since=at))
    else:
        slot.active, slot.since = True, at
    changed(session, claim, activity=at)
    return True


def hand_back(session: Session, claim: Claim, user: str, *, via: str, key: str, at: datetime) -> bool:
    """Take `user` off the claim; False when they were not on it."""
    slot = session.scalars(select(ClaimAssignee).where(ClaimAssignee.claim_id == claim.id,
                                                       ClaimAssignee.user_id == user,
                                                       ClaimAssignee.active.is_(True))).first()
    if slot is None:
        return False
    if not record_event(session, claim, user=user, kind=RELEASED, key=key, detail={"via": via}, at=at):
        return False
    slot.active = False
    changed(session, claim, activity=at)
    return True


def by_button(session: Session, claim_id: int, user: str, *, taking: bool, action_ts: str | None,
              at: datetime) -> bool:
    claim = lock_claim(session, claim_id)
    if claim is None or not user:
        return False
    key = f"{'take' if taking else 'release'}:b:{claim_id}:{user}:{action_ts or at.isoformat()}"
    if taking:
        return take(session, claim, user, via="button", key=key, at=at)
    return hand_back(session, claim, user, via="button", key=key, at=at)


def by_reaction(session: Session, *, assign_emoji: str, channel: str, ts: str, user: str, reaction: str,
                added: bool, event_ts: str | None, at: datetime) -> bool | None:
    """The assignment reaction on a claim message; None when this reaction is not about assignment."""
    if base_emoji(reaction) != assign_emoji or not user:
        return None
    claim = claim_at(session, channel, ts)
    if claim is None:
        return None
    key = f"{'take' if added else 'release'}:r:{claim.id}:{user}:{event_ts or at.isoformat()}"
    if added:
        return take(session, claim, user, via="reaction", key=key, at=at)
    return hand_back(session, claim, user, via="reaction", key=key, at=at)


def reconcile(session: Session, claim: Claim, reacting: set[str], at: datetime) -> tuple[int, int]:
    """Catch up on assignment reactions given or removed while the bot was not listening.

    `reacting`: who has the assignment reaction on the claim message in Slack now. A missed add is taken
    only from someone with no assignment history on the claim at all (whoever handed back by button and
    left their reaction on must not be put back on every pass); a missed removal hands back only
    someone whose latest take came by reaction (a button take is not undone by a reaction's absence).
    Returns (taken, handed back); both are recorded in the trail with `via: reconcile`.
    """
    history = [e for e in session.scalars(select(ClaimEvent).where(
        ClaimEvent.claim_id == claim.id, ClaimEvent.kind.in_((ASSIGNED, RELEASED))).order_by(ClaimEvent.id))]
    seen_users = {e.user_id for e in history}
    taken = sum(take(session, claim, user, via="reconcile", key=f"take:reconcile:{claim.id}:{user}", at=at)
                for user in sorted(reacting - seen_users))
    latest_take = {e.user_id: e for e in history if e.kind == ASSIGNED}
    active = session.scalars(select(ClaimAssignee.user_id).where(ClaimAssignee.claim_id == claim.id,
                                                                 ClaimAssignee.active.is_(True))).all()
    released = 0
    for user in sorted(active):
        last = latest_take.get(user)
        if user in reacting or last is None or (last.detail or {}).get("via") not in ("reaction", "reconcile"):
            continue
        released += hand_back(session, claim, user, via="reconcile",
                              key=f"release:reconcile:{claim.id}:{user}:{last.id}", at=at)
    return taken, released
