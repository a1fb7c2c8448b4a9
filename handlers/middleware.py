"""Checks that apply to every request before any listener runs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from bot.intake.events import ids_too_long
from bot.runtime.composition import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.middleware
    def only_our_events(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse | None:
        """Events from another workspace (a shared channel's other side), and events with ids longer than
        Slack's, are acknowledged and ignored.

        The bot's workspace is learned at start (auth.test), so this never calls Slack on the
        acknowledgement path; until it is known, nothing is filtered.
        """
        if body.get("type") == "event_callback" and ids_too_long(body):
            log.warning("ignored an event whose ids are longer than Slack's (%s)", str(body.get("event_id"))[:20])
            return BoltResponse(status=200, body="")
        ours = (services.gateway.known_identity() or {}).get("team_id")
        theirs = body.get("team_id")
        if body.get("type") == "event_callback" and ours and theirs and theirs != ours:
            return BoltResponse(status=200, body="")
        return next()
