"""Signed but pathological bodies through the real HTTP stack (waitress, handlers/http.py, Bolt).

A valid signature proves the body came from someone holding the signing secret, not that it is sane:
a leaked secret, a proxy bug or a Slack bug can still deliver input that makes a naive parser blow up.
Each must get a 400 with a reason, never a 500, and the bot must keep answering afterwards.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.conftest import RunningBot

DEPTH = 200_000


@pytest.fixture(autouse=True)
def hang_up_before_stopping(bot: RunningBot) -> Iterator[None]:
    """These tests end right after a request, with the sender's keep-alive connection open; stopping the
    bot then closes it from another thread while waitress's loop may be polling it (an EBADF thread
    warning). Hanging up first, and giving waitress a moment to see it, keeps teardown quiet."""
    yield
    bot.sender.close()
    time.sleep(0.2)


def deep_json(depth: int) -> bytes:
    return b'{"type": "event_callback", "team_id": "T0TEST", "event": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize(("name", "body", "content_type", "reason"), [
    ("deep-json", deep_json(DEPTH), "application/json", "nested too deeply"),
    ("deep-form-payload", b"payload=" + b"[" * DEPTH + b"]" * DEPTH,  # brackets need no escaping
     "application/x-www-form-urlencoded", "nested too deeply"),
    ("huge-integer", b'{"type": "event_callback", "event_time": ' + b"9" * 100_000 + b"}", "application/json",
     "malformed"),
])
def test_signed_pathological_bodies_get_400_with_a_reason(bot: RunningBot, name: str, body: bytes,
                                                          content_type: str, reason: str) -> None:
    assert len(body) < 1024 * 1024  # under the 413 limit: this is about parsing, not size
    response = bot.sender.raw(body, content_type=content_type)
    assert response.status_code == 400, response.text
    assert reason in response.text
    # Still healthy: the next genuine request is answered.
    assert bot.sender.url_verification("still-here").status_code == 200


def test_moderately_nested_bodies_still_reach_bolt(bot: RunningBot) -> None:
    """Slack's own payloads nest about a dozen containers deep (body > event > blocks > rich_text >
    list > section > element > style); twice that must still get through."""
    event = bot.sender.message_event(channel="C0NEWS", user="U0MARIA", text="hello")
    nested: object = {"type": "rich_text_section", "elements": []}
    for _ in range(12):
        nested = {"type": "rich_text_list", "elements": [nested]}
    event["blocks"] = [{"type": "rich_text", "elements": [nested]}]
    body = json.dumps({"type": "event_callback", "team_id": "T0TEST", "api_app_id": "A0TEST",
                       "event_id": bot.sender.new_event_id(), "event_time": 1, "event": event}).encode()
    assert bot.sender.raw(body).status_code == 200


def test_deeper_than_slack_nests_but_parseable_is_refused(bot: RunningBot) -> None:
    """900 levels parse with json.loads but would break recursive code downstream."""
    response = bot.sender.raw(deep_json(900))
    assert response.status_code == 400
    assert "nested too deeply" in response.text
