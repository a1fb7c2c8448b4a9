"""The composition root: builds the bot's parts from Settings, once, for every way of running it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.claims import ClaimExtractor, build_extractor
from bot.config import ConfigError, Settings
from bot.fetch import FetchPolicy, Resolver, system_resolver
from bot.intake import POST_NOTICE, PROCESS_LINK, LinkMessage, accept_links
from bot.pipeline import Pipeline, PipelineOptions
from bot.publisher import SlackPublisher, make_client, make_reader_client
from bot.verdict_scale import VerdictScale, VerdictScaleError
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
    worker: Worker

    def accept_links(self, message: LinkMessage, event_id: str | None) -> list[int]:
        """Record the links durably (before Slack is acknowledged) and wake the workers."""
        created = accept_links(self.db, message, event_id)
        if created:
            self.worker.wake()
        return created

    def start(self) -> None:
        self.worker.start()

    def stop(self, timeout: float = 25.0) -> None:
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
    publisher = SlackPublisher(make_client(token, settings.slack_api_url),
                               make_reader_client(token, settings.slack_api_url))
    extractor = build_extractor(settings)
    scale = verdict_scale(settings)
    pipeline = Pipeline(
        db, publisher, extractor, FetchPolicy.from_settings(settings), scale,
        PipelineOptions(factcheck_channel=settings.factcheck_channel, max_claims=settings.max_claims_per_article),
        resolver=resolver,
    )
    worker = Worker(db, {PROCESS_LINK: pipeline.process_link, POST_NOTICE: pipeline.post_notice},
                    threads=settings.worker_threads)
    return Services(settings=settings, db=db, publisher=publisher, extractor=extractor, scale=scale,
                    pipeline=pipeline, worker=worker)
