"""App Home: the open claims and this week's counts, refreshed each time the tab is opened."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.runtime.composition import Services


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home" and event.get("user"):
            services.home.request_home(str(event["user"]), body.get("event_id"))
