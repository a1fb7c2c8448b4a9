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
from bot.verdicts.scale import base_emoji
from storage.models import Claim, ClaimAssignee


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
