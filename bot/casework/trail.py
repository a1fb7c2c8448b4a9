"""The workflow's audit trail and the one way a workflow change reaches the claim message.

Recording is idempotent through each event's key: a redelivered Slack event, a double click or a
retried job finds its event already there and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.infra.job_kinds import REFRESH_CLAIM, ClaimRef
from storage.models import Claim, ClaimEvent, utcnow
from storage.upsert import insert_ignore_id

ASSIGNED = "assigned"
RELEASED = "released"
SOURCE_ADDED = "source_added"
EXPLANATION_SET = "explanation_set"
NUDGED = "nudged"


def lock_claim(session: Session, claim_id: int) -> Claim | None:
    """The claim row, locked for this transaction (serialises workflow and vote changes per claim)."""
    return session.get(Claim, claim_id, with_for_update=True)


def claim_at(session: Session, channel: str, ts: str) -> Claim | None:
    return session.scalars(select(Claim).where(Claim.channel_id == channel, Claim.message_ts == ts)
                           .with_for_update()).first()


def record_event(session: Session, claim: Claim, *, user: str | None, kind: str, key: str,
                 detail: dict[str, Any] | None = None, at: datetime | None = None) -> bool:
    """Append one event; False when an event with this key is already recorded (nothing to do)."""
    created = insert_ignore_id(session, ClaimEvent.__table__, {  # type: ignore[arg-type]
        "claim_id": claim.id, "user_id": user, "kind": kind, "detail": detail, "event_key": key[:255],
        "created_at": at or utcnow()}, ["event_key"])
    return created is not None


def changed(session: Session, claim: Claim, *, activity: datetime | None = None) -> None:
    """A workflow change: counts as activity, and the claim message is re-rendered (in the background)."""
    when = activity or utcnow()
    if claim.last_activity_at is None or claim.last_activity_at < when:
        claim.last_activity_at = when
    claim.version += 1
    REFRESH_CLAIM.enqueue(session, ClaimRef(claim.id), f"refresh:{claim.id}:{claim.version}")


def events_for(session: Session, claim_id: int) -> list[ClaimEvent]:
    return list(session.scalars(select(ClaimEvent).where(ClaimEvent.claim_id == claim_id).order_by(ClaimEvent.id)))
