"""Slack faults and process crashes: retries as Slack asks, nothing posted twice, nothing lost.

These tests drive the bot with the LLM extractor against the local OpenAI-compatible server (scripted,
deterministic claims), so the number of posts expected is known exactly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BOT_TOKEN, NEWS_CHANNEL, SIGNING_SECRET, RunningBot, llm_settings, scripted_llm
from tests.harness.article_server import ArticleServer
from tests.harness.openai_server import OpenAIStandIn
from tests.harness.signing import SlackEventSender
from tests.harness.slack_api import SlackStandIn
from tests.test_link_to_threads import claim_posts, wait_for_card

ROOT = Path(__file__).resolve().parent.parent
def bot_posts(slack: SlackStandIn, channel: str = NEWS_CHANNEL) -> list[dict]:
    return [m for m in slack.messages(channel) if m.get("bot_id")]


@pytest.fixture
def llm_bot(bot_factory, llm: OpenAIStandIn) -> RunningBot:
    scripted_llm(llm)
    bot = bot_factory(**llm_settings(llm))
    bot.services.gateway.lost_answer_waits = (0.3, 0.6, 1.0, 1.5)
    return bot


def test_rate_limits_and_server_errors_are_retried_as_slack_asks(llm_bot: RunningBot) -> None:
    slack = llm_bot.slack
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    slack.fail_next("chat.postMessage", status=503)
    ts = llm_bot.post_link(f"<{llm_bot.article_url('/bagram-bounty')}>")
    wait_for_card(llm_bot, NEWS_CHANNEL, ts)
    calls = slack.calls_to("chat.postMessage")
    assert len(claim_posts(llm_bot, NEWS_CHANNEL)) == 3
    assert len(bot_posts(slack)) == 4  # three claims and the card, each once
    assert len(calls) == 6  # two refused attempts, then four posts
    assert calls[1].time - calls[0].time >= 0.9  # waited as Retry-After asked


def test_lost_response_is_not_posted_twice(llm_bot: RunningBot) -> None:
    slack = llm_bot.slack
    slack.lose_response_next("chat.postMessage")  # the first claim is posted, its answer lost
    ts = llm_bot.post_link(f"<{llm_bot.article_url('/bagram-bounty')}>")
    wait_for_card(llm_bot, NEWS_CHANNEL, ts)
    time.sleep(0.3)
    assert len(claim_posts(llm_bot, NEWS_CHANNEL)) == 3
    assert len(bot_posts(slack)) == 4
    texts = [m["text"] for m in claim_posts(llm_bot, NEWS_CHANNEL)]
    assert len(set(texts)) == 3


def test_slow_answer_that_times_out_is_not_posted_twice(llm_bot: RunningBot) -> None:
    slack = llm_bot.slack
    slack.delay_next("chat.postMessage", 1.5)  # longer than the client's 1 s timeout; Slack still posts it
    ts = llm_bot.post_link(f"<{llm_bot.article_url('/bagram-bounty')}>")
    wait_for_card(llm_bot, NEWS_CHANNEL, ts, timeout=30)
    time.sleep(0.5)
    assert len(claim_posts(llm_bot, NEWS_CHANNEL)) == 3
    assert len(bot_posts(slack)) == 4


# -- whole processes --------------------------------------------------------------------------------


class BotProcess:
    """`python app.py` as a real process, HTTP mode, pointed at the local servers."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> BotProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=self.env,
                                        stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{self.env['PORT']}/healthz"
        deadline = time.monotonic() + 30
        import httpx

        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"bot did not start:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def process_env(database_url: str, slack: SlackStandIn, articles: ArticleServer, llm: OpenAIStandIn,
                tmp_path: Path) -> dict[str, str]:
    scripted_llm(llm)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "DATABASE_"))}
    env.update({
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.api_url,
        "SLACK_TIMEOUT": "2", "DATABASE_URL": database_url, "PORT": str(free_port()),
        "FETCH_ALLOWED_PRIVATE_HOSTS": f"127.0.0.1:{articles.port}", "CLAIM_EXTRACTOR": "openai",
        "OPENAI_API_KEY": "sk-test-secret-abcdef", "OPENAI_BASE_URL": llm.base_url, "OPENAI_MODEL": "test-model",
        "WORKER_THREADS": "2", "LOG_LEVEL": "DEBUG", "PYTHONUNBUFFERED": "1",
    })
    return env


def send_link(env: dict[str, str], slack: SlackStandIn, url: str) -> str:
    sender = SlackEventSender(f"http://127.0.0.1:{env['PORT']}/slack/events", SIGNING_SECRET)
    ts = slack.post_human_message(NEWS_CHANNEL, f"<{url}>", user="U0MARIA")
    response = sender.event(sender.message_event(channel=NEWS_CHANNEL, user="U0MARIA", text=f"<{url}>", ts=ts))
    assert response.status_code == 200
    return ts


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_while_fetching_finishes_after_restart_once(process_env, slack, articles, tmp_path) -> None:
    articles.add("/slow-story", (ROOT / "samples" / "bagram-bounty.html").read_bytes(), delay=2.0)
    bot = BotProcess(process_env, tmp_path / "bot.log").start()
    ts = send_link(process_env, slack, f"http://127.0.0.1:{articles.port}/slow-story")
    wait_until(lambda: articles.hits("/slow-story") >= 1, 10, "the fetch to start")
    bot.kill()  # SIGKILL in the middle of the fetch: the event was acknowledged, the work not done
    assert not [m for m in slack.thread(NEWS_CHANNEL, ts) if m.get("bot_id")]

    restarted = BotProcess(process_env, tmp_path / "bot.log").start()
    wait_until(lambda: [m for m in slack.thread(NEWS_CHANNEL, ts) if m.get("bot_id")], 30, "the card")
    time.sleep(0.5)
    restarted.terminate()
    assert len([m for m in slack.thread(NEWS_CHANNEL, ts) if m.get("bot_id")]) == 1
    assert len([m for m in bot_posts(slack) if not m.get("thread_ts")]) == 3


def test_killed_while_posting_resumes_without_duplicates(process_env, slack, articles, tmp_path) -> None:
    slack.delay_next("chat.postMessage", 0.05)  # first claim: quick
    bot = BotProcess(process_env, tmp_path / "bot.log").start()
    slack.delay_next("chat.postMessage", 0.05)
    slack.delay_next("chat.postMessage", 1.5)  # second claim: in flight when the process dies
    ts = send_link(process_env, slack, f"http://127.0.0.1:{articles.port}/bagram-bounty")
    wait_until(lambda: len(slack.calls_to("chat.postMessage")) >= 2, 20, "the second claim post")
    bot.kill()
    time.sleep(1.7)  # Slack finishes posting the second claim; the bot never recorded it

    restarted = BotProcess(process_env, tmp_path / "bot.log").start()
    wait_until(lambda: [m for m in slack.thread(NEWS_CHANNEL, ts) if m.get("bot_id")], 30, "the card")
    time.sleep(0.5)
    restarted.terminate()
    claims = [m for m in bot_posts(slack) if not m.get("thread_ts")]
    assert len(claims) == 3, [m["text"][:60] for m in claims]
    assert len({m["metadata"]["event_payload"]["claim_id"] for m in claims}) == 3


def test_sigterm_stops_cleanly_and_secrets_stay_out_of_logs(process_env, slack, articles, tmp_path) -> None:
    log_path = tmp_path / "bot.log"
    bot = BotProcess(process_env, log_path).start()
    ts = send_link(process_env, slack, f"http://127.0.0.1:{articles.port}/bagram-bounty")
    wait_until(lambda: [m for m in slack.thread(NEWS_CHANNEL, ts) if m.get("bot_id")], 30, "the card")
    assert bot.terminate() == 0
    log = log_path.read_text()
    assert "shutting down (SIGTERM)" in log
    for secret in (BOT_TOKEN, SIGNING_SECRET, "sk-test-secret-abcdef"):
        assert secret not in log


def test_two_processes_on_one_database_post_everything_once(process_env, slack, articles, tmp_path) -> None:
    """Behind a load balancer, Slack's retry of an event can reach another process than the first try."""
    import threading

    second_env = dict(process_env, PORT=str(free_port()))
    first = BotProcess(process_env, tmp_path / "first.log").start()
    second = BotProcess(second_env, tmp_path / "second.log").start()
    senders = [SlackEventSender(f"http://127.0.0.1:{env['PORT']}/slack/events", SIGNING_SECRET)
               for env in (process_env, second_env)]
    posted = []
    for index in range(3):
        articles.add(f"/story-{index}", (ROOT / "samples" / "bagram-bounty.html").read_bytes())
        url = f"http://127.0.0.1:{articles.port}/story-{index}"
        ts = slack.post_human_message(NEWS_CHANNEL, f"<{url}>", user="U0MARIA")
        event = senders[0].message_event(channel=NEWS_CHANNEL, user="U0MARIA", text=f"<{url}>", ts=ts)
        deliveries = [threading.Thread(target=sender.event, args=(event,), kwargs={"event_id": f"Ev0MULTI{index}",
                                                                                  "retry_num": retry})
                      for retry, sender in ((None, senders[0]), (1, senders[1]))]
        deliveries.append(threading.Thread(target=senders[1].event, args=(event,)))  # another event id, same message
        for delivery in deliveries:
            delivery.start()
        for delivery in deliveries:
            delivery.join()
        posted.append(ts)

    def cards() -> int:
        return sum(len([m for m in slack.thread(NEWS_CHANNEL, ts) if m.get("bot_id")]) for ts in posted)

    wait_until(lambda: cards() >= 3, 40, "three cards")
    time.sleep(1.0)
    first.terminate()
    second.terminate()
    assert cards() == 3
    # The same claims (same quotes) from three URLs: three articles, nine claim threads, none twice.
    claims = [m for m in bot_posts(slack) if not m.get("thread_ts")]
    assert len(claims) == 9
    assert len({m["metadata"]["event_payload"]["claim_id"] for m in claims}) == 9
    assert len(slack.calls_to("reactions.add")) >= 3


def test_sigterm_mid_job_finishes_or_hands_back_the_work(process_env, slack, articles, tmp_path) -> None:
    articles.add("/slowish", (ROOT / "samples" / "bagram-bounty.html").read_bytes(), delay=2.0)
    bot = BotProcess(process_env, tmp_path / "bot.log").start()
    ts = send_link(process_env, slack, f"http://127.0.0.1:{articles.port}/slowish")
    wait_until(lambda: articles.hits("/slowish") >= 1, 10, "the fetch to start")
    started = time.monotonic()
    assert bot.terminate() == 0
    assert time.monotonic() - started < 30  # within Heroku's 30 s grace period

    def replies() -> list[dict]:
        return [m for m in slack.thread(NEWS_CHANNEL, ts) if m.get("bot_id")]

    if not replies():  # handed back rather than finished: the next process takes it at once
        restarted = BotProcess(process_env, tmp_path / "bot.log").start()
        wait_until(lambda: replies(), 30, "the card after restart")
        restarted.terminate()
    time.sleep(0.5)
    assert len(replies()) == 1
    assert len([m for m in bot_posts(slack) if not m.get("thread_ts")]) == 3
