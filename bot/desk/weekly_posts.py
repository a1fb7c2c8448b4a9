"""Posting the weekly verdict summary: on schedule, catching up after downtime, exactly once.

Posting is idempotent per (ISO week, channel), whatever runs it (the schedule in any number of
processes, the CLI, a retry after a crash): the row in weekly_summaries is locked for the duration of
the post and records its ts; a post that happened but was not recorded is found again by its message
metadata before anything is posted. What a summary says is bot.desk.weekly_report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import UTC, datetime

from sqlalchemy import select

from bot.config.schedule import Schedule
from bot.config.verdict_scale import VerdictScale
from bot.desk.channels import ChannelDirectory
from bot.desk.listing import claim_channels
from bot.desk.views import weekly_summary
from bot.desk.weekly_report import WeeklyReport, build_report, due_week, first_activity, iso_week
from bot.infra.job_kinds import WEEKLY_SUMMARY, Tick, WeeklyPost
from bot.infra.worker import JobContext
from bot.slack.gateway import SlackGateway
from storage.db import Database
from storage.models import WeeklySummaryPost, utcnow
from storage.upsert import insert_ignore

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class WeeklyPoster:
    def __init__(self, db: Database, gateway: SlackGateway, directory: ChannelDirectory, scale: VerdictScale, *,
                 summary_channel: str | None, schedule: Schedule, tz: str, wake: Callable[[], None],
                 clock: Clock = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.gateway = gateway
        self.directory = directory
        self.scale = scale
        self.summary_channel = summary_channel
        self.schedule = schedule
        self.tz = tz
        self.wake = wake
        self.clock = clock

    def this_week(self, quotable: Collection[str] | None = None) -> WeeklyReport:
        with self.db.session() as session:
            week = iso_week(self.clock().astimezone(self.schedule.tz).date())
            return build_report(session, week, self.tz, quotable)

    def summary_tick(self, context: JobContext[Tick]) -> None:
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
            WEEKLY_SUMMARY.enqueue(session, WeeklyPost(week, self.summary_channel),
                                   f"weekly:{week}:{self.summary_channel}")
        self.wake()

    def weekly_job(self, context: JobContext[WeeklyPost]) -> None:
        self.post_weekly(context.payload.week, context.payload.channel)

    def post_weekly(self, week: str, channel: str) -> str:
        """Post the week's summary to channel once; returns its ts (the existing one if already posted)."""
        with self.db.session() as session:
            insert_ignore(session, WeeklySummaryPost.__table__,  # type: ignore[arg-type]
                          {"week": week, "channel_id": channel, "created_at": utcnow()}, ["week", "channel_id"])
        with self.db.session() as session:
            channels = claim_channels(session)
        quotable = self.directory.quotable_in(channel, channels)  # its own reads: outside this transaction
        with self.db.session() as session:
            row = session.scalars(select(WeeklySummaryPost).where(
                WeeklySummaryPost.week == week, WeeklySummaryPost.channel_id == channel).with_for_update()).one()
            if row.message_ts:
                return row.message_ts
            message = weekly_summary(build_report(session, week, self.tz, quotable), self.scale, self.clock(), channel)
            # resume=True: a post made before a crash, but never recorded, is found instead of repeated.
            ts = self.gateway.post(channel, message, resume=True)
            row.message_ts, row.posted_at = ts, utcnow()
            log.info("weekly summary %s posted to %s", week, channel)
            return ts
