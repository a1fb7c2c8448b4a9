"""Shared fixtures: real local servers, a real database, and the bot served over real HTTP.

The database is SQLite in a temporary folder, or PostgreSQL when TEST_DATABASE_URL is set (each test
gets its own schema, dropped afterwards, so tests never see each other's rows).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.articles.fetch import system_resolver
from bot.config.settings import Settings, load_settings
from bot.runtime.composition import Services, build_services
from handlers import create_app
from handlers.http import wsgi_app
from handlers.quiet import quiet_events
from tests.harness.article_server import ArticleServer
from tests.harness.databases import Statements, database, migrated_postgres_statements, migrated_sqlite_template
from tests.harness.openai_server import OpenAIStandIn
from tests.harness.processes import kill_leftovers
from tests.harness.signing import SlackEventSender
from tests.harness.slack_api import SlackStandIn

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token-0000"
NEWS_CHANNEL = "C0NEWS"
FACTCHECK_CHANNEL = "C0CHECK"
REPORTER = "U0MARIA"
SAMPLE_HTML = Path(__file__).resolve().parent.parent / "samples" / "bagram-bounty.html"


@pytest.fixture(scope="session")
def _database_template(tmp_path_factory: pytest.TempPathFactory) -> Path | Statements:
    """The newest schema, made once per run: a migrated SQLite file to copy, or the statements that built a
    PostgreSQL schema, to replay into each test's schema (instead of running Alembic for every test)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return migrated_postgres_statements(url)
    return migrated_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def database_url(tmp_path: Path, _database_template: Path | Statements) -> Iterator[str]:
    """A database of the test's own, already at the newest schema."""
    with database(os.environ.get("TEST_DATABASE_URL"), tmp_path, "factcheck", template=_database_template) as url:
        yield url


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.add_channel(NEWS_CHANNEL, "newsroom", members=[REPORTER, "U0EDITOR"])
        standin.add_channel(FACTCHECK_CHANNEL, "factcheck", members=[REPORTER, "U0EDITOR"])
        standin.add_user(REPORTER, "maria", "Maria Reporter")
        standin.add_user("U0EDITOR", "ed", "Ed Editor")
        yield standin


@pytest.fixture
def articles() -> Iterator[ArticleServer]:
    with ArticleServer() as server:
        server.add("/bagram-bounty", SAMPLE_HTML.read_bytes())
        yield server


@pytest.fixture
def forbidden() -> Iterator[ArticleServer]:
    """A server on 127.0.0.2, an address the fetch policy never allows: it must never see a request."""
    with ArticleServer(host="127.0.0.2") as started:
        started.add("/secret", "<html><body><p>internal admin page</p></body></html>")
        yield started


@pytest.fixture
def llm() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn() as server:
        yield server


QUOTES = [
    "So far, the bounties have led to six attacks, including a suicide attack on the Bagram US air force base.",
    "Prior to the attack on Bagram, the US killed Qasem Soleimani in a drone strike in Baghdad.",
    "After the explosion, ten Taliban fighters exchanged gunfire with local security forces before a US "
    "airstrike eliminated them.",
]


def scripted_llm(llm: OpenAIStandIn) -> None:
    answer = {"summary": "CNN reports Iran paid bounties.",
              "claims": [{"claim": q, "quote": q, "speaker": None} for q in QUOTES]}
    llm.responder = lambda request: json.dumps(answer)


def llm_settings(llm: OpenAIStandIn) -> dict[str, Any]:
    return {"claim_extractor": "openai", "openai_api_key": "sk-test-secret-abcdef", "openai_base_url": llm.base_url,
            "openai_model": "test-model", "slack_timeout": 1.0}


def make_settings(database_url: str, slack: SlackStandIn, articles: ArticleServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.api_url,
        "database_url": database_url,
        "fetch_allowed_private_hosts": f"127.0.0.1:{articles.port}",
        "fetch_total_timeout": 5.0,
        "worker_threads": 2,
        "claim_extractor": "embedded",
    }
    values.update(overrides)
    return load_settings(_env_file=None, **values)


def local_resolver(host: str, port: int) -> list[str]:
    """Names under .example resolve to 127.0.0.1 (the article server); everything else as usual."""
    if host.endswith(".example"):
        return ["127.0.0.1"]
    return system_resolver(host, port)


@dataclass
class RunningBot:
    services: Services
    url: str
    sender: SlackEventSender
    slack: SlackStandIn
    articles: ArticleServer

    def article_url(self, path: str) -> str:
        return f"http://news.example:{self.articles.port}{path}"

    def post_link(self, text: str, *, channel: str = NEWS_CHANNEL, user: str = REPORTER, **event: Any) -> str:
        """Post a human message in the stand-in and deliver its event to the bot; returns its ts."""
        thread_ts = event.pop("thread_ts", None)
        ts = self.slack.post_human_message(channel, text, user=user, thread_ts=thread_ts)
        payload = self.sender.message_event(channel=channel, user=user, text=text, ts=ts, thread_ts=thread_ts, **event)
        response = self.sender.event(payload)
        assert response.status_code == 200, response.text
        return ts

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the workers have applied every acknowledged event (storage.inbox): what a test
        checks in the database right after an event would otherwise race the worker applying it."""
        deadline = time.monotonic() + timeout
        while self.services.inbox.count():
            assert time.monotonic() < deadline, "the workers never applied the acknowledged events"
            time.sleep(0.01)


class BotServer:
    """The bot as in production: services, Bolt app, waitress on a free port, workers running."""

    def __init__(self, settings: Settings, slack: SlackStandIn, articles: ArticleServer) -> None:
        from waitress.server import create_server

        self.services = build_services(settings, resolver=local_resolver)
        self.app = create_app(self.services)
        application = wsgi_app(self.app, settings.secret("slack_signing_secret"), quiet=quiet_events(self.services))
        self.map: dict[int, Any] = {}  # waitress's socket map: the listener, the trigger, every connection
        self.server = create_server(application, map=self.map, host="127.0.0.1", port=0, threads=8)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.run, daemon=True, name=f"waitress-{self.port}")
        self.slack = slack
        self.articles = articles

    def __enter__(self) -> RunningBot:
        self.thread.start()
        self.services.start()
        url = f"http://127.0.0.1:{self.port}/slack/events"
        return RunningBot(self.services, url, SlackEventSender(url, SIGNING_SECRET), self.slack, self.articles)

    def __exit__(self, *exc: object) -> None:
        # First the request threads: they finish the requests they hold and take no more. Only then are
        # the sockets closed, so no request thread writes to a socket (or pulls the trigger) after it was
        # closed: a closed descriptor's number is soon reused, by the next test's database or HTTP
        # connection, and a late write went into that (the teardown race that made tests flaky).
        # The sockets are closed from inside waitress's loop: the trigger wakes the loop at once (no 1 s
        # select timeout), the thunk closes the listener, every keep-alive connection and the trigger
        # itself in the loop's thread (closing them from this thread raced the loop's select: "Bad file
        # descriptor"), and the loop ends because its map is empty. Then our own threads.
        from waitress import wasyncore

        self.server.task_dispatcher.shutdown(timeout=5)
        if self.thread.is_alive():
            self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.map))
            self.thread.join(timeout=5)
        else:
            wasyncore.close_all(self.map)
        self.services.stop(timeout=5)


@pytest.fixture(autouse=True)
def _no_process_outlives_its_test() -> Iterator[None]:
    """A test that fails between starting `python app.py` and stopping it would leave the bot (and its
    worker processes) running for the rest of the run, taking CPU from every later test and benchmark."""
    yield
    kill_leftovers()


@pytest.fixture
def bot_factory(database_url: str, slack: SlackStandIn, articles: ArticleServer) -> Iterator[Any]:
    """Start bots with setting overrides; every bot started is stopped at the end of the test."""
    started: list[BotServer] = []

    def start(**overrides: Any) -> RunningBot:
        server = BotServer(make_settings(database_url, slack, articles, **overrides), slack, articles)
        started.append(server)
        return server.__enter__()

    yield start
    for server in reversed(started):
        server.__exit__(None, None, None)


@pytest.fixture
def bot(bot_factory: Any) -> RunningBot:
    return bot_factory()
