"""Message events: a pasted article link starts the fact-check workflow."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.desk.channels import ARCHIVED, CONVERTED
from bot.intake.events import link_message_from_event, thread_reply_from_event
from bot.runtime.composition import Services


def wanted(event: dict[str, Any], *, bot_user_id: str | None, max_links: int) -> bool:
    """Whether `on_message` below would act on this message (handlers/quiet.py answers the others early)."""
    if event.get("subtype") in CONVERTED or event.get("subtype") in ARCHIVED:
        return True
    if link_message_from_event(event, team_id=None, bot_user_id=bot_user_id, max_links=max_links) is not None:
        return True
    return thread_reply_from_event(event, bot_user_id=bot_user_id) is not None


def register(app: App, services: Services) -> None:
    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        # Events are acknowledged by Bolt when this returns (process_before_response): links and thread
        # replies are recorded in the inbox first (one row), and the workers apply them.
        if event.get("subtype") in CONVERTED or event.get("subtype") in ARCHIVED:
            services.channel_event(event, event_id=body.get("event_id"), bot_user_id=context.bot_user_id)
            return
        message = link_message_from_event(
            event,
            team_id=body.get("team_id"),
            bot_user_id=context.bot_user_id,
            max_links=services.settings.max_links_per_message,
        )
        if message is not None:
            services.accept_links(message, body.get("event_id"))
            return
        reply = thread_reply_from_event(event, bot_user_id=context.bot_user_id)
        if reply is not None:
            channel, thread_ts, ts = reply
            services.thread_reply(channel=channel, thread_ts=thread_ts, ts=ts, event_id=body.get("event_id"))
