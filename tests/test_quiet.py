"""Events no listener acts on are answered by the HTTP front, before Bolt (handlers/quiet.py).

The decision must never swallow an event the bot needs: every kind of event the listeners act on is
checked here to reach Bolt, and the chatter that does not is checked to be answered without it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import App
from slack_sdk import WebClient
from waitress.server import create_server

from handlers.http import EVENTS_PATH, wsgi_app
from handlers.quiet import quiet_events
from tests.conftest import SIGNING_SECRET, RunningBot
from tests.harness.signing import SlackEventSender
from tests.harness.slack_api import BOT_ID, BOT_USER_ID, SlackStandIn

CHANNEL = "C0QUIET"
CLAIM_TS = "1700000000.000100"


def _message(text: str, **extra: Any) -> dict[str, Any]:
    return SlackEventSender.message_event(channel=CHANNEL, user="U0TALKER", text=text, ts="1700000001.000200",
                                          **extra)


def _reaction(emoji: str, item: dict[str, Any] | None = None) -> dict[str, Any]:
    event = SlackEventSender.reaction_event("reaction_added", "U0VOTER", emoji, CHANNEL, CLAIM_TS)
    if item is not None:
        event["item"] = item
    return event


# (what, event): events the listeners act on; each must reach Bolt.
WANTED: list[tuple[str, dict[str, Any]]] = [
    ("a link", _message("Worth a look: <https://news.example.org/story>")),
    ("a link only in the blocks", {**_message("see this"), "blocks": [
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
            {"type": "link", "url": "https://news.example.org/other"}]}]}]}),
    ("a reply in a thread", _message("I called them, the figure is right", thread_ts=CLAIM_TS)),
    ("a channel made private", _message("", subtype="channel_convert_to_private")),
    ("a channel archived", _message("", subtype="channel_archive")),
    ("a verdict emoji", _reaction("white_check_mark")),
    ("a verdict emoji with a skin tone", _reaction("white_check_mark::skin-tone-3")),
    ("the assign emoji", _reaction("eyes")),
    ("App Home opened", {"type": "app_home_opened", "user": "U0TALKER", "channel": "D0HOME", "tab": "home"}),
    ("the bot joining a channel", {"type": "member_joined_channel", "user": BOT_USER_ID, "channel": CHANNEL}),
]

# Events the listeners receive and do nothing with.
QUIET: list[tuple[str, dict[str, Any]]] = [
    ("chatter", _message("has anyone called the ministry back about the figures yet?")),
    ("a link from the bot itself", _message("<https://news.example.org/story>", bot_id=BOT_ID)),
    ("another emoji", _reaction("thumbsup")),
    ("a verdict emoji on a file", _reaction("white_check_mark", item={"type": "file", "file": "F0FILE"})),
]


@pytest.mark.parametrize(("what", "event"), WANTED, ids=[w for w, _ in WANTED])
def test_events_the_bot_acts_on_reach_bolt(bot: RunningBot, what: str, event: dict[str, Any]) -> None:
    quiet = quiet_events(bot.services)
    assert not quiet(bot.sender.envelope(event)), f"{what} would be answered without the listeners"


@pytest.mark.parametrize(("what", "event"), QUIET, ids=[w for w, _ in QUIET])
def test_chatter_is_answered_without_bolt(bot: RunningBot, what: str, event: dict[str, Any]) -> None:
    assert quiet_events(bot.services)(bot.sender.envelope(event)), f"{what} went through Bolt's dispatch"


def test_requests_other_than_events_always_reach_bolt(bot: RunningBot) -> None:
    quiet = quiet_events(bot.services)
    assert not quiet({"type": "block_actions", "actions": []})
    assert not quiet({"command": "/claims", "text": ""})
    assert not quiet({"type": "event_callback", "event": "not an object"})
    # Shapes Slack never sends, signed all the same: left to Bolt and its error handler, never raised here.
    assert not quiet({"type": "event_callback", "event": {"type": "message", "subtype": ["a list"]}})
    # An emoji name that is no string is no verdict: quiet, as the listener would find.
    assert quiet({"type": "event_callback", "event": {"type": "reaction_added", "reaction": {"x": 1},
                                                      "item": {"type": "message", "channel": "C", "ts": "1"}}})


class _CountingApp:
    """A real Bolt app behind the real HTTP front, counting what its listeners are given."""

    def __init__(self, slack: SlackStandIn, quiet: Any) -> None:
        self.seen: list[str] = []
        app = App(client=WebClient(token="xoxb-test", base_url=slack.api_url), signing_secret=SIGNING_SECRET,
                  request_verification_enabled=False, process_before_response=True)

        @app.event("message")
        def on_message(event: dict[str, Any]) -> None:
            self.seen.append(str(event.get("text")))

        socket_map: dict[int, Any] = {}
        self.server = create_server(wsgi_app(app, SIGNING_SECRET, quiet=quiet), map=socket_map,
                                    host="127.0.0.1", port=0, threads=2)
        self.url = f"http://127.0.0.1:{self.server.socket.getsockname()[1]}{EVENTS_PATH}"
        threading.Thread(target=self.server.run, daemon=True).start()


@pytest.fixture
def counting(bot: RunningBot, slack: SlackStandIn) -> Iterator[_CountingApp]:
    front = _CountingApp(slack, quiet_events(bot.services))
    yield front
    front.server.close()


def test_the_front_answers_quiet_events_itself_and_passes_the_rest(counting: _CountingApp) -> None:
    with SlackEventSender(counting.url, SIGNING_SECRET) as sender:
        chatter = sender.event(_message("lunch anyone?"))
        link = sender.event(_message("read <https://news.example.org/story>"))
        unsigned = sender.raw(b'{"type": "event_callback", "event": {"type": "message"}}', sign=False)
    assert (chatter.status_code, chatter.text) == (200, "")
    assert link.status_code == 200
    assert unsigned.status_code == 401  # the signature is still checked first
    assert counting.seen == ["read <https://news.example.org/story>"]
