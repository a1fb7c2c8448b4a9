"""Send the bot what Slack sends: Events API callbacks, slash commands and interactions, signed with the
signing secret exactly as Slack does (v0: HMAC-SHA256 over `v0:{timestamp}:{raw body}`).

The signature is computed here with hmac/hashlib, independently of slack_sdk's verifier, so a test
passing means the bot accepts what Slack really sends.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.harness.slack_api import BOT_USER_ID, TEAM_ID

_ids = itertools.count(1)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def rich_text_for(text: str) -> list[dict[str, Any]]:
    """A rich_text block mirroring Slack's own for text with `<url|label>` links."""
    import re

    elements: list[dict[str, Any]] = []
    position = 0
    for match in re.finditer(r"<(https?://[^|>]+)(?:\|([^>]*))?>", text):
        if match.start() > position:
            elements.append({"type": "text", "text": text[position:match.start()]})
        link: dict[str, Any] = {"type": "link", "url": match.group(1).replace("&amp;", "&")}
        if match.group(2):
            link["text"] = match.group(2)
        elements.append(link)
        position = match.end()
    if position < len(text):
        elements.append({"type": "text", "text": text[position:]})
    return [{"type": "rich_text", "block_id": f"b{next(_ids)}",
             "elements": [{"type": "rich_text_section", "elements": elements}]}]


class SlackEventSender:
    def __init__(self, url: str, signing_secret: str, timeout: float = 10.0) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self.client = httpx.Client(timeout=timeout)

    # -- raw --------------------------------------------------------------------------------------

    def raw(self, body: bytes, headers: dict[str, str] | None = None, *, sign_it: bool = True,
            timestamp: str | None = None, content_type: str = "application/json") -> httpx.Response:
        stamp = timestamp or str(int(time.time()))
        all_headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp}
        if sign_it:
            all_headers["X-Slack-Signature"] = sign(self.signing_secret, stamp, body)
        all_headers.update(headers or {})
        return self.client.post(self.url, content=body, headers=all_headers)

    # -- Events API -------------------------------------------------------------------------------

    def event(self, event: dict[str, Any], *, event_id: str | None = None, team_id: str = TEAM_ID,
              retry_num: int | None = None, retry_reason: str = "http_timeout",
              api_app_id: str = "A0TEST") -> httpx.Response:
        envelope = {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "api_app_id": api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"enterprise_id": None, "team_id": team_id, "user_id": BOT_USER_ID,
                                "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
            "event_context": f"4-{next(_ids)}",
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self.raw(json.dumps(envelope).encode(), headers)

    def url_verification(self, challenge: str) -> httpx.Response:
        body = {"token": "legacy", "challenge": challenge, "type": "url_verification"}
        return self.raw(json.dumps(body).encode())

    @staticmethod
    def message_event(channel: str, user: str, text: str, ts: str | None = None,
                      blocks: list[dict[str, Any]] | None = None, thread_ts: str | None = None,
                      subtype: str | None = None, bot_id: str | None = None,
                      channel_type: str = "channel") -> dict[str, Any]:
        stamp = ts or f"{time.time():.6f}"
        event: dict[str, Any] = {"type": "message", "channel": channel, "user": user, "text": text, "ts": stamp,
                                 "event_ts": stamp, "channel_type": channel_type, "team": TEAM_ID,
                                 "blocks": blocks if blocks is not None else rich_text_for(text)}
        if thread_ts:
            event["thread_ts"] = thread_ts
            event["parent_user_id"] = user
        if subtype:
            event["subtype"] = subtype
        if bot_id:
            event["bot_id"] = bot_id
        return event

    @staticmethod
    def reaction_event(kind: str, user: str, reaction: str, channel: str, ts: str,
                       item_user: str = BOT_USER_ID) -> dict[str, Any]:
        return {"type": kind, "user": user, "reaction": reaction, "item_user": item_user,
                "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": f"{time.time():.6f}"}

    # -- slash commands and interactions ----------------------------------------------------------

    def command(self, command: str = "/claims", text: str = "", user_id: str = "U0MARIA",
                channel_id: str = "C0NEWS", channel_name: str = "newsroom", response_url: str = "",
                trigger_id: str | None = None, team_id: str = TEAM_ID) -> httpx.Response:
        form = {
            "token": "legacy", "team_id": team_id, "team_domain": "test", "channel_id": channel_id,
            "channel_name": channel_name, "user_id": user_id, "user_name": user_id.lower(), "command": command,
            "text": text, "api_app_id": "A0TEST", "is_enterprise_install": "false",
            "response_url": response_url or "https://hooks.slack.com/commands/T0TEST/1/x",
            "trigger_id": trigger_id or f"{next(_ids)}.trigger",
        }
        return self.raw(urlencode(form).encode(), content_type="application/x-www-form-urlencoded")

    def action(self, payload: dict[str, Any]) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.raw(body, content_type="application/x-www-form-urlencoded")

    @staticmethod
    def block_action_payload(user: str, channel: str, message_ts: str, action_id: str, value: str,
                             block_id: str = "b1", team_id: str = TEAM_ID) -> dict[str, Any]:
        return {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team_id},
            "api_app_id": "A0TEST",
            "token": "legacy",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
            "trigger_id": f"{next(_ids)}.trigger",
            "team": {"id": team_id, "domain": "test"},
            "channel": {"id": channel, "name": "newsroom"},
            "message": {"type": "message", "ts": message_ts, "user": BOT_USER_ID, "bot_id": "B0BOT"},
            "response_url": "https://hooks.slack.com/actions/T0TEST/1/x",
            "actions": [{"action_id": action_id, "block_id": block_id, "text": {"type": "plain_text", "text": "x"},
                         "value": value, "type": "button", "action_ts": f"{time.time():.6f}"}],
        }
