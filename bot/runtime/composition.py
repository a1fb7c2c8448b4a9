"""The composition root: builds the bot's parts from Settings, once, for every way of running it.

This is the one place that knows every part; each part gets only what it uses. The job kinds
(bot.infra.job_kinds) are bound to their handlers here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.articles.fetch import FetchPolicy, Resolver, system_resolver
from bot.casework.reconcile import Reconciler
from bot.casework.service import Casework
from bot.casework.sources import SourceTitles
from bot.casework.stale import SWEEP_MINUTES, StaleClaims
from bot.claims import ClaimExtractor, build_extractor
from bot.config.schedule import Schedule
from bot.config.settings import Settings, StartupError
from bot.config.verdict_scale import VerdictScale, base_emoji
from bot.desk import access
from bot.desk.access import Click
from bot.desk.channels import ChannelDirectory
from bot.desk.commands import DeskCommands
from bot.desk.home import AppHome
from bot.desk.listing import claim_channels
from bot.desk.weekly_posts import WeeklyPoster
from bot.infra import job_kinds as kinds
from bot.infra.pruning import Pruner
from bot.infra.scheduler import PeriodicJobs
from bot.infra.wakeup import JobSignal, job_signal
from bot.infra.worker import Worker
from bot.intake.accept import LinkMessage, accept_links, seen_event
from bot.matching import ClaimMatcher, Embedder
from bot.matching.published import FactCheckTools
from bot.publishing.claim_messages import ClaimMessages
from bot.publishing.link_job import LinkJob, LinkJobOptions
from bot.publishing.notices import Notices
from bot.publishing.seen_before import SeenBefore
from bot.slack.gateway import SlackGateway
from bot.verdicts.eligibility import Eligibility
from bot.verdicts.recorder import VerdictRecorder, VoteResult
from storage.db import Database
from storage.inbox import Inbox, InboxItem
from storage.models import utcnow

log = logging.getLogger(__name__)

SUMMARY_TICK_MINUTES = 10
PRUNE_MINUTES = 60
# What an acknowledgement records in the inbox (storage.inbox); applied by Services.drain_inbox.
LINKS, REACTION, REPLY = "links", "reaction", "reply"


@dataclass
class Services:
    settings: Settings
    db: Database
    gateway: SlackGateway
    extractor: ClaimExtractor
    scale: VerdictScale
    link_job: LinkJob
    seen: SeenBefore
    recorder: VerdictRecorder
    claim_messages: ClaimMessages
    reconciler: Reconciler
    desk: DeskCommands
    weekly: WeeklyPoster
    home: AppHome
    worker: Worker
    periodic: PeriodicJobs
    casework: Casework
    stale: StaleClaims
    directory: ChannelDirectory
    inbox: Inbox
    signal: JobSignal | None = None
    _stopped: bool = False

    def accept_links(self, message: LinkMessage, event_id: str | None) -> None:
        """A message with links: recorded in the inbox before Slack is acknowledged; a worker applies it."""
        if self.inbox.put(LINKS, event_id, asdict(message)):
            self.worker.wake()

    def record_reaction(self, *, channel: str, ts: str, user: str, reaction: str, added: bool,
                        event_ts: str | None, event_id: str | None) -> None:
        """A reaction on a message: recorded in the inbox before the ack; a worker decides whether it is a
        vote or an assignment and applies it. Reactions with other emoji (most of a workspace's) are neither
        and are not recorded at all."""
        if not self.wants_reaction(reaction):
            return
        payload = {"channel": channel, "ts": ts, "user": user, "reaction": reaction, "added": added,
                   "event_ts": event_ts}
        if self.inbox.put(REACTION, event_id, payload):
            self.worker.wake()

    def wants_reaction(self, reaction: str) -> bool:
        """Whether a reaction with this emoji means anything to the desk: a verdict or the assign emoji."""
        return self.scale.for_emoji(reaction) is not None or base_emoji(reaction) == self.settings.assign_emoji

    def thread_reply(self, *, channel: str, thread_ts: str, ts: str, event_id: str | None) -> None:
        """Someone wrote in a thread: recorded in the inbox; a worker marks the claim (if it is one) active."""
        if self.inbox.put(REPLY, event_id, {"channel": channel, "thread_ts": thread_ts, "ts": ts}):
            self.worker.wake()

    # -- applying the inbox (in the workers) ------------------------------------------------------

    def drain_inbox(self, limit: int = 200) -> int:
        """Apply what acknowledgements recorded, oldest first; returns how many rows were applied.

        Each row is applied in its own transaction, which records its event id (a second application is a
        no-op), then deleted. A row that fails is left for the next drain, and dropped with an error in
        the log after storage.inbox.MAX_ATTEMPTS failures, so one bad row cannot stop the others.
        """
        applied: list[int] = []
        woke = False
        for item in self.inbox.waiting(limit):
            try:
                woke = self._apply(item) or woke
            except Exception:
                dropped = self.inbox.failed(item)
                log.exception("could not apply a %s event from the inbox (%s)%s", item.kind, item.event_id,
                              "; dropped it after repeated failures" if dropped else "; will try again")
                continue
            applied.append(item.id)
        self.inbox.done(applied)
        if woke:
            self.worker.wake()
        return len(applied)

    def _apply(self, item: InboxItem) -> bool:
        """Apply one inbox row; True when it queued work for the workers."""
        data = item.payload
        if item.kind == LINKS:
            message = LinkMessage(**data)
            return bool(accept_links(self.db, message, item.event_id)) or bool(message.thread_ts)
        if item.kind == REPLY:
            self.casework.thread_activity(data["channel"], data["thread_ts"], data["ts"])
            return False
        if item.kind == REACTION:
            return self._apply_reaction(item.event_id, **data)
        log.error("unknown kind %r in the inbox; dropped", item.kind)
        return False

    def _apply_reaction(self, event_id: str | None, *, channel: str, ts: str, user: str, reaction: str,
                        added: bool, event_ts: str | None) -> bool:
        with self.db.session() as session:
            if seen_event(session, event_id):
                return False
            assigned = self.casework.reaction(session, channel=channel, ts=ts, user=user, reaction=reaction,
                                              added=added, event_ts=event_ts)
            if assigned is not None:
                return bool(assigned)
            result = self.recorder.record_reaction(session, channel=channel, ts=ts, user=user, reaction=reaction,
                                                   added=added, event_ts=event_ts)
        return result is not None and result.recorded

    def _allowed(self, check: Callable[[Session], str | None]) -> bool:
        """Run a click's check (bot.desk.access) in its own transaction; a refusal queues its answer."""
        with self.db.session() as session:
            refused = check(session)
        if refused is not None:
            self.worker.wake()
        return refused is None

    def _checked_vote(self, check: Callable[[Session], str | None],
                      record: Callable[[Session], VoteResult | None]) -> VoteResult | None:
        """A vote by button: checked and recorded in one transaction (before the ack), then the workers
        answer a refusal privately or update the claim message."""
        with self.db.session() as session:
            refused = check(session)
            result = None if refused else record(session)
        if refused or (result is not None and result.recorded):
            self.worker.wake()
        return result

    def record_button(self, *, claim_id: int, user: str, verdict_key: str, action_ts: str | None,
                      click: Click) -> VoteResult | None:
        return self._checked_vote(
            lambda session: access.claim_click(session, claim_id, click),
            lambda session: self.recorder.record_button(session, claim_id=claim_id, user=user,
                                                        verdict_key=verdict_key, action_ts=action_ts))

    def request_more_claims(self, *, link_post_id: int, user: str, click: Click) -> None:
        """"Show more" on a card: queue posting the candidates it kept back, and wake the workers."""
        if self._allowed(lambda session: access.card_click(session, link_post_id, click)):
            self.link_job.request_more(link_post_id, user)
            self.worker.wake()

    def record_same_claim(self, *, claim_id: int, user: str, action_ts: str | None,
                          click: Click) -> VoteResult | None:
        return self._checked_vote(
            lambda session: access.same_claim_click(session, claim_id, click),
            lambda session: self.recorder.record_same_claim(session, claim_id=claim_id, user=user,
                                                            action_ts=action_ts))

    def casework_button(self, *, claim_id: int, user: str, taking: bool, action_ts: str | None,
                        click: Click) -> bool:
        """I'm on it / Hand back, when the click is on the claim's message by someone who may see it."""
        if not self._allowed(lambda session: access.claim_click(session, claim_id, click)):
            return False
        return self.casework.button(claim_id=claim_id, user=user, taking=taking, action_ts=action_ts)

    def open_explanation(self, *, trigger_id: str, claim_id: int, click: Click) -> bool:
        """The explanation modal (after the ack): only on the claim's own message or thread, for a member."""
        if not self._allowed(lambda session: access.claim_click(session, claim_id, click)):
            return False
        return self.casework.open_explanation(trigger_id=trigger_id, claim_id=claim_id, user=click.user)

    def submit_explanation(self, *, private_metadata: str | None, user: str, text: str,
                           url: str) -> dict[str, str]:
        """A submitted modal: saved only for the claim and person it was opened for, if they may still see it."""
        claim_id = self.casework.claim_in_view(private_metadata, user)
        if claim_id is not None:
            with self.db.session() as session:
                if not access.claim_access(session, claim_id, user):
                    claim_id = None
        return self.casework.submit_explanation(claim_id=claim_id, user=user, text=text, url=url)

    def channel_event(self, event: dict[str, Any], *, event_id: str | None, bot_user_id: str | None) -> None:
        """A channel event (privacy, archive, membership): recorded before the ack; syncs in the background."""
        with self.db.session() as session:
            if seen_event(session, event_id):
                return
        if self.directory.on_event(event, event_id=event_id, bot_user_id=bot_user_id):
            self.worker.wake()

    def start_web(self) -> None:
        """Only serve Slack: acknowledge and record; the job workers and schedules run in other processes
        (`python app.py worker`), woken through the job signal."""
        self.gateway.learn_identity()
        self.recorder.eligibility.start()  # votes are recorded here, before the ack: groups read in the background

    def start(self, *, periodic: bool = True) -> None:
        """Run the job workers and the schedules in this process (a worker process, or everything in one)."""
        self.gateway.learn_identity()
        self.recorder.eligibility.start()  # user groups in FACTCHECKERS, read off the ack path
        with self.db.session() as session:
            channels = claim_channels(session)
        self.directory.refresh_at_start(channels, utcnow().isoformat())
        self.seen.matcher.refit_in_background()  # the first card matches without waiting for it
        self.worker.start()
        if periodic:
            self.periodic.every(self.settings.reconcile_interval_minutes, kinds.RECONCILE_SWEEP)
            self.periodic.every(SUMMARY_TICK_MINUTES, kinds.SUMMARY_TICK)
            self.periodic.every(SWEEP_MINUTES, kinds.STALE_SWEEP)
            self.periodic.every(PRUNE_MINUTES, kinds.PRUNE)
            self.periodic.start()

    def stop(self, timeout: float = 25.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.periodic.stop()
        self.recorder.eligibility.stop()
        self.worker.stop(timeout)
        if self.signal is not None:
            self.signal.close()
        self.inbox.dispose()
        self.db.dispose()


def build_matcher(settings: Settings, db: Database | None = None) -> ClaimMatcher:
    """The claim matcher: offline on the database, plus embeddings when a model and key are configured.

    With `db`, its word statistics are fitted in the background, so no card waits for them."""
    embedder = None
    if settings.embeddings_model and settings.openai_api_key:
        embedder = Embedder(settings.secret("openai_api_key"), model=settings.embeddings_model,
                            base_url=settings.openai_base_url, timeout=settings.openai_timeout)
    return ClaimMatcher(threshold=settings.match_threshold, embedder=embedder,
                        read_session=db.read_session if db is not None else None)


def build_published_lookup(settings: Settings) -> FactCheckTools | None:
    """Google Fact Check Tools, only when FACTCHECK_TOOLS_API_KEY is set."""
    if not settings.factcheck_tools_api_key:
        return None
    return FactCheckTools(settings.secret("factcheck_tools_api_key"), settings.factcheck_tools_url,
                          per_minute=settings.factcheck_tools_per_minute)


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """The database DATABASE_URL names, its schema brought up to date (the one factory for every command)."""
    db = Database(settings.database_url, settings.database_timeout_seconds)
    if migrate:
        db.migrate()
    return db


def metadata_key(settings: Settings) -> str:
    """The key that signs the bot's modal metadata: the signing secret (HTTP mode), else the bot token."""
    return settings.secret("slack_signing_secret") if settings.slack_signing_secret \
        else settings.secret("slack_bot_token")


def require_every_kind_bound(registered: frozenset[str], declared: tuple[kinds.JobKind[Any], ...] | None = None,
                             ) -> None:
    """Every declared job kind has a handler, or the bot does not start: a kind nobody runs would sit
    pending in the jobs table for ever, and whatever queued it would never happen."""
    unbound = [kind.name for kind in (kinds.ALL_KINDS if declared is None else declared) if kind.name not in registered]
    if unbound:
        raise StartupError(f"job kinds with no handler: {', '.join(unbound)}; bind each with worker.register in "
                           "bot/runtime/composition.py")


def build_services(settings: Settings, *, resolver: Resolver = system_resolver, migrate: bool = True) -> Services:
    settings.require("slack_bot_token")
    db = open_database(settings, migrate=migrate)
    gateway = SlackGateway(settings.secret("slack_bot_token"), settings.slack_api_url, settings.slack_timeout,
                           settings.slack_call_deadline)
    extractor = build_extractor(settings)
    scale = settings.verdict_scale
    signal = job_signal(db)
    worker = Worker(db, threads=settings.worker_threads, signal=signal)
    directory = ChannelDirectory(db, gateway)
    seen = SeenBefore(db, gateway, build_matcher(settings, db), directory, published=build_published_lookup(settings))
    link_job = LinkJob(
        db, gateway, extractor, FetchPolicy.from_settings(settings), scale,
        LinkJobOptions(factcheck_channel=settings.factcheck_channel, max_claims=settings.max_claims_per_article,
                       monthly_token_budget=settings.openai_monthly_token_budget),
        resolver=resolver, seen=seen,
    )
    eligibility = Eligibility(settings.factcheckers, group_members=gateway.usergroup_members)
    recorder = VerdictRecorder(scale, eligibility, quorum=settings.verdict_quorum,
                               bot_user_id=lambda: (gateway.known_identity() or {}).get("user_id"))
    claim_messages = ClaimMessages(db, gateway, recorder, scale, quorum=settings.verdict_quorum,
                                   assign_emoji=settings.assign_emoji)
    reconciler = Reconciler(db, gateway, recorder, scale, assign_emoji=settings.assign_emoji,
                            per_minute=settings.reconcile_per_minute)
    pruner = Pruner(db, job_retention_days=settings.job_retention_days,
                    event_retention_days=settings.event_retention_days)
    weekly = WeeklyPoster(db, gateway, directory, scale, summary_channel=settings.summary_channel,
                          schedule=Schedule.parse(settings.summary_schedule, settings.summary_tz),
                          tz=settings.summary_tz, wake=worker.wake)
    desk = DeskCommands(db, gateway, directory, scale, weekly, wake=worker.wake, matcher=seen.matcher)
    home = AppHome(db, gateway, directory, scale, weekly, wake=worker.wake)
    notices = Notices(gateway)
    casework = Casework(db, gateway, scale, eligibility, assign_emoji=settings.assign_emoji, wake=worker.wake,
                        metadata_key=metadata_key(settings))
    stale = StaleClaims(db, gateway, stale_after_days=settings.stale_after_days, assign_emoji=settings.assign_emoji,
                        wake=worker.wake)
    source_titles = SourceTitles(db, FetchPolicy.from_settings(settings), resolver=resolver)

    worker.register(kinds.PROCESS_LINK, link_job.process_link)
    worker.register(kinds.POST_NOTICE, notices.too_many_links)
    worker.register(kinds.MORE_CLAIMS, link_job.post_more)
    worker.register(kinds.RETURNING_NOTE, seen.note_returning)
    worker.register(kinds.PUBLISHED_LOOKUP, seen.lookup_published)
    worker.register(kinds.REFRESH_CLAIM, claim_messages.refresh_claim)
    worker.register(kinds.NOTIFY_INELIGIBLE, claim_messages.notify_ineligible)
    worker.register(kinds.RECONCILE_SWEEP, reconciler.reconcile_sweep)
    worker.register(kinds.RECONCILE_BATCH, reconciler.reconcile_batch)
    worker.register(kinds.RECONCILE_CLAIM, reconciler.reconcile_claim)
    worker.register(kinds.PRUNE, pruner.prune)
    worker.register(kinds.WEEKLY_SUMMARY, weekly.weekly_job)
    worker.register(kinds.SUMMARY_TICK, weekly.summary_tick)
    worker.register(kinds.FACTCHECK_REQUEST, desk.factcheck_job)
    worker.register(kinds.PUBLISH_HOME, home.home_job)
    worker.register(kinds.SOURCE_TITLE, source_titles.source_title)
    worker.register(kinds.STALE_SWEEP, stale.stale_sweep)
    worker.register(kinds.NUDGE_CLAIM, stale.nudge_claim)
    worker.register(kinds.LLM_BUDGET_NOTICE, notices.llm_budget_spent)
    worker.register(kinds.SYNC_CHANNEL, directory.sync_job)
    worker.register(kinds.ANSWER_CLICK, access.ClickAnswers(gateway, settings.slack_api_url).answer_click)
    require_every_kind_bound(worker.registered())
    services = Services(settings=settings, db=db, gateway=gateway, extractor=extractor, scale=scale, link_job=link_job,
                    seen=seen,
                    recorder=recorder, claim_messages=claim_messages, reconciler=reconciler, desk=desk,
                    weekly=weekly, home=home, worker=worker, periodic=PeriodicJobs(db, worker.wake),
                    casework=casework, stale=stale, directory=directory, inbox=Inbox(db), signal=signal)
    worker.intake = services.drain_inbox
    return services
