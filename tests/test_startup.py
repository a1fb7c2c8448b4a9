"""What start-up checks besides settings: every job kind has a handler; Bolt is built without calling
Slack; a listener's unexpected error is logged with its context and never shown to Slack."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from bot.config.settings import StartupError
from bot.infra import job_kinds
from bot.runtime.composition import build_services, require_every_kind_bound
from handlers import create_app
from tests.conftest import NEWS_CHANNEL, REPORTER, make_settings
from tests.harness.article_server import ArticleServer
from tests.harness.slack_api import SlackStandIn


def test_every_declared_job_kind_is_bound_at_start(database_url: str, slack: SlackStandIn,
                                                   articles: ArticleServer) -> None:
    services = build_services(make_settings(database_url, slack, articles))
    try:
        assert services.worker.registered() == {kind.name for kind in job_kinds.ALL_KINDS}
    finally:
        services.db.dispose()


def test_a_job_kind_without_a_handler_stops_start_up(database_url: str, slack: SlackStandIn,
                                                     articles: ArticleServer, monkeypatch: pytest.MonkeyPatch) -> None:
    orphan = job_kinds.JobKind("orphan_kind", job_kinds.Tick)
    monkeypatch.setattr(job_kinds, "ALL_KINDS", (*job_kinds.ALL_KINDS, orphan))
    with pytest.raises(StartupError, match="job kinds with no handler: orphan_kind"):
        build_services(make_settings(database_url, slack, articles))
    everything_but_one = frozenset(kind.name for kind in job_kinds.ALL_KINDS[1:])
    with pytest.raises(StartupError, match="process_link"):
        require_every_kind_bound(everything_but_one)


def test_building_the_bolt_app_calls_no_slack_method(database_url: str, slack: SlackStandIn,
                                                     articles: ArticleServer) -> None:
    services = build_services(make_settings(database_url, slack, articles))
    try:
        create_app(services)
        assert slack.calls == []  # Bolt's default would call auth.test here, unbounded
    finally:
        services.db.dispose()


def test_an_unexpected_listener_error_is_logged_with_context_and_not_shown(bot_factory,
                                                                             caplog: pytest.LogCaptureFixture) -> None:
    """The global error handler: a listener that raises (here: the inbox table lost under it) is logged with
    what it was handling, and Slack gets a bare 500 (it re-delivers the event later), never a traceback."""
    bot = bot_factory()
    with bot.services.inbox.db.session() as session:
        session.execute(text("DROP TABLE inbox"))
    url = bot.article_url("/bagram-bounty")
    payload = bot.sender.message_event(channel=NEWS_CHANNEL, user=REPORTER, text=f"<{url}>", ts="1700000000.000100")
    with caplog.at_level(logging.ERROR, logger="handlers"):
        response = bot.sender.event(payload)
    assert response.status_code == 500
    assert response.text == ""
    logged = [r for r in caplog.records if r.name == "handlers" and "unhandled error in a listener" in r.getMessage()]
    assert len(logged) == 1
    assert "type=event_callback event=message" in logged[0].getMessage() and logged[0].exc_info is not None


def test_the_slack_check_has_a_total_deadline_and_lets_a_rate_limit_pass(slack: SlackStandIn, database_url: str,
                                                                          articles: ArticleServer) -> None:
    import time

    from bot.config.settings import ConfigError
    from bot.runtime.startup import check_slack

    settings = make_settings(database_url, slack, articles)
    slack.delay_next("auth.test", 5)  # a Slack that never answers in time counts as no route
    started = time.monotonic()
    with pytest.raises(ConfigError, match="SLACK_API_URL: cannot reach Slack"):
        check_slack(settings, socket_mode=False, deadline=1.0)
    assert time.monotonic() - started < 3.0
    slack.clear_faults()
    slack.fail_next("auth.test", status=429, retry_after=30)  # asks to slow down: not the operator's fault
    started = time.monotonic()
    check_slack(settings, socket_mode=False, deadline=1.0)
    assert time.monotonic() - started < 3.0  # nor does start-up sit out the Retry-After
    slack.error_next("auth.test", "token_revoked")
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN: Slack refused the token \\(token_revoked\\)"):
        check_slack(settings, socket_mode=False, deadline=1.0)
