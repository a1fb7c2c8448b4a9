"""Slack surfaces in: thin listeners, grouped by surface, each module with `register(app, services)`.

Listeners parse the payload, acknowledge, and call into bot/; no newsroom logic lives here.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.authorization import AuthorizeResult

from bot.runtime.composition import Services
from handlers import actions, channels, commands, fallback, home, messages, middleware, reactions, views

log = logging.getLogger(__name__)


class _TokenNotices(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and then warns, on every start, that it
    will not use it (we give it a client and `authorize`). True, expected, and noise to an operator."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("`token`" in message and ("unused" in message or "ignored" in message))


_bolt_log = logging.getLogger("slack_bolt.App")
_bolt_log.addFilter(_TokenNotices())


def create_app(services: Services) -> App:
    """The Bolt app: requests verified with the signing secret, listeners run before the HTTP answer.

    process_before_response=True makes "recorded in the database" happen-before "acknowledged to
    Slack"; the listeners are fast (no network), the slow work is queued for the workers.

    `authorize` answers from what the gateway already knows, so neither building the app nor any
    request calls auth.test (Bolt's default calls it at construction, unbounded, and would raise a long
    traceback on a bad token); start-up checks the token once, with a deadline (bot.runtime.startup).

    Bolt's own signature check is off: the HTTP front (handlers/http.wsgi_app, the only way the app is
    served over HTTP) verifies every request before Bolt sees it and answers 401 otherwise, and Socket
    Mode requests carry no signature. Checking twice cost every acknowledgement a second HMAC.
    """
    settings = services.settings
    settings.require("slack_signing_secret")
    token = settings.secret("slack_bot_token")
    gateway = services.gateway

    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        identity = gateway.known_identity() or {}
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id or identity.get("team_id"),
                               bot_token=token, bot_user_id=identity.get("user_id") or None,
                               bot_id=identity.get("bot_id") or None)

    app = App(
        client=gateway.web_client,
        signing_secret=settings.secret("slack_signing_secret"),
        authorize=authorize,
        request_verification_enabled=False,
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        logger=_bolt_log,
    )

    @app.error
    def unexpected(error: Exception, body: dict[str, Any]) -> BoltResponse:
        """A listener raised: log it with what it was handling, answer Slack plainly, never show a traceback."""
        event = body["event"] if isinstance(body.get("event"), dict) else {}
        team = body["team"] if isinstance(body.get("team"), dict) else {}
        log.error("unhandled error in a listener (type=%s event=%s command=%s action=%s team=%s)",
                  body.get("type"), event.get("type"), body.get("command"),
                  ",".join(str(a.get("action_id")) for a in body.get("actions") or [] if isinstance(a, dict)) or None,
                  body.get("team_id") or team.get("id"), exc_info=error)
        return BoltResponse(status=500, body="")

    # Bolt tries listeners in registration order: reactions before messages, since votes outnumber links
    # (chatter never gets here: handlers/quiet.py answers it); each listener tried costs about 0.02 ms.
    for module in (middleware, reactions, messages, actions, views, commands, home, channels, fallback):
        module.register(app, services)
    return app
