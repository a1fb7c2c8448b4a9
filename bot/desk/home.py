"""App Home: the open claims this person may see and this week's counts, refreshed when the tab opens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bot.config.verdict_scale import VerdictScale
from bot.desk.channels import ChannelDirectory
from bot.desk.listing import claim_channels, list_claims
from bot.desk.query import ClaimQuery
from bot.desk.views import home_view
from bot.desk.weekly_posts import WeeklyPoster
from bot.infra.job_kinds import PUBLISH_HOME, HomeTab
from bot.infra.worker import JobContext
from bot.slack.gateway import SlackGateway
from storage.db import Database
from storage.models import utcnow

HOME_CLAIMS = 15


class AppHome:
    def __init__(self, db: Database, gateway: SlackGateway, directory: ChannelDirectory, scale: VerdictScale,
                 weekly: WeeklyPoster, *, wake: Callable[[], None],
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.gateway = gateway
        self.directory = directory
        self.scale = scale
        self.weekly = weekly
        self.wake = wake
        self.clock = clock

    def request_home(self, user: str, event_id: str | None) -> None:
        with self.db.session() as session:
            PUBLISH_HOME.enqueue(session, HomeTab(user), f"home:{user}:{event_id or utcnow().isoformat()}")
        self.wake()

    def home_job(self, context: JobContext[HomeTab]) -> None:
        user = context.payload.user
        with self.db.session() as session:
            channels = claim_channels(session)
        visible = self.directory.visible_to(user, channels)  # its own reads: outside this transaction
        with self.db.session() as session:
            page = list_claims(session, ClaimQuery(status="open"), visible, page_size=HOME_CLAIMS)
        view = home_view(page, self.weekly.this_week(quotable=visible), self.scale, self.clock())
        self.gateway.publish_home(user, view)
