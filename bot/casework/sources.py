"""Evidence: links posted in a claim's thread become the claim's sources.

Recorded when the message event arrives (URL, who, when), before Slack is acknowledged, like any
pasted link; the page title is read later by a background job through the same SSRF-safe fetcher and
metadata reader as articles (bounded in time and size), so a slow or hostile site never delays anything
and a page that cannot be read simply keeps its URL.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from bot.articles.fetch import FetchError, FetchPolicy, Resolver, fetch, system_resolver
from bot.articles.reading import page_title
from bot.casework.trail import SOURCE_ADDED, changed, claim_at, record_event
from bot.infra.job_kinds import SOURCE_TITLE, SourceRef
from bot.infra.worker import JobContext
from bot.slack.timestamps import slack_time
from storage.db import Database
from storage.models import ClaimSource
from storage.upsert import insert_ignore_id

log = logging.getLogger(__name__)


def record_sources(session: Session, *, channel: str, thread_ts: str, message_ts: str, user: str | None,
                   urls: Sequence[str]) -> list[int] | None:
    """Record the links of a message in a claim's thread; None when the thread is not a claim's.

    Returns the ids of sources new to this call (a redelivered event returns []).
    """
    claim = claim_at(session, channel, thread_ts)
    if claim is None:
        return None
    at = slack_time(message_ts)
    created: list[int] = []
    for url in urls:
        source_id = insert_ignore_id(session, ClaimSource.__table__, {  # type: ignore[arg-type]
            "claim_id": claim.id, "url": url, "posted_by": user, "message_ts": message_ts, "posted_at": at,
            "title_status": "pending"}, ["claim_id", "message_ts", "url"])
        if source_id is None:
            continue
        record_event(session, claim, user=user, kind=SOURCE_ADDED, key=f"source:{source_id}",
                     detail={"url": url, "message_ts": message_ts}, at=at)
        SOURCE_TITLE.enqueue(session, SourceRef(source_id), f"source_title:{source_id}")
        created.append(source_id)
    if created:
        changed(session, claim, activity=at)
    return created


class SourceTitles:
    """The background job that reads an evidence link's title (best effort: never retried on refusal)."""

    def __init__(self, db: Database, policy: FetchPolicy, resolver: Resolver = system_resolver) -> None:
        self.db = db
        self.policy = policy
        self.resolver = resolver

    def source_title(self, context: JobContext[SourceRef]) -> None:
        with self.db.session() as session:
            source = session.get(ClaimSource, context.payload.source_id)
            if source is None or source.title_status != "pending":
                return
            url = source.url
        title: str | None = None
        try:
            page = fetch(url, self.policy, resolver=self.resolver)
            title = page_title(page.body)
        except FetchError as error:
            log.info("source %s: no title (%s)", context.payload.source_id, error.code)
        with self.db.session() as session:
            source = session.get(ClaimSource, context.payload.source_id)
            if source is not None:
                source.title = title
                source.title_status = "read" if title else "unreadable"
