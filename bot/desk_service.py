"""The desk's commands and schedules: /claims answers, /factcheck requests, weekly summaries, App Home.

Posting the weekly summary is idempotent per (ISO week, channel), whatever runs it (the schedule in
any number of processes, the CLI, a retry after a crash): the row in weekly_summaries is locked for
the duration of the post and records its ts; a post that happened but was not recorded is found again
by its message metadata before anything is posted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from bot.claim_query import ClaimQuery
from bot.desk import ChannelDirectory, claim_channels, list_claims
from bot.intake import LinkMessage, accept_links
from bot.publisher import PostError, SlackPublisher
from bot.summary import Schedule, WeeklySummary, build_summary, due_week, first_activity
from bot.verdict_scale import VerdictScale
from bot.views import Message
from bot.views_desk import claims_list, factcheck_request, home_view, usage_message, weekly_summary
from bot.worker import JobContext
from storage import jobs
from storage.db import Database
from storage.models import WeeklySummaryPost, utcnow
from storage.upsert import insert_ignore

log = logging.getLogger(__name__)

WEEKLY_SUMMARY = "weekly_summary"
SUMMARY_TICK = "summary_tick"
FACTCHECK_REQUEST = "factcheck_request"
PUBLISH_HOME = "publish_home"
HOME_CLAIMS = 15
Clock = Callable[[], datetime]


class Desk:
    def __init__(self, db: Database, publisher: SlackPublisher, directory: ChannelDirectory, scale: VerdictScale,
                 *, summary_channel: str | None, schedule: Schedule, tz: str, wake: Callable[[], None],
                 clock: Clock = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.publisher = publisher
        self.directory = directory
        self.scale = scale
        self.summary_channel = summary_channel
        self.schedule = schedule
        self.tz = tz
        self.wake = wake
        self.clock = clock

    # -- /claims --------------------------------------------------------------------------------

    def claims_for(self, user: str, query: ClaimQuery) -> Message:
        """The /claims answer for this user: only claims in channels they can see."""
        if query.channel_name and not query.channel_id:
            found = self.directory.find_by_name(query.channel_name)
            if found is None:
                return usage_message(f"I can't find a channel called #{query.channel_name}")
            query = ClaimQuery(**{**query.__dict__, "channel_id": found})
        if query.user_name and not query.user_id:
            return usage_message(f"Pick @{query.user_name} from Slack's @-mention list so I know who that is")
        with self.db.session() as session:
            visible = self.directory.visible_to(user, claim_channels(session))
            page = list_claims(session, query, visible)
        return claims_list(query, page, self.scale, self.clock())

    def this_week(self) -> WeeklySummary:
        from bot.summary import iso_week

        with self.db.session() as session:
            return build_summary(session, iso_week(self.clock().astimezone(self.schedule.tz).date()), self.tz)

    def summary_message(self, week: str | None = None) -> Message:
        if week is None:
            return weekly_summary(self.this_week(), self.scale, self.clock())
        with self.db.session() as session:
            return weekly_summary(build_summary(session, week, self.tz), self.scale, self.clock())

    # -- /factcheck -----------------------------------------------------------------------------

    def request_factcheck(self, *, channel: str, user: str, url: str, team_id: str | None, trigger: str,
                          response_url: str | None) -> None:
        with self.db.session() as session:
            jobs.enqueue(session, FACTCHECK_REQUEST, f"factcheck:{trigger}",
                         {"channel": channel, "user": user, "url": url, "team_id": team_id, "trigger": trigger,
                          "response_url": response_url})
        self.wake()

    def factcheck_job(self, context: JobContext) -> None:
        """Post "@user asked me to check <url>" and run the link workflow under it, as if pasted."""
        payload = context.payload
        message = factcheck_request(payload["user"], payload["url"])
        message = Message(text=message.text, blocks=message.blocks, metadata={
            "event_type": "factcheck_request", "event_payload": {"trigger": payload["trigger"]}})
        try:
            ts = self.publisher.post(payload["channel"], message, resume=context.attempts > 1)
        except PostError as error:
            if error.code in ("not_in_channel", "channel_not_found", "is_archived"):
                self._respond(payload.get("response_url"), "I can't post in this channel: invite me with "
                                                           "`/invite @factcheck` and try again.")
                return
            raise
        accept_links(self.db, LinkMessage(team_id=payload.get("team_id"), channel_id=payload["channel"],
                                          message_ts=ts, thread_ts=None, user_id=payload["user"],
                                          urls=[payload["url"]]))
        self.wake()

    def _respond(self, response_url: str | None, text: str) -> None:
        if not response_url:
            return
        try:
            import httpx

            httpx.post(response_url, json={"response_type": "ephemeral", "text": text}, timeout=10)
        except Exception as exc:
            log.warning("could not answer through response_url: %s", type(exc).__name__)

    # -- weekly summary -------------------------------------------------------------------------

    def summary_tick(self, context: JobContext) -> None:
        """Queue the most recent due week's summary if it has not been posted (catches up after downtime)."""
        if not self.summary_channel:
            return
        week, due = due_week(self.schedule, self.clock())
        with self.db.session() as session:
            started = first_activity(session)
            if started is None or started > due:
                return  # nothing happened before it fell due: no empty summary for a brand-new desk
            posted = session.scalar(select(WeeklySummaryPost.message_ts).where(
                WeeklySummaryPost.week == week, WeeklySummaryPost.channel_id == self.summary_channel))
            if posted:
                return
            jobs.enqueue(session, WEEKLY_SUMMARY, f"weekly:{week}:{self.summary_channel}",
                         {"week": week, "channel": self.summary_channel})
        self.wake()

    def weekly_job(self, context: JobContext) -> None:
        self.post_weekly(context.payload["week"], context.payload["channel"])

    def post_weekly(self, week: str, channel: str) -> str:
        """Post the week's summary to channel once; returns its ts (the existing one if already posted)."""
        with self.db.session() as session:
            insert_ignore(session, WeeklySummaryPost.__table__,  # type: ignore[arg-type]
                          {"week": week, "channel_id": channel, "created_at": utcnow()}, ["week", "channel_id"])
        with self.db.session() as session:
            row = session.scalars(select(WeeklySummaryPost).where(
                WeeklySummaryPost.week == week, WeeklySummaryPost.channel_id == channel).with_for_update()).one()
            if row.message_ts:
                return row.message_ts
            message = weekly_summary(build_summary(session, week, self.tz), self.scale, self.clock())
            message = Message(text=message.text, blocks=message.blocks, metadata={
                "event_type": "factcheck_weekly", "event_payload": {"week": week, "channel": channel}})
            # resume=True: a post made before a crash, but never recorded, is found instead of repeated.
            ts = self.publisher.post(channel, message, resume=True)
            row.message_ts, row.posted_at = ts, utcnow()
            log.info("weekly summary %s posted to %s", week, channel)
            return ts

    # -- App Home -------------------------------------------------------------------------------

    def request_home(self, user: str, event_id: str | None) -> None:
        with self.db.session() as session:
            jobs.enqueue(session, PUBLISH_HOME, f"home:{user}:{event_id or utcnow().isoformat()}", {"user": user})
        self.wake()

    def home_job(self, context: JobContext) -> None:
        user = context.payload["user"]
        with self.db.session() as session:
            visible = self.directory.visible_to(user, claim_channels(session))
            page = list_claims(session, ClaimQuery(status="open"), visible, page_size=HOME_CLAIMS)
        view = home_view(page, self.this_week(), self.scale, self.clock())
        self.publisher.reader.views_publish(user_id=user, view=view)
