"""Checks that apply to every request before any listener runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from bot.runtime.composition import Services


def register(app: App, services: Services) -> None:
    @app.middleware
    def only_our_workspace(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse | None:
        """Events from another workspace (a shared channel's other side) are acknowledged and ignored.

        The bot's workspace is learned at start (auth.test), so this never calls Slack on the
        acknowledgement path; until it is known, nothing is filtered.
        """
        ours = (services.gateway.known_identity() or {}).get("team_id")
        theirs = body.get("team_id")
        if body.get("type") == "event_callback" and ours and theirs and theirs != ours:
            return BoltResponse(status=200, body="")
        return next()
