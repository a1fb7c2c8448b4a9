"""Checks that apply to every request before any listener runs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.intake.events import ID_LIMIT, ids_too_long
from bot.runtime.composition import Services

log = logging.getLogger(__name__)

OTHER_WORKSPACE = "This fact-check desk works only in the workspace it is installed in."
UNREADABLE = "That has a character I can't read (a NUL byte) or an id longer than Slack's. Nothing was done."
_COMMAND_IDS = ("team_id", "channel_id", "user_id")


def _team(body: dict[str, Any]) -> str | None:
    """The workspace a request comes from: events and slash commands name it at the top, interactions in
    `team` (or, without it, the clicking user's team)."""
    team = body.get("team_id")
    if not team and isinstance(body.get("team"), dict):
        team = body["team"].get("id")
    if not team and isinstance(body.get("user"), dict):
        team = body["user"].get("team_id")
    return team if isinstance(team, str) else None


def _has_nul(value: object) -> bool:
    """Whether any string in a parsed payload carries a NUL (PostgreSQL cannot store one). Iterative."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _may_carry_nul(raw: str) -> bool:
    """A cheap look at the raw body first: a NUL can only arrive escaped in JSON (\\u0000) or encoded
    in a form (%00, or %5Cu0000 for JSON inside a form field). Only a body that has one of those is
    walked, so the walk's cost is not paid on every acknowledgement."""
    return "\\u0000" in raw or "%00" in raw or "%5cu0000" in raw.lower()


def _refusal(body: dict[str, Any], text: str) -> BoltResponse:
    """The clearest answer each kind of request can carry: a private message for a slash command, a
    modal saying so for a modal submission, a plain acknowledgement (Slack shows nothing) otherwise."""
    if body.get("command"):
        return BoltResponse(status=200, body=json.dumps({"response_type": "ephemeral", "text": text}),
                            headers={"content-type": "application/json"})
    if body.get("type") == "view_submission":
        view = {"type": "modal", "title": {"type": "plain_text", "text": "Fact-check desk"},
                "blocks": [{"type": "section", "text": {"type": "plain_text", "text": text}}]}
        return BoltResponse(status=200, body=json.dumps({"response_action": "update", "view": view}),
                            headers={"content-type": "application/json"})
    return BoltResponse(status=200, body="")


class RequestScreen(Middleware):
    """Requests from another workspace (a shared channel's other side, an install elsewhere), and
    requests the bot could not store (ids longer than Slack's, NUL characters), are answered and go no
    further: events and clicks quietly, slash commands and modals with a clear sentence.

    The bot's workspace is learned at start (auth.test), so this never calls Slack on the
    acknowledgement path; until it is known, nothing is filtered by workspace. A `Middleware` subclass,
    not a decorated function: Bolt calls it directly instead of inspecting and injecting arguments on
    every request, which cost about a fifth of an acknowledgement's time in Bolt.
    """

    def __init__(self, services: Services) -> None:
        self._gateway = services.gateway

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:
        body = req.body
        if body.get("type") == "event_callback" and ids_too_long(body):
            log.warning("ignored an event whose ids are longer than Slack's (%s)", str(body.get("event_id"))[:20])
            return BoltResponse(status=200, body="")
        ours = (self._gateway.known_identity() or {}).get("team_id")
        theirs = _team(body)
        if ours and theirs and theirs != ours:
            log.info("refused a %s request from another workspace", body.get("type") or "command")
            return _refusal(body, OTHER_WORKSPACE)
        # Socket Mode requests carry no raw body: those are always walked.
        may_carry_nul = not req.raw_body or _may_carry_nul(req.raw_body)
        if (may_carry_nul and _has_nul(body)) or (body.get("command") and any(
                len(str(body.get(name) or "")) > ID_LIMIT for name in _COMMAND_IDS)):
            log.warning("refused a %s request carrying a NUL or an over-long id", body.get("type") or "command")
            return _refusal(body, UNREADABLE)
        return next()


def register(app: App, services: Services) -> None:
    app.use(RequestScreen(services))
