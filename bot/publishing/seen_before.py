"""Seen before: each new claim matched against the desk's earlier claims and published fact-checks.

When an article's claims are extracted, each is looked up with the matcher (bot.matching) among the
claims the new claim's audience may read: claims in public channels, in the very channel the new claim
is posted to, or in private channels every member of that channel belongs to (bot.desk.channels). The
best match above the threshold is stored on the claim, so its message says "Checked before: False,
12 Oct 2026, by @checker" or "Seen before: ... being checked now" with a link. After the claim is
posted, two background jobs follow, neither of which can delay or block it:

* a note in the earlier claim's thread that the claim came back, with the new article (only where the
  new claim's channel may be quoted in the earlier one's);
* with FACTCHECK_TOOLS_API_KEY set, what fact-checking organisations published about it (Google Fact
  Check Tools), posted in the new claim's thread.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select

from bot.desk.channels import ChannelDirectory
from bot.desk.listing import claim_channels
from bot.infra.job_kinds import ClaimRef
from bot.infra.worker import JobContext, RetryLater
from bot.matching import ClaimMatcher
from bot.matching.published import FactCheckTools, PublishedLookupError
from bot.publishing.rows import article_info
from bot.publishing.views import PublishedView, published_checks_note, returning_note
from bot.slack.gateway import SlackGateway
from storage.db import Database
from storage.models import Claim

log = logging.getLogger(__name__)

Found = tuple[int, float] | None


class SeenBefore:
    def __init__(self, db: Database, gateway: SlackGateway, matcher: ClaimMatcher, directory: ChannelDirectory,
                 published: FactCheckTools | None = None) -> None:
        self.db = db
        self.gateway = gateway
        self.matcher = matcher
        self.directory = directory
        self.published = published

    def match(self, texts: Sequence[str], *, article_id: int, audience: str) -> list[Found]:
        """For each claim text, the best earlier claim (id, score) its audience channel may see, or None.

        A failure of the matcher is logged and answers "nothing found": matching is a help, never a
        reason not to post a claim.
        """
        try:
            with self.db.read_session() as session:
                channels = claim_channels(session)
            quotable = self.directory.quotable_in(audience, channels)  # Slack calls: outside any transaction
            vectors = self.matcher.embed(texts)  # the embeddings API too
            found: list[Found] = []
            with self.db.read_session() as session:  # reads only: on SQLite no write lock while re-ranking
                for text, vector in zip(texts, vectors, strict=True):
                    matches = self.matcher.find(session, text, exclude_article_id=article_id,
                                                visible_channels=quotable, limit=1, query_vector=vector, embed=False)
                    found.append((matches[0].claim_id, matches[0].score) if matches else None)
            return found
        except Exception:
            log.warning("claim matching failed for article %s; posting without it", article_id, exc_info=True)
            return [None] * len(texts)

    def embed_claims(self, article_id: int) -> None:
        """Store embedding vectors of an article's new claims, when embeddings are configured (best effort)."""
        if self.matcher.embedder is None:
            return
        with self.db.session() as session:
            claims = [(c.id, c.text) for c in session.scalars(select(Claim).where(Claim.article_id == article_id))]
        for claim_id, text in claims:
            vector = self.matcher.embed([text])[0]  # logs an embeddings failure; outside any session
            with self.db.session() as session:
                self.matcher.index(session, claim_id, text, vector=vector, embed=False)

    # -- jobs ------------------------------------------------------------------------------------

    def note_returning(self, context: JobContext[ClaimRef]) -> None:
        """Tell the earlier claim's thread that the claim came back, where that audience may see it."""
        with self.db.session() as session:
            claim = session.get(Claim, context.payload.claim_id)
            if claim is None or claim.seen_claim_id is None or not claim.channel_id:
                return
            earlier = session.get(Claim, claim.seen_claim_id)
            if earlier is None or not earlier.channel_id or not earlier.message_ts:
                return
            info = article_info(claim.article)
            new_channel, permalink = claim.channel_id, claim.permalink
            old_channel, old_ts = earlier.channel_id, earlier.message_ts
        if new_channel not in self.directory.quotable_in(old_channel, [new_channel]):
            log.info("claim %s came back in a channel %s may not see; no note", context.payload.claim_id, old_channel)
            return
        self.gateway.post(old_channel, returning_note(context.payload.claim_id, info, permalink), thread_ts=old_ts,
                          resume=True)

    def lookup_published(self, context: JobContext[ClaimRef]) -> None:
        """Post what fact-checkers published about claims like this one, in its thread (if anything)."""
        if self.published is None:
            return
        with self.db.session() as session:
            claim = session.get(Claim, context.payload.claim_id)
            if claim is None or not claim.channel_id or not claim.message_ts:
                return
            text, channel, ts = claim.text, claim.channel_id, claim.message_ts
        try:
            found = self.published.search(text, limit=3)
        except PublishedLookupError as error:
            log.warning("Fact Check Tools lookup for claim %s failed: %s", context.payload.claim_id, error)
            if error.retry_after is not None:
                raise RetryLater(error.retry_after, "Fact Check Tools rate limit") from None
            raise
        if not found:
            return
        views = [PublishedView(publisher=c.publisher, rating=c.rating, url=c.url, review_date=c.review_date,
                               claim_text=c.claim_text) for c in found]
        self.gateway.post(channel, published_checks_note(context.payload.claim_id, views), thread_ts=ts,
                          resume=True)
