"""Issue #11, second round: Slack's size limits, retries after a failure, column lengths, 5xx after a
post, cosmetic calls, the acknowledgement path, database stalls, and the summary's privacy rule.

Everything runs against the local stand-ins (Slack Web API, article server, OpenAI-compatible server)
and a real database; the database-stall tests use a TCP proxy and a silent socket written here.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.publishing.views import ArticleInfo, CardFacts, ClaimView, article_card, claim_message
from bot.slack.blocks import TEXT_LIMIT, escape, fit_mrkdwn, link
from bot.slack.gateway import SlackGateway
from handlers import create_app
from handlers.http import wsgi_app
from storage.db import Database, DatabaseUnavailable
from storage.models import Article, Claim, Job, LinkPost
from tests.conftest import (
    BOT_TOKEN,
    NEWS_CHANNEL,
    QUOTES,
    REPORTER,
    SAMPLE_HTML,
    SIGNING_SECRET,
    BotServer,
    RunningBot,
    llm_settings,
    make_settings,
    scripted_llm,
)
from tests.harness.block_kit import block_errors
from tests.harness.openai_server import OpenAIStandIn
from tests.harness.posts import claim_posts
from tests.harness.slack_api import SlackStandIn
from tests.harness.waiting import wait_for_card, wait_until
from tests.test_desk import EDITOR, claims_answer, seed

ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))


def bot_posts(slack: SlackStandIn, channel: str = NEWS_CHANNEL) -> list[dict]:
    return [m for m in slack.messages(channel) if m.get("bot_id")]


def assert_valid(message_blocks: list[dict[str, Any]]) -> None:
    assert block_errors(message_blocks) == []


def no_broken_markup(text: str) -> bool:
    """Every `<` opens a complete `<...>` and every `&` starts a whole entity."""
    text = re.sub(r"(?m)^>", "", text)  # a quote line's marker
    without_links = re.sub(r"<[^<>\n]*>", "", text)
    without_entities = re.sub(r"&(amp|lt|gt);", "", without_links)
    return "<" not in without_entities and "&" not in without_entities and ">" not in without_entities


# -- 4 and 5: Slack's limits ----------------------------------------------------------------------


@given(st.text(alphabet="ab&<> |x", max_size=400), st.integers(min_value=5, max_value=300))
def test_fit_mrkdwn_never_cuts_an_entity_or_a_link(words: str, limit: int) -> None:
    text = escape(words) + " " + link("https://news.example/" + "p" * 50, words[:40] or "label") + escape(words)
    fitted = fit_mrkdwn(text, limit)
    assert len(fitted) <= max(limit, 0) or fitted == text
    assert no_broken_markup(fitted)


def test_summary_full_of_ampersands_still_gives_a_card(bot_factory, llm: OpenAIStandIn) -> None:
    """Item 4: a lead with many & was clipped before escaping, making a 3,000+ character section."""
    # 3,400 characters, 400 of them &: 5,000 once escaped. Its words are the article's, so the summary
    # check (bot.claims.grounding) keeps it.
    summary = "Iran & Taliban & " * 200
    answer = {"summary": summary, "claims": [{"claim": q, "quote": q, "speaker": None} for q in QUOTES]}
    llm.responder = lambda request: json.dumps(answer)
    bot = bot_factory(**llm_settings(llm))
    ts = bot.post_link(f"<{bot.article_url('/bagram-bounty')}>")
    card = wait_for_card(bot, NEWS_CHANNEL, ts, timeout=15)
    assert "claims to check" in json.dumps(card["blocks"])
    section = next(b for b in card["blocks"] if "Summary" in json.dumps(b))
    assert len(section["text"]["text"]) <= TEXT_LIMIT and "Iran &amp; Taliban" in section["text"]["text"]
    assert no_broken_markup(section["text"]["text"])
    assert_valid(card["blocks"])


def test_overlong_link_is_shown_as_its_label_not_refused(slack: SlackStandIn) -> None:
    """Item 5: a 3,000-character link made a 3,060-character context block (invalid_blocks)."""
    from bot.config.verdict_scale import VerdictScale

    url = "https://news.example/" + "a" * 2980
    article = ArticleInfo(url=url, title="A & B <story>")
    gateway = SlackGateway(BOT_TOKEN, slack.api_url, timeout=2)
    claim = ClaimView(number=1, text="x & y " * 600, quote="q & " * 900)
    message = claim_message(7, claim, article, VerdictScale.parse(None))
    ts = gateway.post(NEWS_CHANNEL, message)  # the stand-in refuses what Slack would
    posted = slack.message(NEWS_CHANNEL, ts)
    assert posted is not None
    texts = [e["text"] for b in posted["blocks"] for e in ([b["text"]] if "text" in b else b.get("elements", []))
             if isinstance(e, dict) and "text" in e and isinstance(e["text"], str)]
    assert all(len(t) <= TEXT_LIMIT and no_broken_markup(t) for t in texts)
    assert any("A &amp; B &lt;story&gt;" in t for t in texts)
    card = article_card(3, article, "s & " * 2000, [ClaimView(number=n, text="c & " * 100, quote="q",
                                                               permalink=url) for n in range(1, 26)],
                        CardFacts(summary_source="lead", candidates=40, kept_back=15, partial=True))
    gateway.post(NEWS_CHANNEL, card)


# -- 6: the stand-in validates blocks like Slack ------------------------------------------------


@pytest.mark.parametrize("blocks", [
    [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
    [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x" * 3001}]}],
    [{"type": "header", "text": {"type": "mrkdwn", "text": "title"}}],
    [{"type": "header", "text": {"type": "plain_text", "text": "t" * 151}}],
    [{"type": "section"}],
    [{"type": "sektion", "text": {"type": "mrkdwn", "text": "x"}}],
    [{"type": "section", "text": {"type": "markdown", "text": "x"}}],
    [{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b" * 76},
                                       "action_id": "a"}]}],
    [{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b"},
                                       "action_id": "a" * 256}]}],
    [{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b"},
                                       "action_id": "a", "value": "v" * 2001}]}],
    [{"type": "divider", "block_id": "b" * 256}],
    [{"type": "divider"}] * 51,
])
def test_stand_in_refuses_invalid_blocks_like_slack(slack: SlackStandIn, blocks: list[dict]) -> None:
    client = SlackGateway(BOT_TOKEN, slack.api_url, timeout=2).web_client
    from slack_sdk.errors import SlackApiError

    with pytest.raises(SlackApiError) as posted:
        client.chat_postMessage(channel=NEWS_CHANNEL, text="fallback", blocks=blocks)
    assert posted.value.response["error"] == "invalid_blocks"
    ok = client.chat_postMessage(channel=NEWS_CHANNEL, text="fallback",
                                 blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "fine"}}])
    with pytest.raises(SlackApiError) as updated:
        client.chat_update(channel=NEWS_CHANNEL, ts=ok["ts"], text="x", blocks=blocks)
    assert updated.value.response["error"] == "invalid_blocks"
    with pytest.raises(SlackApiError) as ephemeral:
        client.chat_postEphemeral(channel=NEWS_CHANNEL, user=REPORTER, text="x", blocks=blocks)
    assert ephemeral.value.response["error"] == "invalid_blocks"
    if len(blocks) <= 50:
        with pytest.raises(SlackApiError):
            client.views_publish(user_id=REPORTER, view={"type": "home", "blocks": blocks})
    with pytest.raises(SlackApiError):
        client.views_publish(user_id=REPORTER, view={"type": "home", "blocks": [{"type": "divider"}] * 101})
    assert len(bot_posts(slack)) == 1


# -- 7: a link that failed after its claims were stored ---------------------------------------------


def test_link_can_be_checked_again_after_the_bot_is_invited(bot_factory, slack: SlackStandIn) -> None:
    closed = slack.add_channel("C0CLOSED", "claims", members=[REPORTER], bot_member=False)
    bot = bot_factory(factcheck_channel="C0CLOSED")
    url = bot.article_url("/bagram-bounty")
    first = bot.post_link(f"<{url}>")
    notice = wait_for_card(bot, NEWS_CHANNEL, first)
    assert "invite me" in notice["text"]
    with bot.services.db.session() as session:
        stored = len(session.scalars(select(Claim).where(Claim.shown.is_(True))).all())
        candidates = len(session.scalars(select(Claim)).all())
    assert stored >= 3
    closed.members.append(slack.bot_user_id)  # /invite @factcheck
    second = bot.post_link(f"again, now that you're in: <{url}>")
    card = wait_for_card(bot, NEWS_CHANNEL, second, timeout=20)
    assert "claims to check" in json.dumps(card["blocks"]) and "went wrong" not in card["text"]
    posted = claim_posts(bot.slack, "C0CLOSED")
    assert len(posted) == stored and len({m["text"] for m in posted}) == stored
    with bot.services.db.session() as session:
        assert len(session.scalars(select(Claim)).all()) == candidates  # nothing stored twice
        assert all(c.message_ts for c in session.scalars(select(Claim).where(Claim.shown.is_(True))))


# -- 8: column lengths ------------------------------------------------------------------------------


def test_overlong_link_is_left_out_with_a_notice_and_the_other_link_is_checked(bot: RunningBot) -> None:
    good = bot.article_url("/bagram-bounty")
    long = bot.article_url("/very-long?" + "q=" + "x" * 2100)
    ts = bot.post_link(f"two: <{long}> and <{good}>")  # post_link asserts HTTP 200
    card = wait_for_card(bot, NEWS_CHANNEL, ts)
    replies = [m for m in bot.slack.thread(NEWS_CHANNEL, ts) if m.get("bot_id")]
    assert any("claims to check" in json.dumps(m["blocks"]) for m in replies), card
    assert bot.slack.wait_for(lambda: [m for m in bot.slack.thread(NEWS_CHANNEL, ts)
                                       if "longer than 2,048 characters" in (m.get("text") or "")], 10)
    with bot.services.db.session() as session:
        assert [a.canonical_url for a in session.scalars(select(Article))] == [good]


def test_overlong_final_url_and_author_do_not_fail_the_job(bot: RunningBot) -> None:
    # Sixty real names (a byline is names only, issue #17): together far over the column's 255 characters.
    names = "; ".join(f"{first} {last}" for first in ("Ann", "Ben", "Cleo", "Dev", "Eli", "Fay")
                      for last in ("Abel", "Baker", "Cruz", "Diaz", "Evans", "Fox", "Gray", "Hale", "Ives", "Jones"))
    page = SAMPLE_HTML.read_text().replace('content="Staff Writer"', f'content="{names}"')
    long_path = "/final/" + "b" * 2100
    bot.articles.add(long_path, page)
    bot.articles.add_redirect("/moved", long_path)
    ts = bot.post_link(f"<{bot.article_url('/moved')}>")
    card = wait_for_card(bot, NEWS_CHANNEL, ts)
    assert "claims to check" in json.dumps(card["blocks"]), card["text"]
    with bot.services.db.session() as session:
        article = session.scalars(select(Article)).one()
        assert article.final_url is None and article.url.endswith("/moved")
        assert article.author is not None and len(article.author) <= 255


# -- 9: 5xx after posting ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_after_posting_does_not_post_twice(bot_factory, llm: OpenAIStandIn, status: int) -> None:
    scripted_llm(llm)
    bot = bot_factory(**llm_settings(llm))
    bot.services.gateway.lost_answer_waits = (0.3, 0.6, 1.0, 1.5)
    bot.slack.fail_next("chat.postMessage", status=status, act_first=True)  # claim 1 posted, then a 5xx
    bot.slack.fail_next("chat.postMessage", status=status, act_first=True)  # and its second look-up try
    ts = bot.post_link(f"<{bot.article_url('/bagram-bounty')}>")
    wait_for_card(bot, NEWS_CHANNEL, ts, timeout=30)
    time.sleep(0.3)
    texts = [m["text"] for m in claim_posts(bot.slack, NEWS_CHANNEL)]
    assert len(texts) == 3 and len(set(texts)) == 3
    assert len(bot_posts(bot.slack)) == 4  # three claims and the card, each exactly once


# -- 10: the :mag: reaction is cosmetic --------------------------------------------------------------


@pytest.mark.parametrize("fault", ["error", "status"])
def test_reaction_failure_does_not_stop_the_job(bot: RunningBot, fault: str) -> None:
    if fault == "error":
        bot.slack.error_next("reactions.add", "too_many_reactions", times=10)
    else:
        bot.slack.fail_next("reactions.add", status=500, times=10)
    started = time.monotonic()
    ts = bot.post_link(f"<{bot.article_url('/bagram-bounty')}>")
    card = wait_for_card(bot, NEWS_CHANNEL, ts, timeout=15)
    assert "claims to check" in json.dumps(card["blocks"])
    assert time.monotonic() - started < 10


# -- 11: nothing on the acknowledgement path calls Slack ---------------------------------------------


@pytest.mark.parametrize("fault", ["slow", "rate_limited"])
def test_slow_auth_test_at_start_never_delays_an_ack(bot_factory, slack: SlackStandIn, fault: str) -> None:
    if fault == "slow":
        slack.delay_next("auth.test", 5)  # when learning the identity (building the Bolt app calls nothing)
    else:
        slack.fail_next("auth.test", status=429, retry_after=4)
    bot = bot_factory()
    slack.clear_faults()
    slack.delay_next("auth.test", 5, times=20)  # any auth.test now would show in the ack time
    slack.reset_calls()
    timings = []
    for n in range(3):
        ts = slack.post_human_message(NEWS_CHANNEL, f"<{bot.article_url('/bagram-bounty')}?n={n}>", user=REPORTER)
        payload = bot.sender.message_event(channel=NEWS_CHANNEL, user=REPORTER,
                                           text=f"<{bot.article_url('/bagram-bounty')}?n={n}>", ts=ts)
        started = time.monotonic()
        response = bot.sender.event(payload)
        timings.append(time.monotonic() - started)
        assert response.status_code == 200
    print(f"MEASURED ack with auth.test {fault} at start: max {max(timings) * 1000:.0f} ms")
    assert max(timings) < 1.0, timings
    assert slack.calls_to("auth.test") == []


# -- 12: database stalls ---------------------------------------------------------------------------


class SilentServer:
    """Accepts TCP connections and never says a word (a database host that stalls)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def _in_thread(function: Any, timeout: float) -> tuple[bool, Any]:
    """Run function in a thread; (finished in time, its result or exception)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = function()
        except Exception as exc:
            box["value"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    return not thread.is_alive(), box.get("value")


def test_database_that_never_answers_fails_start_up_and_health_in_bounded_time(silent: SilentServer) -> None:
    db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{silent.port}/test", timeout=1.0)
    started = time.monotonic()
    finished, result = _in_thread(db.migrate, timeout=8)
    assert finished and isinstance(result, DatabaseUnavailable), result
    assert str(result).startswith("DATABASE_URL: cannot connect")
    print(f"MEASURED start-up against a silent database: failed after {time.monotonic() - started:.2f} s")
    assert time.monotonic() - started < 4
    started = time.monotonic()
    reason = db.check(timeout=0.5)
    assert reason and "did not answer" in reason and time.monotonic() - started < 1.5
    db.dispose()


def _healthz(application: Any) -> tuple[str, str]:
    seen: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = status

    body = b"".join(application({"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}, start_response))
    return seen["status"], body.decode()


def test_healthz_says_whether_the_database_answers(bot: RunningBot, silent: SilentServer) -> None:
    app = create_app(bot.services)
    healthy = wsgi_app(app, SIGNING_SECRET, health=bot.services.db.check)
    assert _healthz(healthy) == ("200 OK", "ok\n")
    stalled_db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{silent.port}/test", timeout=5.0)
    stalled = wsgi_app(app, SIGNING_SECRET, health=stalled_db.check)
    started = time.monotonic()
    status, body = _healthz(stalled)
    elapsed = time.monotonic() - started
    print(f"MEASURED /healthz against a silent database: {status} in {elapsed:.2f} s")
    assert status.startswith("503") and "database" in body and elapsed < 2.5, (status, body, elapsed)


class PostgresProxy:
    """127.0.0.1:port -> PostgreSQL, forwarding bytes; can reset every connection and refuse new ones."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.refusing = False
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if self.refusing:
                _hard_close(client)
                continue
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.pairs.append((client, server))
            threading.Thread(target=_pump, args=(client, server), daemon=True).start()
            threading.Thread(target=_pump, args=(server, client), daemon=True).start()

    def reset(self) -> None:
        """Every open connection is reset (RST), as when a database restarts or a NAT drops state."""
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for client, server in pairs:
            _hard_close(client)
            _hard_close(server)

    def close(self) -> None:
        self.sock.close()
        self.reset()


def _hard_close(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()
    except OSError:
        pass


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass


@pytest.mark.skipif(not ON_POSTGRES, reason="the proxy forwards to PostgreSQL (TEST_DATABASE_URL)")
def test_job_whose_database_connection_was_reset_resumes_when_the_database_is_back(
    database_url: str, slack: SlackStandIn, articles: Any
) -> None:
    proxy = PostgresProxy(("127.0.0.1", 5432))
    through_proxy = database_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert through_proxy != database_url
    server = BotServer(make_settings(through_proxy, slack, articles, database_timeout_seconds=2), slack, articles)
    try:
        articles.add("/slow-story", SAMPLE_HTML.read_bytes(), delay=1.5)
        bot = server.__enter__()
        url = bot.article_url("/slow-story")
        ts = bot.post_link(f"<{url}>")
        bot.slack.wait_for(lambda: articles.hits("/slow-story"), 5)
        proxy.refusing = True  # the database goes away while the job is fetching
        proxy.reset()
        time.sleep(2.0)
        proxy.refusing = False  # and comes back
        started = time.monotonic()
        card = wait_for_card(bot, NEWS_CHANNEL, ts, timeout=25)
        assert "claims to check" in json.dumps(card["blocks"])
        print(f"MEASURED card after the database came back: {time.monotonic() - started:.1f} s")
        assert time.monotonic() - started < 25  # not the 5-minute lease
        def job_statuses() -> list[str]:
            with bot.services.db.session() as session:
                return list(session.scalars(select(Job.status).where(Job.kind == "process_link")))

        wait_until(lambda: job_statuses() == ["done"], 10, "the job recorded as done")  # just after its card
        with bot.services.db.session() as session:
            assert session.scalars(select(LinkPost.status)).all() == ["done"]
        assert len(claim_posts(bot.slack, NEWS_CHANNEL)) >= 3
    finally:
        server.__exit__(None, None, None)
        proxy.close()


# -- 1: the summary's privacy rule, end to end -------------------------------------------------------


def test_claims_summary_and_weekly_post_keep_private_claims_private(bot: RunningBot) -> None:
    private = "C0SECRET"
    bot.slack.add_channel(private, "investigations", is_private=True, members=[REPORTER])
    now = datetime.now(UTC)
    seed(bot, 1, channel=private, status="resolved", verdict="false", start=now - timedelta(minutes=30),
         prefix="Hush")
    seed(bot, 1, channel=private, status="open", start=now - timedelta(minutes=20), prefix="Quiet")
    seed(bot, 1, status="resolved", verdict="true", start=now - timedelta(minutes=10), prefix="Open")
    with bot.services.db.session() as session:
        secret_links = [c.permalink for c in session.scalars(select(Claim).where(Claim.channel_id == private))]

    outsider = json.dumps(claims_answer(bot, "summary", user=EDITOR))
    assert "Open 0" in outsider
    assert "Hush" not in outsider and "Quiet" not in outsider
    assert all(link_ not in outsider for link_ in secret_links)
    member = json.dumps(claims_answer(bot, "summary", user=REPORTER))
    assert "Hush 0" in member and "Quiet 0" in member

    week = datetime.now(UTC).strftime("%G-W%V")
    ts = bot.services.weekly.post_weekly(week, NEWS_CHANNEL)
    posted = json.dumps(bot.slack.message(NEWS_CHANNEL, ts))
    assert "Open 0" in posted
    assert "Hush" not in posted and "Quiet" not in posted
    assert all(link_ not in posted for link_ in secret_links)
