"""Read models of the desk: claim listings for /claims and App Home, and channel visibility.

The private-channel rule lives here: a claim whose thread is in a private channel is listed only to
members of that channel. Channel privacy and membership come from Slack (conversations.info /
conversations.members) through a short cache, so listing stays within Slack's 3-second window.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bot.claim_query import ClaimQuery
from storage.models import Article, Claim, Vote

log = logging.getLogger(__name__)

PAGE_SIZE = 10
# Counting stops here: an exact count of 100,000 open claims costs a scan on every page, and nobody
# pages that far; the listing says "1000+" instead.
COUNT_CAP = 1000


class ChannelDirectory:
    """Which channels are private, who is in them, and channel names, cached for `ttl` seconds."""

    def __init__(self, client: WebClient, ttl: float = 120.0) -> None:
        self._client = client
        self._ttl = ttl
        self._info: dict[str, tuple[float, dict[str, object]]] = {}
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def _cached(self, cache: dict, key: str, load: Callable[[], object]) -> object:
        with self._lock:
            hit = cache.get(key)
            if hit and time.monotonic() - hit[0] < self._ttl:
                return hit[1]
        value = load()
        with self._lock:
            cache[key] = (time.monotonic(), value)
        return value

    def info(self, channel: str) -> dict[str, object]:
        def load() -> dict[str, object]:
            try:
                return dict(self._client.conversations_info(channel=channel).get("channel") or {})
            except SlackApiError as exc:
                log.info("conversations.info %s: %s", channel, exc.response.get("error"))
                return {"id": channel, "is_private": True, "unknown": True}

        return self._cached(self._info, channel, load)  # type: ignore[return-value]

    def members(self, channel: str) -> frozenset[str]:
        def load() -> frozenset[str]:
            members: set[str] = set()
            cursor = None
            try:
                while True:
                    page = self._client.conversations_members(channel=channel, cursor=cursor, limit=1000)
                    members.update(page.get("members") or [])
                    cursor = (page.get("response_metadata") or {}).get("next_cursor")
                    if not cursor:
                        return frozenset(members)
            except SlackApiError as exc:
                log.info("conversations.members %s: %s", channel, exc.response.get("error"))
                return frozenset()

        return self._cached(self._members, channel, load)  # type: ignore[return-value]

    def visible_to(self, user: str, channels: Iterable[str]) -> set[str]:
        """The channels whose claims `user` may see: public ones, and private ones they belong to."""
        visible = set()
        for channel in channels:
            if not self.info(channel).get("is_private") or user in self.members(channel):
                visible.add(channel)
        return visible

    def find_by_name(self, name: str) -> str | None:
        try:
            cursor = None
            while True:
                page = self._client.conversations_list(types="public_channel,private_channel", limit=1000,
                                                       exclude_archived=True, cursor=cursor)
                for channel in page.get("channels") or []:
                    if channel.get("name") == name:
                        return str(channel["id"])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return None
        except SlackApiError as exc:
            log.info("conversations.list: %s", exc.response.get("error"))
            return None


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
    claims = [ListedClaim(id=c.id, text=c.text, status=c.status, verdict=c.verdict, permalink=c.permalink,
                          channel_id=c.channel_id, created_at=c.created_at, article_title=title,
                          article_url=final_url or url) for c, title, final_url, url in rows]
    return ClaimPage(claims=claims, page=page, pages=pages, total=total, more=more)
