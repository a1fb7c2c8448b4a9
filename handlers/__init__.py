"""Slack surfaces in: thin listeners, grouped by surface, each module with `register(app, services)`.

Listeners parse the payload, acknowledge, and call into bot/; no newsroom logic lives here.
"""

from __future__ import annotations

import logging

from slack_bolt import App

from bot.runtime.composition import Services
from handlers import actions, channels, commands, fallback, home, messages, middleware, reactions, views

log = logging.getLogger(__name__)


def create_app(services: Services) -> App:
    """The Bolt app: requests verified with the signing secret, listeners run before the HTTP answer.

    process_before_response=True makes "recorded in the database" happen-before "acknowledged to
    Slack"; the listeners are fast (no network), the slow work is queued for the workers.
    """
    settings = services.settings
    settings.require("slack_signing_secret")
    app = App(
        client=services.gateway.web_client,
        signing_secret=settings.secret("slack_signing_secret"),
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )
    for module in (middleware, messages, reactions, actions, views, commands, home, channels, fallback):
        module.register(app, services)
    return app
