"""The desk listing: pages of claims for /claims and App Home, among the channels the reader may see.

Which channels those are is bot.desk.channels' answer (the private-channel rule); this module only
queries the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bot.casework.state import assignees, source_counts
from bot.desk.query import ClaimQuery
from storage.models import Article, Claim, ClaimAssignee, Vote

log = logging.getLogger(__name__)

PAGE_SIZE = 10
# Counting stops here: an exact count of 100,000 open claims costs a scan on every page, and nobody
# pages that far; the listing says "1000+" instead.
COUNT_CAP = 1000


@dataclass(frozen=True)
class ListedClaim:
    id: int
    text: str
    status: str
    verdict: str | None
    permalink: str | None
    channel_id: str | None
    created_at: datetime
    article_title: str | None
    article_url: str
    assignees: tuple[str, ...] = ()
    sources: int = 0
    published_url: str | None = None


@dataclass(frozen=True)
class ClaimPage:
    claims: list[ListedClaim]
    page: int
    pages: int
    total: int
    more: bool = False  # the total is a floor: more than COUNT_CAP matched


def claim_channels(session: Session) -> list[str]:
    return [c for c in session.scalars(select(Claim.channel_id).where(Claim.channel_id.is_not(None)).distinct()) if c]


def _filtered(query: ClaimQuery, visible: set[str]) -> Select:
    statement = select(Claim, Article.title, Article.final_url, Article.url).join(
        Article, Article.id == Claim.article_id)
    statement = statement.where(Claim.message_ts.is_not(None), Claim.channel_id.in_(sorted(visible)))
    if query.status != "all":
        statement = statement.where(Claim.status == query.status)
    if query.channel_id:
        statement = statement.where(Claim.channel_id == query.channel_id)
    if query.user_id:
        statement = statement.where(Claim.id.in_(select(Vote.claim_id).where(Vote.user_id == query.user_id)))
    if query.assignee_id:
        statement = statement.where(Claim.id.in_(select(ClaimAssignee.claim_id).where(
            ClaimAssignee.user_id == query.assignee_id, ClaimAssignee.active.is_(True))))
    if query.since:
        statement = statement.where(Claim.created_at >= query.since)
    return statement


def list_claims(session: Session, query: ClaimQuery, visible: set[str], page_size: int = PAGE_SIZE) -> ClaimPage:
    """One page of claims matching the query among the visible channels, oldest first."""
    statement = _filtered(query, visible)
    capped = statement.with_only_columns(Claim.id).limit(COUNT_CAP + 1).subquery()
    total = int(session.scalar(select(func.count()).select_from(capped)) or 0)
    more = total > COUNT_CAP
    total = min(total, COUNT_CAP)
    pages = max(1, -(-total // page_size))
    page = min(query.page, pages)
    rows = session.execute(statement.order_by(Claim.created_at, Claim.id)
                           .offset((page - 1) * page_size).limit(page_size)).all()
    ids = [c.id for c, *_rest in rows]
    on_it, evidence = assignees(session, ids), source_counts(session, ids)
    claims = [ListedClaim(id=c.id, text=c.text, status=c.status, verdict=c.verdict, permalink=c.permalink,
                          channel_id=c.channel_id, created_at=c.created_at, article_title=title,
                          article_url=final_url or url, assignees=tuple(u for u, _ in on_it.get(c.id, [])),
                          sources=evidence.get(c.id, 0), published_url=c.published_url)
              for c, title, final_url, url in rows]
    return ClaimPage(claims=claims, page=page, pages=pages, total=total, more=more)
