"""Accepting work from Slack: durable, idempotent, fast.

Called by the handlers before Slack gets its acknowledgement. In one transaction it records the
event id (a retried or re-delivered event stops here), an article row per canonical URL (shared by
every post of that URL), a link post per (message, URL), and a job per link post. The slow part
(fetching, extracting, posting) happens later in the workers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.casework.sources import record_sources
from bot.infra.job_kinds import POST_NOTICE, PROCESS_LINK, LinkPostJob, TooManyLinks
from storage.db import Database
from storage.models import Article, Claim, LinkPost, SlackEvent, utcnow
from storage.upsert import insert_ignore, insert_ignore_id


@dataclass(frozen=True)
class LinkMessage:
    """The parts of a Slack message the pipeline needs."""

    team_id: str | None
    channel_id: str
    message_ts: str
    thread_ts: str | None
    user_id: str | None
    urls: list[str]
    dropped: int = 0
    too_long: int = 0


def seen_event(session: Session, event_id: str | None) -> bool:
    """Record an event id; True when it was already recorded (a retry or a second delivery)."""
    if not event_id:
        return False
    table = SlackEvent.__table__
    return not insert_ignore(session, table, {"event_id": event_id, "received_at": utcnow()}, ["event_id"])  # type: ignore[arg-type]


def is_claim_thread(session: Session, channel: str, thread_ts: str) -> bool:
    found = session.scalar(select(Claim.id).where(Claim.channel_id == channel, Claim.message_ts == thread_ts))
    return found is not None


def article_id_for(session: Session, canonical_url: str) -> int:
    now = utcnow()
    created = insert_ignore_id(
        session,
        Article.__table__,  # type: ignore[arg-type]
        {"canonical_url": canonical_url, "url": canonical_url, "status": "pending",
         "created_at": now, "updated_at": now},
        ["canonical_url"],
    )
    if created is not None:
        return created
    return int(session.scalars(select(Article.id).where(Article.canonical_url == canonical_url)).one())


def accept_links(db: Database, message: LinkMessage, event_id: str | None = None) -> list[int]:
    """Record the message's links and queue their jobs; returns the ids of new link posts."""
    created: list[int] = []
    with db.session() as session:
        if seen_event(session, event_id):
            return []
        if message.thread_ts and is_claim_thread(session, message.channel_id, message.thread_ts):
            # Links in a claim's thread are its evidence (sources), not new articles to check.
            record_sources(session, channel=message.channel_id, thread_ts=message.thread_ts,
                           message_ts=message.message_ts, user=message.user_id, urls=message.urls)
            return []
        for url in message.urls:
            article_id = article_id_for(session, url)
            link_post_id = insert_ignore_id(
                session,
                LinkPost.__table__,  # type: ignore[arg-type]
                {
                    "article_id": article_id, "canonical_url": url, "team_id": message.team_id,
                    "channel_id": message.channel_id, "message_ts": message.message_ts,
                    "thread_ts": message.thread_ts or message.message_ts, "user_id": message.user_id,
                    "status": "queued", "created_at": utcnow(),
                },
                ["channel_id", "message_ts", "canonical_url"],
            )
            if link_post_id is None:
                continue
            PROCESS_LINK.enqueue(session, LinkPostJob(link_post_id), f"link:{link_post_id}")
            created.append(link_post_id)
        if (message.dropped and created) or message.too_long:
            notice = TooManyLinks(channel=message.channel_id, thread_ts=message.thread_ts or message.message_ts,
                                  checked=len(message.urls), dropped=message.dropped, too_long=message.too_long)
            POST_NOTICE.enqueue(session, notice, f"too_many_links:{message.channel_id}:{message.message_ts}")
    return created
