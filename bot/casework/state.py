"""Reading the workflow state of many claims at once (claim message, /claims, exports, weekly summary).

Batched by claim id so that a page of ten claims or an export of thousands costs a few queries, not
one per claim.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import ClaimAssignee, ClaimSource

_CHUNK = 500


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    unique = sorted(set(ids))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start:start + _CHUNK]


def assignees(session: Session, claim_ids: Iterable[int]) -> dict[int, list[tuple[str, datetime]]]:
    """Who is on each claim now, and since when, earliest first."""
    found: dict[int, list[tuple[str, datetime]]] = {}
    for chunk in _chunks(claim_ids):
        rows = session.execute(select(ClaimAssignee.claim_id, ClaimAssignee.user_id, ClaimAssignee.since)
                               .where(ClaimAssignee.claim_id.in_(chunk), ClaimAssignee.active.is_(True))
                               .order_by(ClaimAssignee.since, ClaimAssignee.id)).all()
        for claim_id, user, since in rows:
            found.setdefault(claim_id, []).append((user, since))
    return found


def everyone_who_took(session: Session, claim_ids: Iterable[int]) -> dict[int, list[str]]:
    """Everyone who has been on each claim (on it now or handed back), first taker first."""
    found: dict[int, list[str]] = {}
    for chunk in _chunks(claim_ids):
        rows = session.execute(select(ClaimAssignee.claim_id, ClaimAssignee.user_id)
                               .where(ClaimAssignee.claim_id.in_(chunk))
                               .order_by(ClaimAssignee.since, ClaimAssignee.id)).all()
        for claim_id, user in rows:
            found.setdefault(claim_id, []).append(user)
    return found


def source_counts(session: Session, claim_ids: Iterable[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for chunk in _chunks(claim_ids):
        rows = session.execute(select(ClaimSource.claim_id, func.count(ClaimSource.id))
                               .where(ClaimSource.claim_id.in_(chunk)).group_by(ClaimSource.claim_id)).all()
        counts.update({claim_id: int(n) for claim_id, n in rows})
    return counts


def sources(session: Session, claim_ids: Iterable[int]) -> dict[int, list[ClaimSource]]:
    """Every source of each claim, in the order they were posted."""
    found: dict[int, list[ClaimSource]] = {}
    for chunk in _chunks(claim_ids):
        for source in session.scalars(select(ClaimSource).where(ClaimSource.claim_id.in_(chunk))
                                      .order_by(ClaimSource.posted_at, ClaimSource.id)):
            found.setdefault(source.claim_id, []).append(source)
    return found
