"""Events the bot receives and does nothing with, answered before Bolt dispatches them.

Most of a workspace's traffic is chatter: messages without a link outside any thread, reactions with
emoji that are neither a verdict nor the assign emoji. Bolt would run its middleware and match every
listener against each of them (about 0.07 ms of the interpreter's time an event, which the acks of the
events that matter wait behind), only for the listeners to decide there is nothing to do. The HTTP front
(handlers/http.py) asks `quiet_events` first, after the signature check, and answers those with the same
empty 200 Bolt would have sent. The decision is made by the very functions the listeners use, so the two
cannot disagree; anything not positively known to be ignorable goes to Bolt.
"""

from __future__ import annotations

from typing import Any

from bot.runtime.composition import Services
from handlers import messages, reactions
from handlers.http import QuietCheck


def quiet_events(services: Services) -> QuietCheck:
    """A check for parsed request bodies: True only for an event no listener would act on."""

    def quiet(body: dict[str, Any]) -> bool:
        try:
            return decide(body)
        except Exception:  # a shape no listener expects (a list for a subtype ...): Bolt's error handling
            return False

    def decide(body: dict[str, Any]) -> bool:
        if body.get("type") != "event_callback" or not isinstance(body.get("event"), dict):
            return False
        event: dict[str, Any] = body["event"]
        kind = event.get("type")
        if kind == "message":
            bot_user_id = (services.gateway.known_identity() or {}).get("user_id") or None
            max_links = services.settings.max_links_per_message
            return not messages.wanted(event, bot_user_id=bot_user_id, max_links=max_links)
        if kind in ("reaction_added", "reaction_removed"):
            return not reactions.wanted(event, services)
        return False

    return quiet
