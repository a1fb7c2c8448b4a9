"""The composition root: builds the bot's parts from Settings, once, for every way of running it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.claim_updates import RECONCILE_CLAIM, RECONCILE_SWEEP, ClaimUpdater
from bot.claims import ClaimExtractor, build_extractor
from bot.config import ConfigError, Settings
from bot.desk import ChannelDirectory
from bot.desk_service import FACTCHECK_REQUEST, PUBLISH_HOME, SUMMARY_TICK, WEEKLY_SUMMARY, Desk
from bot.fetch import FetchPolicy, Resolver, system_resolver
from bot.intake import POST_NOTICE, PROCESS_LINK, LinkMessage, accept_links, seen_event
from bot.pipeline import Pipeline, PipelineOptions
from bot.publisher import SlackPublisher, make_client, make_reader_client
from bot.scheduler import PeriodicJobs
from bot.summary import Schedule
from bot.verdict_scale import VerdictScale, VerdictScaleError
from bot.verdicts import NOTIFY_INELIGIBLE, REFRESH_CLAIM, Eligibility, VerdictRecorder, VoteResult
from bot.worker import Worker
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    publisher: SlackPublisher
    extractor: ClaimExtractor
    scale: VerdictScale
    pipeline: Pipeline
    recorder: VerdictRecorder
    updater: ClaimUpdater
    desk: Desk
    worker: Worker
    periodic: PeriodicJobs
    _stopped: bool = False

    def accept_links(self, message: LinkMessage, event_id: str | None) -> list[int]:
        """Record the links durably (before Slack is acknowledged) and wake the workers."""
        created = accept_links(self.db, message, event_id)
        if created:
            self.worker.wake()
        return created

    def record_reaction(self, *, channel: str, ts: str, user: str, reaction: str, added: bool,
                        event_ts: str | None, event_id: str | None) -> VoteResult | None:
        """A reaction event: recorded (once) as a vote when it is one, then the workers update Slack."""
        with self.db.session() as session:
            if seen_event(session, event_id):
                return None
            result = self.recorder.record_reaction(session, channel=channel, ts=ts, user=user, reaction=reaction,
                                                   added=added, event_ts=event_ts)
        if result is not None and result.recorded:
            self.worker.wake()
        return result

    def record_button(self, *, claim_id: int, user: str, verdict_key: str, action_ts: str | None) -> VoteResult | None:
        with self.db.session() as session:
            result = self.recorder.record_button(session, claim_id=claim_id, user=user, verdict_key=verdict_key,
                                                 action_ts=action_ts)
        if result is not None and result.recorded:
            self.worker.wake()
        return result

    def start(self, *, periodic: bool = True) -> None:
        self.worker.start()
        if periodic:
            self.periodic.every(self.settings.reconcile_interval_minutes, RECONCILE_SWEEP)
            self.periodic.every(10, SUMMARY_TICK)
            self.periodic.start()

    def stop(self, timeout: float = 25.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.periodic.stop()
        self.worker.stop(timeout)
        self.db.dispose()


def verdict_scale(settings: Settings) -> VerdictScale:
    try:
        return VerdictScale.parse(settings.verdict_emoji)
    except VerdictScaleError as exc:
        raise ConfigError(str(exc)) from None


def build_services(settings: Settings, *, resolver: Resolver = system_resolver, migrate: bool = True) -> Services:
    settings.require("slack_bot_token")
    db = Database(settings.database_url)
    if migrate:
        db.migrate()
    token = settings.secret("slack_bot_token")
    publisher = SlackPublisher(make_client(token, settings.slack_api_url, settings.slack_timeout),
                               make_reader_client(token, settings.slack_api_url, settings.slack_timeout))
    extractor = build_extractor(settings)
    scale = verdict_scale(settings)
    pipeline = Pipeline(
        db, publisher, extractor, FetchPolicy.from_settings(settings), scale,
        PipelineOptions(factcheck_channel=settings.factcheck_channel, max_claims=settings.max_claims_per_article),
        resolver=resolver,
    )
    eligibility = Eligibility(settings.factcheckers, group_members=lambda group: list(
        publisher.reader.usergroups_users_list(usergroup=group).get("users") or []))
    recorder = VerdictRecorder(scale, eligibility, quorum=settings.verdict_quorum,
                               bot_user_id=lambda: publisher.identity().get("user_id"))
    updater = ClaimUpdater(db, publisher, recorder, scale, quorum=settings.verdict_quorum)
    wake_box: list[Worker] = []
    desk = Desk(db, publisher, ChannelDirectory(publisher.reader), scale, summary_channel=settings.summary_channel,
                schedule=Schedule.parse(settings.summary_schedule, settings.summary_tz), tz=settings.summary_tz,
                wake=lambda: wake_box[0].wake() if wake_box else None)
    worker = Worker(db, {
        PROCESS_LINK: pipeline.process_link, POST_NOTICE: pipeline.post_notice,
        REFRESH_CLAIM: updater.refresh_claim, NOTIFY_INELIGIBLE: updater.notify_ineligible,
        RECONCILE_SWEEP: updater.reconcile_sweep, RECONCILE_CLAIM: updater.reconcile_claim,
        WEEKLY_SUMMARY: desk.weekly_job, SUMMARY_TICK: desk.summary_tick, FACTCHECK_REQUEST: desk.factcheck_job,
        PUBLISH_HOME: desk.home_job,
    }, threads=settings.worker_threads)
    wake_box.append(worker)
    return Services(settings=settings, db=db, publisher=publisher, extractor=extractor, scale=scale,
                    pipeline=pipeline, recorder=recorder, updater=updater, desk=desk, worker=worker,
                    periodic=PeriodicJobs(db, worker.wake))
