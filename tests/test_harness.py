"""The harness behaves like the real services, as seen by the real clients (slack_sdk, slack_bolt,
openai, httpx). If these tests fail, every other test's evidence is in doubt, so they come first.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import openai
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from tests.harness.article_server import ArticleServer
from tests.harness.httpserver import LocalServer, QuietHandler
from tests.harness.openai_server import OpenAIStandIn
from tests.harness.signing import SlackEventSender, sign
from tests.harness.slack_api import BOT_ID, BOT_USER_ID, TEAM_ID, SlackStandIn
from tests.harness.waiting import assert_quiet

SECRET = "harness-signing-secret"
NEWS = "C0NEWS"
MARIA = "U0MARIA"
TS = re.compile(r"^\d{10}\.\d{6}$")


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.add_channel(NEWS, "newsroom", members=[MARIA])
        standin.add_user(MARIA, "maria", "Maria Reporter", tz="Europe/Berlin")
        yield standin


def client_for(slack: SlackStandIn, **kwargs: Any) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.api_url, **kwargs)


# -- Slack Web API stand-in ----------------------------------------------------------------------


def test_auth_test_identifies_the_bot(slack: SlackStandIn) -> None:
    answer = client_for(slack).auth_test()
    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == (TEAM_ID, BOT_USER_ID, BOT_ID)
    call = slack.calls_to("auth.test")[0]
    assert call.token == "xoxb-test" and call.headers["Authorization"] == "Bearer xoxb-test"


def test_posted_messages_read_back_with_bot_identity_and_increasing_ts(slack: SlackStandIn) -> None:
    client = client_for(slack)
    first = client.chat_postMessage(
        channel=NEWS, text="one", metadata={"event_type": "t", "event_payload": {"a": 1}}
    )
    second = client.chat_postMessage(
        channel=NEWS, text="two", blocks=[{"type": "divider"}], unfurl_links=False
    )
    assert TS.match(first["ts"]) and TS.match(second["ts"]) and float(second["ts"]) > float(first["ts"])
    assert first["message"]["bot_id"] == BOT_ID and first["message"]["user"] == BOT_USER_ID
    history = client.conversations_history(channel=NEWS)["messages"]
    assert [m["text"] for m in history] == ["two", "one"]  # newest first, like Slack
    assert "metadata" not in history[1]
    with_metadata = client.conversations_history(channel=NEWS, include_all_metadata=True)["messages"]
    assert with_metadata[1]["metadata"] == {"event_type": "t", "event_payload": {"a": 1}}
    assert slack.calls_to("chat.postMessage")[1].params["unfurl_links"] is False
    assert [m["text"] for m in slack.messages(NEWS)] == ["one", "two"]


def test_threads_replies_permalinks_and_broadcasts(slack: SlackStandIn) -> None:
    client = client_for(slack)
    parent = slack.post_human_message(NEWS, "see <https://example.org/a|this>", MARIA)
    reply = client.chat_postMessage(channel=NEWS, text="claim 1", thread_ts=parent)["ts"]
    broadcast = client.chat_postMessage(channel=NEWS, text="all", thread_ts=parent, reply_broadcast=True)[
        "ts"
    ]
    replies = client.conversations_replies(channel=NEWS, ts=parent)["messages"]
    assert [m["ts"] for m in replies] == [parent, reply, broadcast]
    assert replies[0]["reply_count"] == 2 and replies[0]["thread_ts"] == parent
    assert replies[0]["reply_users"] == [BOT_USER_ID] and replies[0]["latest_reply"] == broadcast
    assert replies[1]["parent_user_id"] == MARIA
    assert replies[0]["blocks"][0]["elements"][0]["elements"][1] == {
        "type": "link",
        "url": "https://example.org/a",
        "text": "this",
    }
    history = [m["ts"] for m in client.conversations_history(channel=NEWS)["messages"]]
    assert history == [broadcast, parent]  # a plain reply stays in its thread
    assert [m["ts"] for m in slack.thread(NEWS, parent)] == [parent, reply, broadcast]

    top = client.chat_getPermalink(channel=NEWS, message_ts=parent)["permalink"]
    assert top == f"https://test.slack.com/archives/{NEWS}/p{parent.replace('.', '')}"
    nested = client.chat_getPermalink(channel=NEWS, message_ts=reply)["permalink"]
    assert (
        nested
        == f"https://test.slack.com/archives/{NEWS}/p{reply.replace('.', '')}?thread_ts={parent}&cid={NEWS}"
    )


def test_replies_paginate_with_the_parent_on_every_page(slack: SlackStandIn) -> None:
    client = client_for(slack)
    parent = slack.post_human_message(NEWS, "parent", MARIA)
    posted = [client.chat_postMessage(channel=NEWS, text=str(i), thread_ts=parent)["ts"] for i in range(5)]
    first = client.conversations_replies(channel=NEWS, ts=parent, limit=2)
    assert first["has_more"] and [m["ts"] for m in first["messages"]] == [parent, *posted[:2]]
    cursor = first["response_metadata"]["next_cursor"]
    second = client.conversations_replies(channel=NEWS, ts=parent, limit=2, cursor=cursor)
    assert [m["ts"] for m in second["messages"]] == [parent, *posted[2:4]]
    with pytest.raises(SlackApiError) as error:
        client.conversations_replies(channel=NEWS, ts="1.000001")
    assert error.value.response["error"] == "thread_not_found"


def test_history_window_is_exclusive_unless_inclusive_and_pages_with_cursors(slack: SlackStandIn) -> None:
    client = client_for(slack)
    stamps = [client.chat_postMessage(channel=NEWS, text=str(i))["ts"] for i in range(5)]
    window = client.conversations_history(channel=NEWS, oldest=stamps[1], latest=stamps[3])["messages"]
    assert [m["ts"] for m in window] == [stamps[2]]
    window = client.conversations_history(channel=NEWS, oldest=stamps[1], latest=stamps[3], inclusive=True)
    assert [m["ts"] for m in window["messages"]] == [stamps[3], stamps[2], stamps[1]]
    seen: list[str] = []
    cursor = None
    while True:
        page = client.conversations_history(channel=NEWS, limit=2, cursor=cursor)
        seen += [m["ts"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(stamps))
    with pytest.raises(SlackApiError) as error:
        client.conversations_history(channel=NEWS, cursor="not-a-cursor")
    assert error.value.response["error"] == "invalid_cursor"


def test_reactions_as_bot_and_as_people(slack: SlackStandIn) -> None:
    client = client_for(slack)
    ts = client.chat_postMessage(channel=NEWS, text="claim")["ts"]
    client.reactions_add(channel=NEWS, timestamp=ts, name="white_check_mark")
    with pytest.raises(SlackApiError) as error:
        client.reactions_add(channel=NEWS, timestamp=ts, name="white_check_mark")
    assert error.value.response["error"] == "already_reacted"
    assert slack.add_reaction(NEWS, ts, "white_check_mark", MARIA)
    assert not slack.add_reaction(NEWS, ts, "white_check_mark", MARIA)
    slack.add_reaction(NEWS, ts, "x", "U0EDITOR")
    message = client.reactions_get(channel=NEWS, timestamp=ts, full=True)["message"]
    assert message["reactions"] == [
        {"name": "white_check_mark", "users": [BOT_USER_ID, MARIA], "count": 2},
        {"name": "x", "users": ["U0EDITOR"], "count": 1},
    ]
    client.reactions_remove(channel=NEWS, timestamp=ts, name="white_check_mark")
    with pytest.raises(SlackApiError) as error:
        client.reactions_remove(channel=NEWS, timestamp=ts, name="white_check_mark")
    assert error.value.response["error"] == "no_reaction"
    slack.remove_reaction(NEWS, ts, "x", "U0EDITOR")
    assert slack.message(NEWS, ts)["reactions"] == [
        {"name": "white_check_mark", "users": [MARIA], "count": 1}
    ]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_update_delete_ephemeral_and_their_errors(slack: SlackStandIn) -> None:
    client = client_for(slack)
    parent = client.chat_postMessage(channel=NEWS, text="card")["ts"]
    lone = client.chat_postMessage(channel=NEWS, text="lone")["ts"]
    client.chat_postMessage(channel=NEWS, text="reply", thread_ts=parent)
    updated = client.chat_update(channel=NEWS, ts=parent, text="card v2")
    assert updated["message"]["text"] == "card v2" and "edited" in updated["message"]
    human = slack.post_human_message(NEWS, "mine", MARIA)
    for call, error in (
        (lambda: client.chat_update(channel=NEWS, ts=human, text="x"), "cant_update_message"),
        (lambda: client.chat_delete(channel=NEWS, ts=human), "cant_delete_message"),
        (lambda: client.chat_update(channel=NEWS, ts="1.000001", text="x"), "message_not_found"),
        (lambda: client.chat_postMessage(channel="C0NOPE", text="x"), "channel_not_found"),
        (lambda: client.chat_postMessage(channel=NEWS, text=""), "no_text"),
    ):
        with pytest.raises(SlackApiError) as raised:
            call()
        assert raised.value.response["error"] == error
    client.chat_delete(channel=NEWS, ts=lone)
    client.chat_delete(channel=NEWS, ts=parent)  # has a reply: becomes a tombstone
    assert slack.message(NEWS, lone) is None
    assert slack.message(NEWS, parent)["subtype"] == "tombstone"
    assert [d["text"] for d in slack.deleted] == ["lone", "card v2"]
    client.chat_postEphemeral(channel=NEWS, user=MARIA, text="only you")
    assert slack.ephemerals[0]["user"] == MARIA and slack.messages(NEWS)[-1]["text"] != "only you"
    with pytest.raises(SlackApiError) as raised:
        client.chat_postEphemeral(channel=NEWS, user="U0STRANGER", text="x")
    assert raised.value.response["error"] == "user_not_in_channel"


def test_channels_users_groups_views_and_team(slack: SlackStandIn) -> None:
    client = client_for(slack)
    slack.add_channel("C0SECRET", "secret", is_private=True, members=[MARIA], bot_member=False)
    slack.add_channel("C0PUBLIC", "public", members=[MARIA], bot_member=False)
    slack.add_usergroup("S0DESK", "desk", [MARIA])
    info = client.conversations_info(channel=NEWS)["channel"]
    assert info["name"] == "newsroom" and info["is_member"] and info["is_channel"]
    assert set(client.conversations_members(channel=NEWS)["members"]) == {MARIA, BOT_USER_ID}
    # Private channels the bot is not in do not exist for it; public ones say not_in_channel.
    for call, error in (
        (lambda: client.conversations_info(channel="C0SECRET"), "channel_not_found"),
        (lambda: client.chat_postMessage(channel="C0SECRET", text="x"), "channel_not_found"),
        (lambda: client.chat_postMessage(channel="C0PUBLIC", text="x"), "not_in_channel"),
        (lambda: client.users_info(user="U0NOBODY"), "user_not_found"),
        (lambda: client.usergroups_users_list(usergroup="S0NONE"), "no_such_subteam"),
    ):
        with pytest.raises(SlackApiError) as raised:
            call()
        assert raised.value.response["error"] == error
    assert client.conversations_info(channel="C0PUBLIC")["channel"]["is_member"] is False
    assert client.users_info(user=MARIA)["user"]["tz"] == "Europe/Berlin"
    assert client.usergroups_users_list(usergroup="S0DESK")["users"] == [MARIA]
    view = {"type": "home", "blocks": [{"type": "divider"}]}
    assert client.views_publish(user_id=MARIA, view=view)["view"]["type"] == "home"
    assert slack.home_views[MARIA] == view
    assert client.team_info()["team"]["id"] == TEAM_ID
    assert client.apps_connections_open(app_token="xapp-test")["url"].startswith("ws://127.0.0.1:")
    assert client.chat_postMessage(channel="#newsroom", text="by name")["channel"] == NEWS
    assert client.chat_postMessage(channel=MARIA, text="dm")["channel"].startswith("D")


def test_unknown_methods_missing_tokens_forms_and_gets(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as raised:
        client_for(slack).api_call("chat.frobnicate")
    assert raised.value.response["error"] == "unknown_method"
    with httpx.Client(base_url=slack.api_url) as http:
        assert http.post("auth.test").json() == {"ok": False, "error": "not_authed"}
        form = http.post(
            "chat.postMessage",
            data={
                "token": "xoxb-form",
                "channel": NEWS,
                "text": "form",
                "blocks": json.dumps([{"type": "divider"}]),
            },
        )
        assert form.status_code == 200 and form.json()["ok"] and form.json()["message"]["blocks"][0]["type"]
        got = http.get("conversations.history", params={"token": "xoxb-get", "channel": NEWS})
        assert got.json()["messages"][0]["text"] == "form"
        # Slack ignores a token inside a JSON body.
        assert http.post("auth.test", json={"token": "xoxb-json"}).json()["error"] == "not_authed"
    assert [c.http_method for c in slack.calls[-3:]] == ["POST", "GET", "POST"]


def test_rate_limit_surfaces_as_slack_api_error_or_is_retried(slack: SlackStandIn) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    with pytest.raises(SlackApiError) as raised:
        client_for(slack, retry_handlers=[]).chat_postMessage(channel=NEWS, text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] in ("1", ["1"])
    assert raised.value.response["error"] == "ratelimited"
    assert slack.messages(NEWS) == []

    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    retrying = client_for(slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    assert retrying.chat_postMessage(channel=NEWS, text="after the wait")["ok"]
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    assert len(slack.calls_to("chat.postMessage")) == 3 and len(slack.messages(NEWS)) == 1


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_and_ok_false_errors(slack: SlackStandIn, status: int) -> None:
    client = client_for(slack, retry_handlers=[])
    slack.fail_next("chat.postMessage", status=status)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=NEWS, text="x")
    assert raised.value.response.status_code == status
    slack.error_next("chat.postMessage", error="ratelimited", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            client.chat_postMessage(channel=NEWS, text="x")
        assert raised.value.response.status_code == 200 and raised.value.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel=NEWS, text="x")["ok"] and len(slack.messages(NEWS)) == 1


def test_lost_response_is_retried_and_double_posts(slack: SlackStandIn) -> None:
    """The hazard the bot must handle: the post happened, the answer was lost, the client retried."""
    slack.lose_response_next("chat.postMessage")
    client = client_for(slack, retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)])
    answer = client.chat_postMessage(channel=NEWS, text="claim 1")
    assert answer["ok"]
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert [m["text"] for m in slack.messages(NEWS)] == ["claim 1", "claim 1"]  # double post

    slack.lose_response_next("chat.postMessage")
    with pytest.raises(Exception) as raised:  # no retry handler: the client sees the dropped connection
        client_for(slack, retry_handlers=[]).chat_postMessage(channel=NEWS, text="claim 2")
    assert not isinstance(raised.value, SlackApiError)
    assert slack.messages(NEWS)[-1]["text"] == "claim 2"  # yet it was posted


def test_slow_answer_times_out_but_the_message_still_appears(slack: SlackStandIn) -> None:
    slack.delay_next("chat.postMessage", 1.0)
    client = client_for(slack, timeout=0.3, retry_handlers=[])
    with pytest.raises(Exception):  # noqa: B017 - urllib's timeout error type varies by where it strikes
        client.chat_postMessage(channel=NEWS, text="slow")
    slack.wait_for(lambda: slack.messages(NEWS), timeout=3, message="for the slow post")
    slack.delay_next("chat.postMessage", 1.0, act_first=True)
    with pytest.raises(Exception):  # noqa: B017
        client.chat_postMessage(channel=NEWS, text="fast action, slow answer")
    assert slack.messages(NEWS)[-1]["text"] == "fast action, slow answer"


def test_wait_helpers_and_their_failure_messages(slack: SlackStandIn) -> None:
    client = client_for(slack)

    def later() -> None:
        time.sleep(0.2)
        client.chat_postMessage(channel=NEWS, text="later")

    threading.Thread(target=later).start()
    calls = slack.wait_for_calls("chat.postMessage", 1, timeout=5)
    assert calls[0].params["text"] == "later"
    with pytest.raises(AssertionError, match=r"timed out after 0.2s waiting for 2 chat.postMessage call"):
        slack.wait_for_calls("chat.postMessage", 2, timeout=0.2)
    slack.reset_calls()
    assert slack.calls == [] and slack.messages(NEWS)


def test_assert_quiet_passes_a_quiet_window_and_fails_at_the_first_unexpected_post(slack: SlackStandIn) -> None:
    client = client_for(slack)
    client.chat_postMessage(channel=NEWS, text="before")  # before the window: not its business
    assert_quiet(slack, 0.2)
    client.reactions_add(channel=NEWS, timestamp=slack.messages(NEWS)[0]["ts"], name="mag")
    threading.Timer(0.1, lambda: client.chat_postMessage(channel=NEWS, text="late")).start()
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"expected no more chat.postMessage for 5s, got: .*'late'"):
        assert_quiet(slack, 5, "chat.postMessage")
    assert time.monotonic() - started < 2  # failed when the post came, not at the end of the window


def test_response_urls_are_recorded(slack: SlackStandIn) -> None:
    url = slack.response_url("claims")
    assert url.startswith(f"http://127.0.0.1:{slack.port}/response/")
    assert httpx.post(url, json={"response_type": "ephemeral", "text": "hi"}).text == "ok"
    found = slack.wait_for(lambda: [r for r in slack.responses if r["path"].endswith("claims")], 2)
    assert found[0]["text"] == "hi" and found[0]["response_type"] == "ephemeral"


# -- signed requests -----------------------------------------------------------------------------


class _Capture(LocalServer):
    """Records what the sender posts, to check it with slack_sdk's own verifier."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[bytes, dict[str, str]]] = []

    class handler_class(QuietHandler):  # LocalServer's hook
        def do_POST(self) -> None:
            self.owner.seen.append((self.body(), dict(self.headers.items())))
            self.reply(200, b"", "text/plain")


def test_signatures_are_accepted_by_slack_sdk_verifier() -> None:
    verifier = SignatureVerifier(SECRET)
    with _Capture() as capture, SlackEventSender(f"{capture.base}/slack/events", SECRET) as sender:
        event = sender.message_event(NEWS, MARIA, "look <https://example.org/x?a=1&amp;b=2|here> <@U0ED>")
        sender.event(event)
        sender.event(event, event_id="EvSAME", retry_num=1)
        sender.command(text="open", response_url="http://127.0.0.1:1/response/x")
        sender.action(sender.block_action_payload(MARIA, NEWS, "1.000100", "vote", "true"))
        sender.url_verification("challenge-1")
        sender.raw(b"{}", sign=False)
        sender.raw(b"{}", timestamp=str(int(time.time()) - 600))
    for body, headers in capture.seen[:5]:
        assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    unsigned, stale = capture.seen[5], capture.seen[6]
    assert "X-Slack-Signature" not in unsigned[1]
    assert not verifier.is_valid(
        stale[0], stale[1]["X-Slack-Request-Timestamp"], stale[1]["X-Slack-Signature"]
    )
    assert stale[1]["X-Slack-Signature"] == sign(SECRET, stale[1]["X-Slack-Request-Timestamp"], stale[0])

    envelope = json.loads(capture.seen[0][0])
    assert envelope["type"] == "event_callback" and envelope["event_id"].startswith("Ev")
    assert envelope["team_id"] == TEAM_ID and envelope["authorizations"][0]["user_id"] == BOT_USER_ID
    assert json.loads(capture.seen[1][0])["event_id"] == "EvSAME"
    assert capture.seen[1][1]["X-Slack-Retry-Num"] == "1"
    assert capture.seen[1][1]["X-Slack-Retry-Reason"] == "http_timeout"
    elements = envelope["event"]["blocks"][0]["elements"][0]["elements"]
    assert {"type": "link", "url": "https://example.org/x?a=1&b=2", "text": "here"} in elements
    assert {"type": "user", "user_id": "U0ED"} in elements
    command = parse_qs(capture.seen[2][0].decode())
    assert command["command"] == ["/claims"] and command["text"] == ["open"]
    assert capture.seen[2][1]["Content-Type"] == "application/x-www-form-urlencoded"
    action = json.loads(parse_qs(capture.seen[3][0].decode())["payload"][0])
    assert action["type"] == "block_actions" and action["actions"][0]["action_id"] == "vote"
    assert action["container"]["message_ts"] == "1.000100"


def test_event_builders() -> None:
    reaction = SlackEventSender.reaction_event("reaction_added", MARIA, "x", NEWS, "1.000100")
    assert reaction["item"] == {"type": "message", "channel": NEWS, "ts": "1.000100"}
    assert reaction["item_user"] == BOT_USER_ID
    reply = SlackEventSender.message_event(NEWS, MARIA, "hi", ts="2.000100", thread_ts="1.000100")
    assert reply["thread_ts"] == "1.000100" and reply["event_ts"] == "2.000100" and "client_msg_id" in reply
    bot = SlackEventSender.message_event(NEWS, BOT_USER_ID, "card", bot_id=BOT_ID)
    assert bot["bot_id"] == BOT_ID and "client_msg_id" not in bot
    ids = {SlackEventSender.new_event_id() for _ in range(100)}
    assert len(ids) == 100


def test_a_real_bolt_app_accepts_the_sender_and_talks_to_the_stand_in(slack: SlackStandIn) -> None:
    """End to end through slack_bolt: signature check, url_verification, an event, `say` -> stand-in."""
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    app = App(signing_secret=SECRET, client=client_for(slack))

    @app.event("message")
    def echo(event: dict[str, Any], say: Any) -> None:
        say(text=f"got: {event['text']}", thread_ts=event["ts"])

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/slack/events"
        with SlackEventSender(url, SECRET) as sender, SlackEventSender(url, "wrong-secret") as forger:
            assert sender.url_verification("abc").json() == {"challenge": "abc"}
            assert forger.url_verification("abc").status_code == 401
            ts = slack.post_human_message(NEWS, "hello", MARIA)
            assert sender.event(sender.message_event(NEWS, MARIA, "hello", ts=ts)).status_code == 200
            slack.wait_for(lambda: len(slack.thread(NEWS, ts)) == 2, timeout=5, message="for the echo")
            assert slack.thread(NEWS, ts)[1]["text"] == "got: hello"
    finally:
        server.shutdown()
        server.server_close()


# -- OpenAI-compatible stand-in ------------------------------------------------------------------


@pytest.fixture
def llm() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn() as server:
        yield server


def test_openai_client_gets_scripted_answers(llm: OpenAIStandIn) -> None:
    client = openai.OpenAI(base_url=llm.base_url, api_key="test", max_retries=0)
    llm.queue_json({"claims": ["a"]})
    llm.queue_text("not json", finish_reason="length")
    llm.responder = lambda request: f"default for {request['model']}"
    messages: Any = [{"role": "user", "content": "extract"}]
    first = client.chat.completions.create(
        model="test-model", messages=messages, response_format={"type": "json_object"}
    )
    assert json.loads(first.choices[0].message.content or "") == {"claims": ["a"]}
    assert first.object == "chat.completion" and first.usage is not None and first.usage.total_tokens > 0
    second = client.chat.completions.create(model="test-model", messages=messages)
    assert second.choices[0].message.content == "not json" and second.choices[0].finish_reason == "length"
    third = client.chat.completions.create(model="other", messages=messages)
    assert third.choices[0].message.content == "default for other"
    assert llm.requests[0]["response_format"] == {"type": "json_object"}
    assert llm.requests[0]["messages"] == messages
    assert llm.headers[0]["Authorization"] == "Bearer test"
    assert [m.id for m in client.models.list()] == ["test-model"]
    stream = client.chat.completions.create(model="m", messages=messages, stream=True)
    assert (
        "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices) == "default for m"
    )


def test_openai_client_sees_scripted_errors_retries_and_timeouts(llm: OpenAIStandIn) -> None:
    messages: Any = [{"role": "user", "content": "x"}]
    strict = openai.OpenAI(base_url=llm.base_url, api_key="test", max_retries=0)
    llm.queue_error(500)
    with pytest.raises(openai.InternalServerError):
        strict.chat.completions.create(model="m", messages=messages)
    llm.queue_error(
        400, body={"error": {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}}
    )
    with pytest.raises(openai.BadRequestError, match="bad"):
        strict.chat.completions.create(model="m", messages=messages)

    retrying = openai.OpenAI(base_url=llm.base_url, api_key="test", max_retries=2)
    llm.queue_error(429, retry_after=0)
    llm.queue_error(503)
    llm.queue_text("third time lucky")
    before = len(llm.requests)
    answer = retrying.chat.completions.create(model="m", messages=messages)
    assert answer.choices[0].message.content == "third time lucky" and len(llm.requests) == before + 3

    llm.queue_delay(2.0, then={"late": True})
    with pytest.raises(openai.APITimeoutError):
        openai.OpenAI(
            base_url=llm.base_url, api_key="test", max_retries=0, timeout=0.3
        ).chat.completions.create(model="m", messages=messages)
    llm.queue_disconnect()
    with pytest.raises(openai.APIConnectionError):
        strict.chat.completions.create(model="m", messages=messages)
    assert llm.pending == 0


# -- article server ------------------------------------------------------------------------------


@pytest.fixture
def articles() -> Iterator[ArticleServer]:
    with ArticleServer() as server:
        yield server


def test_pages_redirects_and_404s(articles: ArticleServer) -> None:
    articles.add("/story", "<html><title>Story</title></html>", headers={"X-Test": "1"})
    articles.add_redirect("/old", "/story")
    articles.add_redirect("/away", articles.url("/story"), status=301)
    assert articles.url == articles.base and articles.url("/story") == f"{articles.base}/story"
    with httpx.Client(follow_redirects=True, headers={"User-Agent": "harness-test"}) as http:
        page = http.get(articles.url("/old?x=1"))
        assert (
            page.status_code == 200 and "<title>Story</title>" in page.text and page.headers["X-Test"] == "1"
        )
        assert [r.status_code for r in page.history] == [302]
        assert http.get(articles.url("/away")).url == articles.url("/story")
        missing = http.get(articles.url("/nope"))
        assert missing.status_code == 404 and "text/html" in missing.headers["Content-Type"]
        assert http.head(articles.url("/story")).headers["Content-Length"] == str(len(page.content))
    assert articles.hits("/old") == 1 and articles.hits("/story") == 3
    assert (
        articles.requests[0].path == "/old?x=1"
        and articles.requests[0].headers["User-Agent"] == "harness-test"
    )


@pytest.mark.parametrize("declare_length", [True, False])
def test_a_10_mb_stream_is_generated_lazily(articles: ArticleServer, declare_length: bool) -> None:
    total = 10 * 1024 * 1024
    articles.add_stream("/big", total_bytes=total, declare_length=declare_length)
    assert articles.routes["/big"].body == b""  # nothing held in memory
    received = 0
    with httpx.stream("GET", articles.url("/big")) as response:
        assert (response.headers.get("Content-Length") == str(total)) is declare_length
        for piece in response.iter_raw():
            received += len(piece)
    assert received == total


def test_trickle_delay_and_gzip_bomb(articles: ArticleServer) -> None:
    articles.add_trickle("/slow", chunk=b"ab", interval=0.1, total=10)
    started = time.monotonic()
    pieces = []
    with httpx.stream("GET", articles.url("/slow"), timeout=httpx.Timeout(1.0)) as response:
        pieces = list(response.iter_raw())
    assert b"".join(pieces) == b"ababababab" and time.monotonic() - started >= 0.35

    articles.add("/late", "late", delay=0.5)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(articles.url("/late"), timeout=0.2)

    articles.add_gzip_bomb("/bomb", expanded_bytes=50 * 1024 * 1024)
    with httpx.stream("GET", articles.url("/bomb")) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        compressed = int(response.headers["Content-Length"])
        expanded = 0
        for piece in response.iter_bytes():
            expanded += len(piece)
            if expanded > 5 * 1024 * 1024:
                break
    assert compressed < 200_000 and expanded > 5 * 1024 * 1024
