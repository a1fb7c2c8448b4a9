"""Channel events: privacy, archiving and membership changes, recorded for the private-channel rule."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.desk.channels import CHANNEL_EVENTS
from bot.runtime.composition import Services


def register(app: App, services: Services) -> None:
    def on_channel_event(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        services.channel_event(event, event_id=body.get("event_id"), bot_user_id=context.bot_user_id)

    for name in CHANNEL_EVENTS:
        app.event(name)(on_channel_event)
