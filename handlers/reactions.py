"""Reaction events on claim messages become votes."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.runtime.composition import Services


def register(app: App, services: Services) -> None:
    def on_reaction(event: dict[str, Any], body: dict[str, Any], added: bool) -> None:
        item = event.get("item") or {}
        if item.get("type") != "message" or not item.get("channel") or not item.get("ts"):
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
