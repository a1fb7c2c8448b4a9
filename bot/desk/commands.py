"""The desk's slash commands: /claims answers (listings and the summary, privately) and /factcheck."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from bot.config.verdict_scale import VerdictScale
from bot.desk.channels import ChannelDirectory
from bot.desk.listing import claim_channels, list_claims
from bot.desk.query import ClaimQuery
from bot.desk.views import (
    SearchHit,
    claims_list,
    factcheck_request,
    search_results,
    usage_message,
    weekly_summary,
)
from bot.desk.weekly_posts import WeeklyPoster
from bot.infra.job_kinds import FACTCHECK_REQUEST, FactcheckRequest
from bot.infra.worker import JobContext
from bot.intake.accept import LinkMessage, accept_links
from bot.matching import ClaimMatcher
from bot.slack.gateway import PostError, SlackGateway
from bot.slack.messages import Message
from storage.db import Database
from storage.models import Claim

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
SEARCH_RESULTS = 10


class DeskCommands:
    def __init__(self, db: Database, gateway: SlackGateway, directory: ChannelDirectory, scale: VerdictScale,
                 weekly: WeeklyPoster, *, wake: Callable[[], None], clock: Clock = lambda: datetime.now(UTC),
                 matcher: ClaimMatcher | None = None) -> None:
        self.db = db
        self.gateway = gateway
        self.directory = directory
        self.scale = scale
        self.weekly = weekly
        self.wake = wake
        self.clock = clock
        self.matcher = matcher

    # -- /claims --------------------------------------------------------------------------------

    def visible_to(self, user: str) -> set[str]:
        """The claim channels this user may see (the directory reads in its own transactions)."""
        with self.db.session() as session:
            channels = claim_channels(session)
        return self.directory.visible_to(user, channels)

    def claims_for(self, user: str, query: ClaimQuery) -> Message:
        """The /claims answer for this user: only claims in channels they can see."""
        if query.channel_name and not query.channel_id:
            found = self.directory.find_by_name(query.channel_name)
            if found is None:
                return usage_message(f"I can't find a channel called #{query.channel_name}")
            query = dataclasses.replace(query, channel_id=found)
        if query.mine:
            query = dataclasses.replace(query, assignee_id=user)
        if query.user_name and not query.user_id:
            return usage_message(f"Pick @{query.user_name} from Slack's @-mention list so I know who that is")
        visible = self.visible_to(user)
        with self.db.session() as session:
            page = list_claims(session, query, visible)
        return claims_list(query, page, self.scale, self.clock())

    def search_for(self, user: str, words: str) -> Message:
        """/claims search: past claims like these words, among the channels this user may see."""
        visible = self.visible_to(user)
        with self.db.session() as session:
            matches = self.matcher.find(session, words, visible_channels=visible, limit=SEARCH_RESULTS,
                                        threshold=0.0) if self.matcher is not None and visible else []
            rows = [(m, session.get(Claim, m.claim_id)) for m in matches]
            found = [SearchHit(text=row.text, status=row.status, verdict=row.verdict, permalink=row.permalink,
                               created_at=row.created_at, resolved_at=row.resolved_at) for _m, row in rows if row]
        return search_results(words, found, self.scale)

    def summary_for(self, user: str, channel: str) -> Message:
        """This week's summary for /claims summary: it quotes only claims this user may see."""
        visible = self.visible_to(user)
        return weekly_summary(self.weekly.this_week(quotable=visible), self.scale, self.clock(), channel)

    # -- /factcheck -----------------------------------------------------------------------------

    def request_factcheck(self, *, channel: str, user: str, url: str, team_id: str | None, trigger: str,
                          response_url: str | None) -> None:
        request = FactcheckRequest(channel=channel, user=user, url=url, team_id=team_id, trigger=trigger,
                                   response_url=response_url)
        with self.db.session() as session:
            FACTCHECK_REQUEST.enqueue(session, request, f"factcheck:{trigger}")
        self.wake()

    def factcheck_job(self, context: JobContext[FactcheckRequest]) -> None:
        """Post "@user asked me to check <url>" and run the link workflow under it, as if pasted."""
        request = context.payload
        message = factcheck_request(request.user, request.url, request.trigger)
        try:
            ts = self.gateway.post(request.channel, message, resume=context.attempts > 1)
        except PostError as error:
            if error.code in ("not_in_channel", "channel_not_found", "is_archived"):
                self.gateway.respond(request.response_url, "I can't post in this channel: invite me with "
                                                           "`/invite @factcheck` and try again.")
                return
            raise
        accept_links(self.db, LinkMessage(team_id=request.team_id, channel_id=request.channel, message_ts=ts,
                                          thread_ts=None, user_id=request.user, urls=[request.url]))
        self.wake()
