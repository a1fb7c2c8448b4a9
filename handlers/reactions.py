"""Reaction events on claim messages become votes."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.runtime.composition import Services


def _on_message(event: dict[str, Any]) -> dict[str, Any] | None:
    """The reacted-to message (`item`), when the reaction is on a message at all."""
    item = event.get("item")
    if not isinstance(item, dict) or item.get("type") != "message" or not item.get("channel") or not item.get("ts"):
        return None
    return item


def wanted(event: dict[str, Any], services: Services) -> bool:
    """Whether the listeners below would record this reaction (handlers/quiet.py answers the others early)."""
    return _on_message(event) is not None and services.wants_reaction(str(event.get("reaction") or ""))


def register(app: App, services: Services) -> None:
    def on_reaction(event: dict[str, Any], body: dict[str, Any], added: bool) -> None:
        item = _on_message(event)
        if item is None:
            return
        services.record_reaction(channel=str(item["channel"]), ts=str(item["ts"]), user=str(event.get("user") or ""),
                                 reaction=str(event.get("reaction") or ""), added=added,
                                 event_ts=event.get("event_ts"), event_id=body.get("event_id"))

    @app.event("reaction_added")
    def reaction_added(event: dict[str, Any], body: dict[str, Any]) -> None:
        on_reaction(event, body, added=True)

    @app.event("reaction_removed")
    def reaction_removed(event: dict[str, Any], body: dict[str, Any]) -> None:
        on_reaction(event, body, added=False)
