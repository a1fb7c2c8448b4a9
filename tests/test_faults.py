"""Slack faults and process crashes: retries as Slack asks, nothing posted twice, nothing lost.

These tests drive the bot with the LLM extractor against the local OpenAI-compatible server (scripted,
deterministic claims), so the number of posts expected is known exactly.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BOT_TOKEN, NEWS_CHANNEL, SIGNING_SECRET, RunningBot, llm_settings, scripted_llm
from tests.harness.article_server import ArticleServer
from tests.harness.openai_server import OpenAIStandIn
from tests.harness.posts import bot_replies, claim_posts
from tests.harness.processes import bot_env, bot_process, free_port, listens
from tests.harness.signing import SlackEventSender
from tests.harness.slack_api import SlackStandIn
from tests.harness.waiting import assert_quiet, wait_for_card, wait_until

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = (ROOT / "samples" / "bagram-bounty.html").read_bytes()


def top_level_posts(slack: SlackStandIn) -> list[dict]:
    """The bot's messages outside threads in the news channel: its claim messages."""
    return [m for m in slack.bot_messages(NEWS_CHANNEL) if m.get("thread_ts") in (None, m["ts"])]


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
    assert len(claim_posts(slack, NEWS_CHANNEL)) == 3
    assert len(slack.bot_messages(NEWS_CHANNEL)) == 4  # three claims and the card, each once
    assert len(calls) == 6  # two refused attempts, then four posts
    assert calls[1].time - calls[0].time >= 0.9  # waited as Retry-After asked


def test_lost_response_is_not_posted_twice(llm_bot: RunningBot) -> None:
    slack = llm_bot.slack
    slack.lose_response_next("chat.postMessage")  # the first claim is posted, its answer lost
    ts = llm_bot.post_link(f"<{llm_bot.article_url('/bagram-bounty')}>")
    wait_for_card(llm_bot, NEWS_CHANNEL, ts)
    assert_quiet(slack, 0.3, "chat.postMessage")  # no late second try of the claim whose answer was lost
    assert len(claim_posts(slack, NEWS_CHANNEL)) == 3
    assert len(slack.bot_messages(NEWS_CHANNEL)) == 4
    texts = [m["text"] for m in claim_posts(slack, NEWS_CHANNEL)]
    assert len(set(texts)) == 3


def test_slow_answer_that_times_out_is_not_posted_twice(llm_bot: RunningBot) -> None:
    slack = llm_bot.slack
    slack.delay_next("chat.postMessage", 1.5)  # longer than the client's 1 s timeout; Slack still posts it
    ts = llm_bot.post_link(f"<{llm_bot.article_url('/bagram-bounty')}>")
    wait_for_card(llm_bot, NEWS_CHANNEL, ts, timeout=30)
    assert_quiet(slack, 0.5, "chat.postMessage")  # no late second try of the claim that timed out
    assert len(claim_posts(slack, NEWS_CHANNEL)) == 3
    assert len(slack.bot_messages(NEWS_CHANNEL)) == 4


# -- whole processes --------------------------------------------------------------------------------


@pytest.fixture
def process_env(database_url: str, slack: SlackStandIn, articles: ArticleServer, llm: OpenAIStandIn,
                tmp_path: Path) -> dict[str, str]:
    scripted_llm(llm)
    return bot_env(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, slack_api_url=slack.api_url,
                   database_url=database_url, port=free_port(), article_hostport=f"127.0.0.1:{articles.port}",
                   SLACK_TIMEOUT="2", CLAIM_EXTRACTOR="openai", OPENAI_API_KEY="sk-test-secret-abcdef",
                   OPENAI_BASE_URL=llm.base_url, OPENAI_MODEL="test-model", WORKER_THREADS="2", LOG_LEVEL="DEBUG")


def send_link(env: dict[str, str], slack: SlackStandIn, url: str) -> str:
    sender = SlackEventSender(f"http://127.0.0.1:{env['PORT']}/slack/events", SIGNING_SECRET)
    ts = slack.post_human_message(NEWS_CHANNEL, f"<{url}>", user="U0MARIA")
    response = sender.event(sender.message_event(channel=NEWS_CHANNEL, user="U0MARIA", text=f"<{url}>", ts=ts))
    assert response.status_code == 200
    return ts


def test_a_started_process_is_the_one_answering_on_its_port(process_env, slack, tmp_path) -> None:
    """Harness: a port picked for a bot can be taken by another test's server before the bot binds it;
    that server's health answer must not pass for the bot's (tests.harness.processes.Process.start)."""
    from waitress.server import create_server

    def other(_environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok, but another test's server\n"]

    taken = int(process_env["PORT"])
    squatter = create_server(other, host="127.0.0.1", port=taken, threads=1)
    threading.Thread(target=squatter.run, daemon=True).start()
    try:
        bot = bot_process(process_env, tmp_path / "bot.log").start()
        try:
            assert bot.port != taken and process_env["PORT"] == str(bot.port)
            assert listens(bot.pid, bot.port) and not listens(bot.pid, taken)
            ts = send_link(process_env, slack, "https://news.example.org/none")  # answered by the bot itself
            assert ts
        finally:
            bot.stop()
    finally:
        squatter.close()


def test_killed_while_fetching_finishes_after_restart_once(process_env, slack, articles, tmp_path) -> None:
    articles.add("/slow-story", SAMPLE, delay=2.0)
    bot = bot_process(process_env, tmp_path / "bot.log").start()
    ts = send_link(process_env, slack, f"http://127.0.0.1:{articles.port}/slow-story")
    wait_until(lambda: articles.hits("/slow-story") >= 1, 30, "the fetch to start")
    bot.kill()  # SIGKILL in the middle of the fetch: the event was acknowledged, the work not done
    assert not bot_replies(slack, NEWS_CHANNEL, ts)

    restarted = bot_process(process_env, tmp_path / "bot.log").start()
    wait_until(lambda: bot_replies(slack, NEWS_CHANNEL, ts), 30, "the card")
    assert_quiet(slack, 0.5, "chat.postMessage")
    restarted.terminate()
    assert len(bot_replies(slack, NEWS_CHANNEL, ts)) == 1
    assert len(top_level_posts(slack)) == 3


def test_killed_while_posting_resumes_without_duplicates(process_env, slack, articles, tmp_path) -> None:
    slack.delay_next("chat.postMessage", 0.05)  # first claim: quick
    bot = bot_process(process_env, tmp_path / "bot.log").start()
    slack.delay_next("chat.postMessage", 0.05)
    slack.delay_next("chat.postMessage", 1.5)  # second claim: in flight when the process dies
    ts = send_link(process_env, slack, f"http://127.0.0.1:{articles.port}/bagram-bounty")
    wait_until(lambda: len(slack.calls_to("chat.postMessage")) >= 2, 20, "the second claim post")
    bot.kill()
    # Slack finishes the post in flight (the bot never recorded it): every call received has its message.
    wait_until(lambda: len(slack.bot_messages(NEWS_CHANNEL)) >= len(slack.calls_to("chat.postMessage")), 10,
               "the post in flight to land")

    restarted = bot_process(process_env, tmp_path / "bot.log").start()
    wait_until(lambda: bot_replies(slack, NEWS_CHANNEL, ts), 30, "the card")
    assert_quiet(slack, 0.5, "chat.postMessage")
    restarted.terminate()
    claims = top_level_posts(slack)
    assert len(claims) == 3, [m["text"][:60] for m in claims]
    assert len({m["metadata"]["event_payload"]["claim_id"] for m in claims}) == 3


def test_sigterm_stops_cleanly_and_secrets_stay_out_of_logs(process_env, slack, articles, tmp_path) -> None:
    log_path = tmp_path / "bot.log"
    bot = bot_process(process_env, log_path).start()
    ts = send_link(process_env, slack, f"http://127.0.0.1:{articles.port}/bagram-bounty")
    wait_until(lambda: bot_replies(slack, NEWS_CHANNEL, ts), 30, "the card")
    assert bot.terminate() == 0
    log = log_path.read_text()
    assert "shutting down (SIGTERM)" in log
    for secret in (BOT_TOKEN, SIGNING_SECRET, "sk-test-secret-abcdef"):
        assert secret not in log
    assert "Traceback" not in log
    assert "will be unused" not in log and "will be ignored" not in log  # Bolt's notices about our token


def test_two_processes_on_one_database_post_everything_once(process_env, slack, articles, tmp_path) -> None:
    """Behind a load balancer, Slack's retry of an event can reach another process than the first try."""
    import threading

    second_env = dict(process_env, PORT=str(free_port()))
    first = bot_process(process_env, tmp_path / "first.log").start()
    second = bot_process(second_env, tmp_path / "second.log").start()
    senders = [SlackEventSender(f"http://127.0.0.1:{env['PORT']}/slack/events", SIGNING_SECRET)
               for env in (process_env, second_env)]
    posted = []
    for index in range(3):
        articles.add(f"/story-{index}", SAMPLE)
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
        return sum(len(bot_replies(slack, NEWS_CHANNEL, ts)) for ts in posted)

    wait_until(lambda: cards() >= 3, 40, "three cards")
    # Notes in earlier claims' threads ("this claim came back", the same article three times) may follow
    # the cards; nothing else may: neither process posts anything twice, even late.
    assert_quiet(slack, 1.0, "chat.postMessage",
                 where=lambda call: (call.params.get("metadata") or {}).get("event_type") != "factcheck_returned")
    first.terminate()
    second.terminate()
    assert cards() == 3
    # The same claims (same quotes) from three URLs: three articles, nine claim threads, none twice.
    claims = top_level_posts(slack)
    assert len(claims) == 9
    assert len({m["metadata"]["event_payload"]["claim_id"] for m in claims}) == 9
    tagged = [json.dumps(m["metadata"], sort_keys=True) for m in slack.bot_messages(NEWS_CHANNEL) if m.get("metadata")]
    assert len(tagged) == len(set(tagged))  # every post (claim, card, note) exactly once
    assert len(slack.calls_to("reactions.add")) >= 3


def test_sigterm_mid_job_finishes_or_hands_back_the_work(process_env, slack, articles, tmp_path) -> None:
    articles.add("/slowish", SAMPLE, delay=2.0)
    bot = bot_process(process_env, tmp_path / "bot.log").start()
    ts = send_link(process_env, slack, f"http://127.0.0.1:{articles.port}/slowish")
    wait_until(lambda: articles.hits("/slowish") >= 1, 10, "the fetch to start")
    started = time.monotonic()
    assert bot.terminate() == 0
    assert time.monotonic() - started < 30  # within Heroku's 30 s grace period

    def replies() -> list[dict]:
        return bot_replies(slack, NEWS_CHANNEL, ts)

    if not replies():  # handed back rather than finished: the next process takes it at once
        restarted = bot_process(process_env, tmp_path / "bot.log").start()
        wait_until(lambda: replies(), 30, "the card after restart")
        restarted.terminate()
    # Every process has exited: nothing more can be posted, so the counts are final.
    assert len(replies()) == 1
    assert len(top_level_posts(slack)) == 3
