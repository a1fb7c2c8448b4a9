"""Send the bot what Slack sends: Events API callbacks, slash commands and interactions, signed with the
signing secret exactly as Slack does (v0: `X-Slack-Signature: v0=hex(HMAC-SHA256(secret,
"v0:{timestamp}:{raw body}"))` with `X-Slack-Request-Timestamp`).

Why compute the signature here with hmac/hashlib rather than slack_sdk's verifier: a passing test then
means the bot accepts what Slack really sends, not merely that one library agrees with itself.
Payload shapes follow api.slack.com (event_callback envelope, message / reaction_added events,
slash-command form fields, block_actions payload).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import string
import time
from typing import Any, Self
from urllib.parse import urlencode

import httpx

from tests.harness.rich_text import rich_text_for
from tests.harness.slack_api import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID

__all__ = ["SlackEventSender", "rich_text_for", "sign"]

_ids = itertools.count(1)
# Event IDs must be unique across senders (and bot restarts within one test run).
_RUN = "".join(random.choices(string.ascii_uppercase + string.digits, k=4))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Slack-Signature` value Slack would send for this body and timestamp."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


_signature = sign  # `raw()` has a parameter called `sign`


def _stamp() -> str:
    return f"{time.time():.6f}"


class SlackEventSender:
    """Posts signed Slack requests to the bot's endpoint (e.g. `http://127.0.0.1:PORT/slack/events`).

    Every method returns the bot's `httpx.Response`, so tests can check the ack (status, body, time).
    """

    def __init__(self, url: str, signing_secret: str, timeout: float = 10.0) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self.client = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- raw --------------------------------------------------------------------------------------

    def signature_headers(self, body: bytes, timestamp: str | None = None) -> dict[str, str]:
        """The two headers Slack adds to every request, for `body` signed now (or at `timestamp`)."""
        stamp = timestamp or str(int(time.time()))
        return {
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": _signature(self.signing_secret, stamp, body),
        }

    def raw(
        self,
        body: bytes,
        headers: dict[str, str] | None = None,
        *,
        sign: bool = True,
        timestamp: str | None = None,
        content_type: str = "application/json",
        sign_it: bool | None = None,
    ) -> httpx.Response:
        """POST `body` as is; signed unless `sign=False` (`sign_it` is the older name). `headers` are
        applied last, so they can override the signature or timestamp for tampering tests; a stale or
        future `timestamp` is signed correctly, so only the clock check can reject it."""
        do_sign = sign if sign_it is None else sign_it
        stamp = timestamp or str(int(time.time()))
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if do_sign:
            all_headers["X-Slack-Signature"] = _signature(self.signing_secret, stamp, body)
        all_headers.update(headers or {})
        return self.client.post(self.url, content=body, headers=all_headers)

    # -- Events API -------------------------------------------------------------------------------

    @staticmethod
    def new_event_id() -> str:
        return f"Ev{_RUN}{next(_ids):06d}"

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        team_id: str = TEAM_ID,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        api_app_id: str = APP_ID,
        authorizations: list[dict[str, Any]] | None = None,
        event_time: int | None = None,
    ) -> httpx.Response:
        """Deliver `event` in an `event_callback` envelope. `retry_num` adds Slack's redelivery headers
        (`X-Slack-Retry-Num`, `X-Slack-Retry-Reason`); reuse `event_id` to model a redelivery."""
        envelope = self.envelope(
            event,
            event_id=event_id,
            team_id=team_id,
            api_app_id=api_app_id,
            authorizations=authorizations,
            event_time=event_time,
        )
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self.raw(json.dumps(envelope).encode(), headers)

    def envelope(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        team_id: str = TEAM_ID,
        api_app_id: str = APP_ID,
        authorizations: list[dict[str, Any]] | None = None,
        event_time: int | None = None,
    ) -> dict[str, Any]:
        """The `event_callback` body Slack would POST for `event` (without sending it)."""
        return {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "context_team_id": team_id,
            "context_enterprise_id": None,
            "api_app_id": api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or self.new_event_id(),
            "event_time": event_time if event_time is not None else int(time.time()),
            "authorizations": authorizations
            if authorizations is not None
            else [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-eyJldCI6Im1lc3NhZ2Ui{next(_ids):06d}",
        }

    def url_verification(self, challenge: str) -> httpx.Response:
        body = {"token": "legacy-verification-token", "challenge": challenge, "type": "url_verification"}
        return self.raw(json.dumps(body).encode())

    @staticmethod
    def message_event(
        channel: str,
        user: str,
        text: str,
        ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        subtype: str | None = None,
        bot_id: str | None = None,
        channel_type: str = "channel",
        parent_user_id: str | None = None,
    ) -> dict[str, Any]:
        """A `message` event as Slack delivers it: `event_ts`, `channel_type`, `team`, a `client_msg_id`
        for people's messages, and a rich_text block mirroring `text` (links as `link` elements)."""
        stamp = ts or _stamp()
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": stamp,
            "event_ts": stamp,
            "channel_type": channel_type,
            "team": TEAM_ID,
            "blocks": blocks if blocks is not None else rich_text_for(text),
        }
        if bot_id:
            event["bot_id"] = bot_id
            event["app_id"] = APP_ID if bot_id == BOT_ID else f"A{bot_id[1:]}"
            event["bot_profile"] = {
                "id": bot_id,
                "app_id": event["app_id"],
                "name": "bot",
                "team_id": TEAM_ID,
                "deleted": False,
            }
        elif not subtype:
            event["client_msg_id"] = f"{next(_ids):08x}-0000-4000-8000-{stamp.replace('.', '')[-12:]:0>12}"
        if thread_ts:
            event["thread_ts"] = thread_ts
            event["parent_user_id"] = parent_user_id or user
        if subtype:
            event["subtype"] = subtype
        return event

    @staticmethod
    def reaction_event(
        kind: str = "reaction_added",
        user: str = "",
        reaction: str = "",
        channel: str = "",
        ts: str = "",
        item_user: str = BOT_USER_ID,
    ) -> dict[str, Any]:
        """A `reaction_added` / `reaction_removed` event on a message."""
        if kind not in ("reaction_added", "reaction_removed"):
            raise ValueError(f"kind must be reaction_added or reaction_removed, not {kind!r}")
        if not (user and reaction and channel and ts):
            raise ValueError("user, reaction, channel and ts are required")
        return {
            "type": kind,
            "user": user,
            "reaction": reaction,
            "item_user": item_user,
            "item": {"type": "message", "channel": channel, "ts": ts},
            "event_ts": _stamp(),
        }

    # -- slash commands and interactions ----------------------------------------------------------

    def command(
        self,
        command: str = "/claims",
        text: str = "",
        user_id: str = "U0MARIA",
        channel_id: str = "C0NEWS",
        channel_name: str = "newsroom",
        response_url: str = "",
        trigger_id: str | None = None,
        team_id: str = TEAM_ID,
        user_name: str | None = None,
    ) -> httpx.Response:
        """A slash command, form-encoded with the fields Slack sends."""
        form = {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name or user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url or f"https://hooks.slack.com/commands/{team_id}/{next(_ids)}/x",
            "trigger_id": trigger_id or f"{next(_ids)}.{int(time.time())}.trigger",
        }
        return self.raw(urlencode(form).encode(), content_type="application/x-www-form-urlencoded")

    def action(self, payload: dict[str, Any]) -> httpx.Response:
        """An interaction (block_actions, view_submission...), form-encoded as `payload=<json>`."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.raw(body, content_type="application/x-www-form-urlencoded")

    @staticmethod
    def block_action_payload(
        user: str,
        channel: str,
        message_ts: str,
        action_id: str,
        value: str,
        block_id: str = "b1",
        team_id: str = TEAM_ID,
        *,
        thread_ts: str | None = None,
        message: dict[str, Any] | None = None,
        response_url: str | None = None,
        action_type: str = "button",
        channel_name: str = "newsroom",
    ) -> dict[str, Any]:
        """A `block_actions` payload for a button click on a message (pass the clicked `message` if the
        handler reads its blocks)."""
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        }
        if thread_ts:
            container["thread_ts"] = thread_ts
        clicked = message or {
            "type": "message",
            "ts": message_ts,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": "",
            "team": team_id,
            "blocks": [],
        }
        return {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team_id},
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "container": container,
            "trigger_id": f"{next(_ids)}.{int(time.time())}.trigger",
            "team": {"id": team_id, "domain": TEAM_DOMAIN},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": channel_name},
            "message": clicked,
            "state": {"values": {}},
            "response_url": response_url or f"https://hooks.slack.com/actions/{team_id}/{next(_ids)}/x",
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id,
                    "text": {"type": "plain_text", "text": value, "emoji": True},
                    "value": value,
                    "type": action_type,
                    "action_ts": _stamp(),
                }
            ],
        }

    @staticmethod
    def view_submission_payload(
        user: str,
        view: dict[str, Any],
        values: dict[str, dict[str, str | None]],
        team_id: str = TEAM_ID,
    ) -> dict[str, Any]:
        """A `view_submission` payload for a modal as the stand-in's views.open stored it, with the input
        values typed in: `values[block_id][action_id] = text` (None for an optional input left empty).
        Each value's element type is read from the view, as Slack reports it in `view.state.values`."""
        types = {}
        for block in view.get("blocks") or []:
            element = block.get("element") or {}
            if block.get("type") == "input" and element.get("action_id"):
                types[(block.get("block_id"), element["action_id"])] = element.get("type", "plain_text_input")
        state: dict[str, dict[str, Any]] = {}
        for block_id, actions in values.items():
            for action_id, value in actions.items():
                kind = types.get((block_id, action_id))
                if kind is None:
                    raise ValueError(f"the view has no input {block_id}/{action_id}")
                state.setdefault(block_id, {})[action_id] = {"type": kind, "value": value}
        submitted = dict(view)
        submitted["state"] = {"values": state}
        return {
            "type": "view_submission",
            "team": {"id": team_id, "domain": TEAM_DOMAIN},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team_id},
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": f"{next(_ids)}.{int(time.time())}.trigger",
            "view": submitted,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
