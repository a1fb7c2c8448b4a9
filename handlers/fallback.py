"""Acknowledge every other event, so Slack does not retry events the bot has no use for."""

from __future__ import annotations

import re

from slack_bolt import App

from bot.runtime.composition import Services


def register(app: App, services: Services) -> None:
    @app.event(re.compile(r".*"))
    def ignore_other_events() -> None:
        return None
