"""Checks made before the bot changes anything: is Slack there, and does it accept our tokens?

They run before the database is migrated, so a wrong token or a machine with no route to Slack stops
start-up with one line naming the variable to fix, and leaves nothing half done. Each check has a total
deadline (SLACK_TIMEOUT, at most 10 s): no answer by then counts as no route. A Slack that asks to slow
down (429) is not a configuration error, so start-up goes on (the bot learns its identity in the
background, see `SlackGateway.learn_identity`).
"""

from __future__ import annotations

import logging

from bot.config.settings import ConfigError, Settings
from bot.slack.gateway import SlackRefused, SlackUnreachable, probe

log = logging.getLogger(__name__)

# Slack's answers meaning "this token is not (or no longer) one I accept".
_BAD_TOKEN = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
              "not_allowed_token_type", "invalid_token", "missing_scope", "no_permission", "team_access_not_granted",
              "ekm_access_denied", "org_login_required"}
_BOT_TOKEN_HELP = "copy the Bot User OAuth Token (xoxb-...) from your app's OAuth & Permissions page"
_APP_TOKEN_HELP = ("create an app-level token with the connections:write scope under your app's Basic Information > "
                   "App-Level Tokens (xapp-...), and turn Socket Mode on")


def check_slack(settings: Settings, *, socket_mode: bool, deadline: float | None = None) -> None:
    """Raise ConfigError (one line) when Slack refuses SLACK_BOT_TOKEN (or SLACK_APP_TOKEN in Socket Mode) or
    cannot be reached at SLACK_API_URL; return quietly when they are fine or Slack is rate-limiting."""
    wait = deadline if deadline is not None else min(settings.slack_timeout, 10.0)
    token = settings.secret("slack_bot_token")
    if not token.startswith("xoxb-"):
        raise ConfigError(f"SLACK_BOT_TOKEN does not start with xoxb-: {_BOT_TOKEN_HELP}")
    _check(settings, "auth.test", token, "SLACK_BOT_TOKEN", _BOT_TOKEN_HELP, wait)
    if socket_mode:
        app_token = settings.secret("slack_app_token")
        if not app_token.startswith("xapp-"):
            raise ConfigError(f"SLACK_APP_TOKEN does not start with xapp-: {_APP_TOKEN_HELP}")
        # Asks for a Socket Mode address and drops it: harmless, and the only way to test the token.
        _check(settings, "apps.connections.open", app_token, "SLACK_APP_TOKEN", _APP_TOKEN_HELP, wait)


def _check(settings: Settings, method: str, token: str, variable: str, help_text: str, wait: float) -> None:
    try:
        probe(method, token, settings.slack_api_url, wait)
    except SlackRefused as refused:
        if refused.code in _BAD_TOKEN:
            raise ConfigError(f"{variable}: Slack refused the token ({refused.code}); {help_text}") from None
        if refused.code == "ratelimited":
            log.warning("%s at start: Slack asks to slow down; going on", method)
            return
        raise ConfigError(f"{variable}: Slack answered {method} with {refused.code}; {help_text}") from None
    except SlackUnreachable as unreachable:
        raise ConfigError(f"SLACK_API_URL: cannot reach Slack at {settings.slack_api_url} ({unreachable}); "
                          "check the network, the proxy (HTTPS_PROXY) or SLACK_API_URL") from None
