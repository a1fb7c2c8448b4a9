"""Every Slack Web API call ends by its total deadline and reads at most the size cap (issue 18).

Against the Slack stand-in over real sockets: an answer trickled a byte at a time (body only, or the
status line and headers too), a run of 429s whose Retry-After waits would add up past the deadline, and
an oversized answer. Deadlines here are a second or two so the suite never waits long.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from bot.slack.gateway import PostError, SlackGateway, SlackRefused
from bot.slack.messages import Message
from bot.slack.transport import SlackAnswerTooLarge, SlackDeadlineExceeded
from tests.conftest import BOT_TOKEN, NEWS_CHANNEL
from tests.harness.slack_api import SlackStandIn
from tests.harness.waiting import wait_for_card

DEADLINE = 1.0
# Thread start-up, the last chunk, a loaded 2-core machine.
SLACK = 1.5


def gateway(slack: SlackStandIn, deadline: float = DEADLINE, max_answer_bytes: int = 8 * 1024 * 1024) -> SlackGateway:
    # SLACK_TIMEOUT (per read) far longer than the deadline: only the total deadline can end these calls.
    client = SlackGateway(BOT_TOKEN, slack.api_url, timeout=20, deadline=deadline, max_answer_bytes=max_answer_bytes)
    client.lost_answer_waits = (0.1, 0.2, 0.3)
    return client


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "status-line-and-headers"])
def test_a_trickled_answer_ends_at_the_deadline(slack: SlackStandIn, headers_too: bool) -> None:
    slack.trickle_next("conversations.info", seconds=0.05, headers_too=headers_too)  # ~20-40 s in all
    started = time.monotonic()
    with pytest.raises(SlackDeadlineExceeded):
        gateway(slack).channel_info(NEWS_CHANNEL)
    assert time.monotonic() - started < DEADLINE + SLACK
    # The next call is not held up by the abandoned one.
    assert gateway(slack).channel_info(NEWS_CHANNEL) is not None


def test_retries_of_a_rate_limited_call_stop_at_the_deadline(slack: SlackStandIn) -> None:
    """Five 429s with Retry-After 1 would take slack_sdk's handler about 7 s; the deadline is 2 s."""
    slack.fail_next("reactions.get", 429, retry_after=1, times=10)
    started = time.monotonic()
    with pytest.raises(SlackRefused) as refused:
        gateway(slack, deadline=2.0).reactions_on(NEWS_CHANNEL, "1.000001")
    elapsed = time.monotonic() - started
    assert refused.value.code == "ratelimited"
    assert elapsed < 2.0 + SLACK
    assert 1 <= len(slack.calls_to("reactions.get")) <= 2  # retried while the wait fitted, then not


def test_a_retry_that_fits_is_still_made(slack: SlackStandIn) -> None:
    slack.fail_next("reactions.get", 429, retry_after=0, times=1)
    with pytest.raises(SlackRefused) as refused:  # retried once, then Slack's own answer (no such message)
        gateway(slack).reactions_on(NEWS_CHANNEL, "1.000001")
    assert refused.value.code == "message_not_found"
    assert len(slack.calls_to("reactions.get")) == 2


def test_an_oversized_answer_is_refused(slack: SlackStandIn) -> None:
    slack.oversize_next("conversations.members", size=200_000)
    with pytest.raises(SlackAnswerTooLarge):
        gateway(slack, max_answer_bytes=100_000).channel_members(NEWS_CHANNEL)
    assert gateway(slack, max_answer_bytes=100_000).channel_members(NEWS_CHANNEL)


def test_a_post_whose_answer_trickles_is_found_not_posted_twice(slack: SlackStandIn,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    """Slack posted, then trickled its answer: the call ends at the deadline, the post is looked for and
    found, and the channel has the message once."""
    slack.trickle_next("chat.postMessage", seconds=0.05)
    message = Message("Claim 1", [{"type": "section", "text": {"type": "mrkdwn", "text": "Claim 1"}}],
                      {"event_type": "fc_claim", "event_payload": {"claim_id": 1}})
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="bot.slack.gateway"):
        ts = gateway(slack).post(NEWS_CHANNEL, message)
    assert time.monotonic() - started < DEADLINE + 1.0 + SLACK
    posted = [m for m in slack.messages(NEWS_CHANNEL) if m.get("bot_id")]
    assert [m["ts"] for m in posted] == [ts]
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert "checking whether it was posted" in caplog.text


def test_a_post_ends_within_twice_the_deadline_when_slack_trickles_everything(slack: SlackStandIn) -> None:
    """Slack posts but trickles every answer, the looks for the post included: the post gives up within
    twice the call deadline (the job is retried and its resumed attempt looks first), having posted once."""
    slack.trickle_next("*", seconds=0.05, times=100)
    message = Message("Claim 2", [{"type": "section", "text": {"type": "mrkdwn", "text": "Claim 2"}}],
                      {"event_type": "fc_claim", "event_payload": {"claim_id": 2}})
    started = time.monotonic()
    with pytest.raises(PostError) as failed:
        gateway(slack).post(NEWS_CHANNEL, message)
    assert failed.value.code == "no_response"
    assert time.monotonic() - started < 2 * DEADLINE + SLACK
    assert len(slack.calls_to("chat.postMessage")) == 1
    slack.clear_faults()
    resumed = gateway(slack).post(NEWS_CHANNEL, message, resume=True)
    assert [m["ts"] for m in slack.messages(NEWS_CHANNEL) if m.get("bot_id")] == [resumed]


def test_a_card_still_arrives_once_when_slack_trickles_a_post(bot_factory: Any) -> None:
    """The whole bot, SLACK_CALL_DEADLINE=1.5: Slack posts the first message of a link's work and trickles
    its answer for ~20 s. The call ends at the deadline, the post is found, and the card and every claim
    message are in the channel exactly once, well before the trickle would have ended."""
    bot = bot_factory(slack_call_deadline=1.5)
    bot.services.gateway.lost_answer_waits = (0.2, 0.4, 0.8)
    bot.slack.trickle_next("chat.postMessage", seconds=0.05)
    started = time.monotonic()
    ts = bot.post_link(f"<{bot.article_url('/bagram-bounty')}>")
    card = wait_for_card(bot, NEWS_CHANNEL, ts, timeout=15)
    assert "claims to check" in json.dumps(card["blocks"])
    assert time.monotonic() - started < 12
    posts = [m for m in bot.slack.messages(NEWS_CHANNEL) if m.get("bot_id")]
    keys = [json.dumps(m.get("metadata"), sort_keys=True) for m in posts]
    assert len(posts) >= 2 and len(set(keys)) == len(keys)  # nothing posted twice


def test_an_answer_through_response_url_waits_at_most_the_deadline(slack: SlackStandIn,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    slack.delay_next("response_url", 5.0)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="bot.slack.gateway"):
        gateway(slack).respond(slack.response_url(), "Done")
    assert time.monotonic() - started < DEADLINE + SLACK
    assert "no answer within" in caplog.text
